"""站内通知: the bell in the navigation bar and the notifications page."""
import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from rectify.extensions import db
from rectify.forms import EmptyForm
from rectify.models import Notice, Notification
from rectify.timeutil import utcnow

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
    items = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PAGE)
    ).all()
    notices = db.session.scalars(
        sa.select(Notice).where(Notice.user_id == current_user.id)
        .options(joinedload(Notice.measure), joinedload(Notice.delivery))
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(PAGE)
    ).all()
    return render_template("notifications/index.html", items=items, notices=notices, form=EmptyForm(formdata=None))


@bp.route("/read", methods=["POST"])
def mark_read():
    EmptyForm().validate_on_submit()
    db.session.execute(sa.update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return redirect(url_for("notifications.index"))
