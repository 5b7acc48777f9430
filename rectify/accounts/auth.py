"""Signing in and out, and changing one's own password."""
import secrets
from functools import cache
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from rectify.accounts import operations, sessions, throttle
from rectify.accounts.passwords import password_problem
from rectify.core.errors import RESTORE, expired_form
from rectify.core.extensions import db, login_manager
from rectify.core.forms import EmptyForm, Form
from rectify.core.security import rotate_csrf_token
from rectify.core.timeutil import utcnow
from rectify.models import User

bp = Blueprint("auth", __name__)
# Pages anyone may open without signing in (the API authenticates by token: rectify/api).
PUBLIC_ENDPOINTS = {"auth.login", "static", "main.health"}

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"

LOGIN_FAILED = "用户名或密码错误。"
ACCOUNT_DISABLED = "该账号已停用，请联系管理员。"


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。")])
    remember = BooleanField("在本机保持登录")
    submit = SubmitField("登录")


class ChangePasswordForm(Form):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码。")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码。")])
    confirm = PasswordField(
        "确认新密码",
        validators=[DataRequired("请再次输入新密码。"), EqualTo("new", "两次输入的新密码不一致。")],
    )
    submit = SubmitField("修改密码")

    def validate_current(self, field):
        if not current_user.check_password(field.data):
            raise ValidationError("当前密码不正确。")

    def validate_new(self, field):
        problem = password_problem(field.data, current_user.username,
                                   (current_user.name, current_user.email, current_user.phone))
        if problem:
            raise ValidationError(problem)
        if field.data == self.current.data:
            raise ValidationError("新密码不能与当前密码相同。")


@login_manager.user_loader
def load_user(token: str):
    """The user of a live sign-in (rectify.accounts.sessions); signing out, a changed password or a
    disabled account ends it."""
    return sessions.user_for(token)


@bp.before_app_request
def require_login():
    """Every page needs a signed-in user; a user with a temporary password must change it."""
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api":
        return None  # the API authenticates by token (rectify/api)
    if not current_user.is_authenticated:
        return expired_form() or login_manager.unauthorized()
    if current_user.must_change_password and request.endpoint not in (
        "auth.change_password",
        "auth.logout",
    ):
        flash("请先修改初始密码。", "warning")
        return redirect(url_for("auth.change_password"))
    return None


def _in_words(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{-(-seconds // 60)} 分钟"


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))


def is_local_path(target: str | None) -> bool:
    """True for a same-site path such as /board?x=1; never another host or scheme."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, expired=bool(request.args.get("expired"))), \
            400 if form.errors else 200
    username = form.username.data.strip().lower()
    # Failed sign-ins are counted per user name and client address: a guesser is stopped without
    # locking the account's owner out from another machine (rectify/accounts/throttle.py).
    rate, address, now = current_app.config["LOGIN_RATE"], request.remote_addr or "", utcnow()
    wait = throttle.retry_after(rate, address, username, now)
    if wait is not None:
        error = f"尝试次数过多，请 {_in_words(wait)}后再试。"
        return render_template("auth/login.html", form=form, error=error), 429, {"Retry-After": str(wait)}
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), form.password.data)  # same time as a real check
    if user is None or not user.check_password(form.password.data):
        throttle.record_failure(rate, address, username, now)
        db.session.commit()
        return render_template("auth/login.html", form=form, error=LOGIN_FAILED), 401
    if not user.is_active:
        return render_template("auth/login.html", form=form, error=ACCOUNT_DISABLED), 403
    sessions.start_session(user, now)
    login_user(user, remember=form.remember.data)
    rotate_csrf_token()
    user.last_login_at = now
    db.session.commit()
    target = request.args.get("next")
    if not is_local_path(target):
        return redirect(url_for("main.index"))
    # Signed out while filling in a form: back to it, the typed text filled in again (static/js/app.js).
    return redirect(target + (RESTORE if request.args.get("expired") else ""))


@bp.route("/logout", methods=["POST"])
def logout():
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:
            sessions.end_session(current_user.login_token)
            db.session.commit()
        logout_user()
        flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        operations.change_password(user, form.new.data, utcnow(), keep_session=user.login_token)
        db.session.commit()
        flash("密码已修改，其他设备上的登录和 API 访问令牌已失效。", "success")
        return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


class TokenForm(Form):
    name = StringField("用途（如：OA 对接、本科室脚本）", validators=[DataRequired("请填写用途。")])
    submit = SubmitField("创建访问令牌")


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """API access tokens of the signed-in user: create (shown once) and revoke."""
    from rectify.accounts.tokens import create_token
    from rectify.models import ApiToken

    form = TokenForm()
    user = current_user._get_current_object()
    created = None
    if form.validate_on_submit():
        _, created = create_token(user, form.name.data)
        db.session.commit()
        form = TokenForm(formdata=None)
    rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())).all()
    return render_template("auth/tokens.html", form=form, rows=rows, created=created, button=EmptyForm(formdata=None)), \
        400 if form.errors else 200


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    from flask import abort

    from rectify.accounts.tokens import revoke_token as revoke
    from rectify.models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404, description="未找到该访问令牌。")
    EmptyForm().validate_on_submit()
    if token.revoked_at is None:
        revoke(token, current_user._get_current_object())
        db.session.commit()
    flash("访问令牌已撤销。", "success")
    return redirect(url_for("auth.tokens"))
