"""What was told to whom: in-app notifications, reminder notices, the outbox, and the reminder
thresholds an administrator changed."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rectify.accounts.models import Department, User
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.tracking.models import Measure


class Notification(db.Model):
    """An in-app message; ``key`` makes a scheduled notice unique (sent exactly once)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    measure_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("measure.id"), index=True)
    key: Mapped[Optional[str]] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    url: Mapped[Optional[str]] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()
    measure: Mapped[Optional[Measure]] = relationship()


DELIVERY_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}


class Delivery(db.Model):
    """The outbox: one message (a digest) to one recipient — a user by e-mail, or a unit's
    work-chat robot — sent with retries."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True)
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("department.id"))
    channel: Mapped[str] = mapped_column(sa.String(20))  # email, robot
    key: Mapped[Optional[str]] = mapped_column(sa.String(200), unique=True)  # for messages made once, e.g. a ledger
    attachment: Mapped[Optional[str]] = mapped_column(sa.String(500))  # a file under the instance folder
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[Optional[str]] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]

    user: Mapped[Optional[User]] = relationship()
    department: Mapped[Optional["Department"]] = relationship()


class Notice(db.Model):
    """One reminder of one rule about one measure to one person on one channel for one period.

    Its key is unique and written before anything is sent, so no run, crash or second
    scheduler can send the same notice twice.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measure.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True)  # None: a unit's robot
    rule: Mapped[str] = mapped_column(sa.String(30))
    level: Mapped[str] = mapped_column(sa.String(10))  # 提醒, 催办, 督办
    channel: Mapped[str] = mapped_column(sa.String(20))  # inapp, email
    notification_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("notification.id"))
    delivery_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("delivery.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    measure: Mapped[Measure] = relationship()
    user: Mapped[Optional[User]] = relationship()
    notification: Mapped[Optional[Notification]] = relationship()
    delivery: Mapped[Optional[Delivery]] = relationship()


class Setting(db.Model):
    """A setting an administrator changed in the UI; it overrides the configured default."""

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
