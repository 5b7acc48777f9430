"""What was told to whom: workflow events and who hears of each, in-app notifications, reminder
notices, the outbox, notice preferences, and the reminder thresholds an administrator changed."""
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rectify.accounts.models import Department, User
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.tracking.models import Measure, Problem


class Notification(db.Model):
    """An in-app message, written for the page: a title, a short body, and ``items``, each a line
    with its link ([{"text", "note", "url"}]); ``key`` makes a scheduled notice unique (sent exactly
    once). Opening 通知, or a ticket it links to, marks it read."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    measure_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("measure.id"), index=True)
    problem_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)  # the tickets it links to
    key: Mapped[Optional[str]] = mapped_column(sa.String(200), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    url: Mapped[Optional[str]] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()
    measure: Mapped[Optional[Measure]] = relationship()


class Event(db.Model):
    """Something that happened in the workflow that people are told of (assigned, submitted,
    returned …): recorded in the transaction that made it happen, so it is told exactly once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30), index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    measure_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("measure.id"), index=True)
    problem_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("problem.id"), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[Optional[User]] = relationship()
    measure: Mapped[Optional[Measure]] = relationship()
    problem: Mapped[Optional[Problem]] = relationship()


class EventRecipient(db.Model):
    """One person told of one event: in-app at once, by e-mail as they chose (at once, in the
    daily summary, or not). Unique per event and person."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    notification_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("notification.id"))
    email: Mapped[str] = mapped_column(sa.String(10), default="none")  # now, daily, none, sent
    delivery_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("delivery.id"))

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship()
    notification: Mapped[Optional[Notification]] = relationship()
    delivery: Mapped[Optional["Delivery"]] = relationship()

    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)


class NoticePreference(db.Model):
    """How a user wants e-mail about one category of events: now, daily (in the morning summary)
    or none. Without a row, the administrator's default for the category applies."""

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(10))


DELIVERY_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}


class Delivery(db.Model):
    """The outbox: one message (a digest) to one recipient — a user by e-mail, or a unit's
    work-chat robot — sent with retries."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True)
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("department.id"))
    webhook_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("webhook.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(20))  # email, robot, webhook
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
    webhook: Mapped[Optional["Webhook"]] = relationship()


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


class Webhook(db.Model):
    """An address another system gave: every workflow event is POSTed to it as JSON, signed with
    HMAC-SHA256 under its secret, through the outbox (retried, logged per delivery)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
