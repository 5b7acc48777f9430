"""Administrators' pages of the reminders: 提醒设置 (the rule thresholds and the default e-mail
choices for workflow events) and Webhooks (addresses other systems gave, with their delivery logs)."""
import secrets

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from rectify.accounts import audit
from rectify.core.extensions import db
from rectify.core.forms import EmptyForm
from rectify.models import Delivery, Webhook
from rectify.reminders.forms import SETTING_FIELDS, NoticeChoicesForm, ReminderSettingsForm, WebhookForm
from rectify.reminders.preferences import defaults, save_defaults
from rectify.reminders.settings import effective, save
from rectify.tracking.access import require
from rectify.tracking.permissions import can_manage_users

settings_bp = Blueprint("reminders", __name__, url_prefix="/admin/reminders")
webhooks_bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


@settings_bp.before_request
@webhooks_bp.before_request
def admins_only():
    require(can_manage_users(current_user))


@settings_bp.route("", methods=["GET", "POST"])
def settings():
    """提醒设置: the thresholds of the reminder rules over the configured defaults, and the default
    e-mail choices for workflow events (each user may choose otherwise)."""
    values = effective()
    form = ReminderSettingsForm(data={field: values[key] for field, key in SETTING_FIELDS.items()})
    notices = NoticeChoicesForm.for_choices(defaults(), prefix="notice")
    if form.validate_on_submit() and notices.validate():
        changes = {key: getattr(form, field).data for field, key in SETTING_FIELDS.items()}
        changes["RECTIFY_REMIND_DUE_DAYS"] = ",".join(
            str(d) for d in sorted({int(x) for x in changes["RECTIFY_REMIND_DUE_DAYS"].replace("，", ",").split(",")}, reverse=True))
        by = current_user._get_current_object()
        save(changes, by)
        save_defaults(notices.choices(), by)
        db.session.commit()
        flash("提醒设置已保存，下次运行时生效。", "success")
        return redirect(url_for("reminders.settings"))
    return render_template("reminders/settings.html", form=form, notices=notices), 400 if form.errors else 200


@webhooks_bp.route("", methods=["GET", "POST"])
def webhooks():
    form = WebhookForm()
    if form.validate_on_submit():
        hook = Webhook(name=form.name.data.strip(), url=form.url.data.strip(),
                       secret=form.secret.data.strip() or secrets.token_urlsafe(24), created_by_id=current_user.id)
        db.session.add(hook)
        db.session.flush()
        audit.record(current_user._get_current_object(), "create", hook, {"url": [None, hook.url]})
        db.session.commit()
        flash(f"已添加 Webhook“{hook.name}”。签名密钥：{hook.secret}（请配置到接收方）", "success")
        return redirect(url_for("webhooks.webhooks"))
    hooks = db.session.scalars(sa.select(Webhook).order_by(Webhook.id)).all()
    counts = {(hook_id, status): n for hook_id, status, n in db.session.execute(
        sa.select(Delivery.webhook_id, Delivery.status, sa.func.count()).where(Delivery.webhook_id.is_not(None))
        .group_by(Delivery.webhook_id, Delivery.status))}
    return render_template("webhooks/index.html", form=form, hooks=hooks, counts=counts, button=EmptyForm(formdata=None)), \
        400 if form.errors else 200


@webhooks_bp.route("/<int:hook_id>")
def deliveries(hook_id):
    """One webhook's delivery log: the last 200 events sent to it, with their state and errors."""
    hook = db.get_or_404(Webhook, hook_id, description="未找到该 Webhook。")
    rows = db.session.scalars(sa.select(Delivery).where(Delivery.webhook_id == hook.id)
                              .order_by(Delivery.id.desc()).limit(200)).all()
    return render_template("webhooks/deliveries.html", hook=hook, rows=rows)


@webhooks_bp.route("/<int:hook_id>/<any(enable, disable):action>", methods=["POST"])
def switch(hook_id, action):
    hook = db.get_or_404(Webhook, hook_id, description="未找到该 Webhook。")
    EmptyForm().validate_on_submit()
    if hook.is_active != (action == "enable"):
        hook.is_active = action == "enable"
        audit.record(current_user._get_current_object(), "update", hook, {"is_active": [not hook.is_active, hook.is_active]})
        db.session.commit()
    flash(f"Webhook“{hook.name}”已{'启用' if hook.is_active else '停用'}。", "success")
    return redirect(url_for("webhooks.webhooks"))
