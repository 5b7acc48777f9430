"""In-app notices: marking them read, by id, all of them, or those about a ticket being opened."""
from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.models import Notification, User


def mark_read(user: User, now: datetime, ids: Optional[Iterable[int]] = None) -> int:
    """Mark ``user``'s unread notices read (only ``ids`` when given); returns how many."""
    marked = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        marked = marked.where(Notification.id.in_(list(ids) or [0]))
    return db.session.execute(marked.values(read_at=now)).rowcount


def mark_ticket_read(user: User, problem_id: int, now: datetime) -> int:
    """Opening a ticket reads the notices that link only to it."""
    unread = db.session.execute(sa.select(Notification.id, Notification.problem_ids).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).all()
    ids = [id_ for id_, problems in unread if problems and set(problems) == {problem_id}]
    return mark_read(user, now, ids) if ids else 0
