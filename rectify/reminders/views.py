"""站内通知: the bell in the navigation bar, the notifications page, and each user's 通知设置."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from rectify.core.extensions import db
from rectify.core.forms import EmptyForm
from rectify.core.timeutil import utcnow
from rectify.models import Notice, Notification
from rectify.reminders import reading
from rectify.reminders.forms import NoticeChoicesForm
from rectify.reminders.preferences import email_choices, save_choices

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
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
    latest = (sa.select(Notification).where(Notification.user_id == current_user.id)
              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PAGE))
    items = db.session.scalars(latest).all()
    unread = {n.id for n in items if n.read_at is None}
    if unread:
        reading.mark_read(current_user._get_current_object(), utcnow(), ids=unread)
        db.session.commit()
        # The commit expired them: one query reads them back, not one per notice as the page shows it.
        items = db.session.scalars(latest).all()
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


@bp.route("/settings", methods=["GET", "POST"])
def preferences():
    """通知设置: how this user wants e-mail about each kind of event."""
    user = current_user._get_current_object()
    form = NoticeChoicesForm.for_choices(email_choices([user])[user])
    if form.validate_on_submit():
        save_choices(user, form.choices())
        db.session.commit()
        flash("通知设置已保存。", "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/settings.html", form=form, has_email=bool(user.email)), \
        400 if form.errors else 200
