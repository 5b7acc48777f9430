"""站内通知 (the bell in the navigation bar and the notifications page) and 提醒设置 (the reminder
thresholds, administrators only)."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, NumberRange, Regexp

from rectify.core.extensions import db
from rectify.core.forms import EmptyForm, Form
from rectify.core.timeutil import utcnow
from rectify.models import Notice, Notification
from rectify.reminders import reading
from rectify.reminders.settings import effective, save
from rectify.tracking.access import require
from rectify.tracking.permissions import can_manage_users

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
settings_bp = Blueprint("reminders", __name__, url_prefix="/admin/reminders")
PAGE = 100


@bp.app_context_processor
def unread_count():
    """The bell's number: one count query per page, only for signed-in users."""
    if not current_user.is_authenticated:
        return {}

    def count():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None)))

    return {"unread_notifications": count}


@bp.route("/")
def index():
    """The user's notices, the unread ones marked 新 — and read from now on, as opening them means."""
    items = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PAGE)
    ).all()
    unread = {n.id for n in items if n.read_at is None}
    if unread:
        reading.mark_read(current_user._get_current_object(), utcnow(), ids=unread)
        db.session.commit()
    notices = db.session.scalars(
        sa.select(Notice).where(Notice.user_id == current_user.id)
        .options(joinedload(Notice.measure), joinedload(Notice.delivery))
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(PAGE)
    ).all()
    return render_template("notifications/index.html", items=items, notices=notices, new_ids=unread,
                           form=EmptyForm(formdata=None))


@bp.route("/read", methods=["POST"])
def mark_read():
    EmptyForm().validate_on_submit()
    reading.mark_read(current_user._get_current_object(), utcnow())
    db.session.commit()
    return redirect(url_for("notifications.index"))


class ReminderSettingsForm(Form):
    due_days = StringField("到期前提醒（天，逗号分隔）", validators=[DataRequired("请填写天数。"),
                           Regexp(r"^\s*\d+(\s*[,，]\s*\d+)*\s*$", message="请填写用逗号分隔的天数，如 7,3,1。")])
    overdue_every = IntegerField("逾期后每隔几天提醒", validators=[NumberRange(1, 30, "应为 1 到 30。")])
    leader_days = IntegerField("逾期几天后同时提醒责任领导（催办）", validators=[NumberRange(0, 365, "应为 0 到 365。")])
    supervisors_days = IntegerField("逾期几天后同时提醒督办员（督办）", validators=[NumberRange(0, 365, "应为 0 到 365。")])
    unacknowledged_days = IntegerField("分派几天未签收时提醒", validators=[NumberRange(1, 60, "应为 1 到 60。")])
    monthly_day = IntegerField("长期坚持事项每月几日起提醒报送进展", validators=[NumberRange(1, 28, "应为 1 到 28。")])
    max_items = IntegerField("每条提醒最多列出几项", validators=[NumberRange(1, 500, "应为 1 到 500。")])
    submit = SubmitField("保存")


SETTING_FIELDS = {
    "due_days": "RECTIFY_REMIND_DUE_DAYS", "overdue_every": "RECTIFY_REMIND_OVERDUE_EVERY",
    "leader_days": "RECTIFY_ESCALATE_LEADER_DAYS", "supervisors_days": "RECTIFY_ESCALATE_SUPERVISORS_DAYS",
    "unacknowledged_days": "RECTIFY_REMIND_UNACKNOWLEDGED_DAYS", "monthly_day": "RECTIFY_REMIND_MONTHLY_DAY",
    "max_items": "RECTIFY_REMIND_MAX_ITEMS",
}


@settings_bp.before_request
def admins_only():
    require(can_manage_users(current_user))


@settings_bp.route("", methods=["GET", "POST"])
def settings():
    """提醒设置: the thresholds of the reminder rules, over the configured defaults."""
    values = effective()
    form = ReminderSettingsForm(data={field: values[key] for field, key in SETTING_FIELDS.items()})
    if form.validate_on_submit():
        changes = {key: getattr(form, field).data for field, key in SETTING_FIELDS.items()}
        changes["RECTIFY_REMIND_DUE_DAYS"] = ",".join(
            str(d) for d in sorted({int(x) for x in changes["RECTIFY_REMIND_DUE_DAYS"].replace("，", ",").split(",")}, reverse=True))
        save(changes, current_user._get_current_object())
        db.session.commit()
        flash("提醒设置已保存，下次运行时生效。", "success")
        return redirect(url_for("reminders.settings"))
    return render_template("reminders/settings.html", form=form), 400 if form.errors else 200
