"""Signing in and out, and changing one's own password."""
import re
import secrets
from functools import cache
from typing import Iterable, Optional
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from . import audit
from .extensions import db, limiter, login_manager
from .forms import EmptyForm, Form
from .models import User
from .numbers import whole_number
from .permissions import PUBLIC_ENDPOINTS
from .timeutil import utcnow

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"

LOGIN_FAILED = "用户名或密码错误。"
ACCOUNT_DISABLED = "该账号已停用，请联系管理员。"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# zxcvbn's score, 0-4: 3 means an estimated 10^8 guesses or more, out of reach of guessing through
# the login form (throttled) and costly against a stolen hash; below it a new password is refused.
MIN_PASSWORD_SCORE = 3
# Words anyone would try first against this system (NIST SP 800-63B: "context-specific words").
SITE_WORDS = ("zhenggai", "rectify", "taizhang", "zhenggaitaizhang", "duban", "xuncha", "xunshi", "admin")
TRY_ANOTHER = "请换一个更长、无规律的密码。"


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired("请输入用户名。")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。")])
    remember = BooleanField("在本机保持登录")
    submit = SubmitField("登录")


def password_problem(password: str, username: str = "", personal: Iterable[Optional[str]] = ()) -> str | None:
    """Why a new password is not acceptable, or None when it is; every door that sets one asks.

    ``personal``: what else a guesser knows about its owner (name, e-mail, phone number).
    """
    if password != password.strip():
        return "密码不能以空格开头或结尾。"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"密码不能超过 {MAX_PASSWORD_LENGTH} 位。"
    kinds = sum(
        [
            any(ch.isalpha() for ch in password),
            any(ch.isdigit() for ch in password),
            any(not ch.isalnum() for ch in password),
        ]
    )
    if kinds < 2:
        return "密码需包含字母、数字、符号中的至少两类。"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名。"
    return _guessable(password, [username, *personal])


def _guessable(password: str, personal: list) -> str | None:
    """Why zxcvbn rates ``password`` easy to guess (in Chinese), or None."""
    from zxcvbn import zxcvbn  # 14 MB of word lists: loaded only by a process that sets passwords

    words = []  # "gang.wu@example.gov.cn" gives itself, "gang.wu", "gang", "example" and "gov"
    for item in (item.lower() for item in personal if item):
        words += [item, item.partition("@")[0], *(part for part in re.split(r"[^0-9a-z]+", item) if len(part) >= 3)]
    result = zxcvbn(password, user_inputs=[*words, *SITE_WORDS], max_length=MAX_PASSWORD_LENGTH)
    if result["score"] >= MIN_PASSWORD_SCORE:
        return None
    # Like zxcvbn's own feedback: the longest guessable part explains the verdict.
    parts = sorted((m for m in result["sequence"] if m["pattern"] != "bruteforce"), key=lambda m: -len(m["token"]))
    return f"{_weakness(parts[0]) if parts else '密码强度不足，容易被猜中。'}{TRY_ANOTHER}"


def _weakness(match: dict) -> str:
    pattern = match["pattern"]
    if pattern == "dictionary":
        source = match["dictionary_name"]
        if source == "user_inputs":
            if match["matched_word"] in SITE_WORDS:
                return f"密码以本系统的名称等常用词（如 {match['matched_word']}）为主，容易被猜中。"
            return "密码含有您的用户名、电子邮箱或手机号码等个人信息，容易被猜中。"
        if source == "passwords":
            if match.get("l33t") or match.get("reversed"):
                return "该密码与常见密码相似（只替换了个别字符或倒写），容易被猜中。"
            return "该密码过于常见，容易被猜中。"
        if source in ("surnames", "male_names", "female_names"):
            return "密码以常见人名为主，容易被猜中。"
        return "密码以常见英文单词为主，容易被猜中。"
    return {
        "spatial": "密码是键盘上相邻的按键（如 qwerty、1qaz2wsx），容易被猜中。",
        "repeat": "密码由重复字符组成，容易被猜中。",
        "sequence": "密码含有连续的字母或数字（如 abcd、1234），容易被猜中。",
        "regex": "密码以年份为主，容易被猜中。",
        "date": "密码以日期为主，容易被猜中。",
    }.get(pattern, "密码强度不足，容易被猜中。")


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
def load_user(session_id: str):
    """Load the user of a login cookie; a disabled user or a changed password ends it."""
    user_id, _, token = session_id.partition(":")
    number = whole_number(user_id)
    user = db.session.get(User, number) if number is not None else None
    if user is None or not user.is_active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


@bp.before_app_request
def require_login():
    """Every page needs a signed-in user; a user with a temporary password must change it."""
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api":
        return None  # the API authenticates by token (rectify/api)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.must_change_password and request.endpoint not in (
        "auth.change_password",
        "auth.logout",
    ):
        flash("请先修改初始密码。", "warning")
        return redirect(url_for("auth.change_password"))
    return None


def _login_key() -> str:
    username = (request.form.get("username") or "").strip().lower()
    return f"{request.remote_addr}|{username}"


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
@limiter.limit(
    lambda: current_app.config["RECTIFY_LOGIN_RATE_LIMIT"],
    key_func=_login_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    username = form.username.data.strip().lower()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), form.password.data)  # same time as a real check
    if user is None or not user.check_password(form.password.data):
        return render_template("auth/login.html", form=form, error=LOGIN_FAILED), 401
    if not user.is_active:
        return render_template("auth/login.html", form=form, error=ACCOUNT_DISABLED), 403
    login_user(user, remember=form.remember.data)
    user.last_login_at = utcnow()
    db.session.commit()
    target = request.args.get("next")
    return redirect(target if is_local_path(target) else url_for("main.index"))


@bp.route("/logout", methods=["POST"])
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        user.set_password(form.new.data)
        user.must_change_password = False
        audit.record(user, "change_password", user)
        db.session.commit()
        login_user(user)  # the new session token signs out every other session
        flash("密码已修改。", "success")
        return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


class TokenForm(Form):
    name = StringField("用途（如：OA 对接、本科室脚本）", validators=[DataRequired("请填写用途。")])
    submit = SubmitField("创建访问令牌")


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """API access tokens of the signed-in user: create (shown once) and revoke."""
    from .api.tokens import create_token
    from .models import ApiToken

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

    from .api.tokens import revoke_token as revoke
    from .models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404, description="未找到该访问令牌。")
    EmptyForm().validate_on_submit()
    if token.revoked_at is None:
        revoke(token, current_user._get_current_object())
        db.session.commit()
    flash("访问令牌已撤销。", "success")
    return redirect(url_for("auth.tokens"))
