"""What happened: progress, evidence, extension requests, notifications and the audit trail."""
from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rectify.extensions import db
from rectify.timeutil import utcnow
from rectify.models.enums import ExportState, ExtensionStatus, UpdateKind, enum_column_type
from rectify.models.org import Department, User
from rectify.models.rectification import Batch, Measure


class ProgressUpdate(db.Model):
    """An entry on a measure's timeline: progress, submission, return or sign-off."""

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measure.id"), index=True)
    kind: Mapped[UpdateKind] = mapped_column(enum_column_type(UpdateKind), default=UpdateKind.PROGRESS)
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    measure: Mapped[Measure] = relationship()
    author: Mapped[Optional[User]] = relationship()
    evidence: Mapped[list["Evidence"]] = relationship(back_populates="progress_update")


class Evidence(db.Model):
    """Metadata of an evidence file (佐证材料); the content is stored by its SHA-256."""

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measure.id"), index=True)
    progress_update_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("progress_update.id"))
    filename: Mapped[str] = mapped_column(sa.String(255))  # the original name, Chinese kept
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(sa.String(100))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[Optional[datetime]]

    measure: Mapped[Measure] = relationship()
    progress_update: Mapped[Optional[ProgressUpdate]] = relationship(back_populates="evidence")
    uploaded_by: Mapped[Optional[User]] = relationship()


class ExtensionRequest(db.Model):
    """A request to move a measure's deadline (延期申请) and its decision."""

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measure.id"), index=True)
    old_due_on: Mapped[Optional[date]]
    new_due_on: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ExtensionStatus] = mapped_column(
        enum_column_type(ExtensionStatus), default=ExtensionStatus.PENDING
    )
    requested_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[Optional[datetime]]
    decision_reason: Mapped[Optional[str]] = mapped_column(sa.Text)

    measure: Mapped[Measure] = relationship()
    requested_by: Mapped[Optional[User]] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])

    @property
    def days_requested(self) -> Optional[int]:
        if self.old_due_on is None:
            return None
        return (self.new_due_on - self.old_due_on).days


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


class AuditLog(db.Model):
    """One change by one actor: ``changes`` maps each field to ``[old, new]``. Never edited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))  # None: the system
    action: Mapped[str] = mapped_column(sa.String(50))
    object_type: Mapped[str] = mapped_column(sa.String(50))
    object_id: Mapped[Optional[int]]
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[Optional[User]] = relationship()

    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)


class ImportRecord(db.Model):
    """One import of a findings workbook: who, when, which file, what it did; undoable
    while nothing it created has been worked on."""

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(sa.String(10), default="web")  # the door: web, api, cli
    problems: Mapped[int] = mapped_column(default=0)
    measures: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # created / updated / unchanged
    created_ids: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # {"problems": [...], "measures": [...]}
    undone_at: Mapped[Optional[datetime]]
    undone_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    batch: Mapped["Batch"] = relationship()
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    undone_by: Mapped[Optional[User]] = relationship(foreign_keys=[undone_by_id])


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


class SchedulerLock(db.Model):
    """Which scheduler process may run jobs (SQLite; PostgreSQL uses an advisory lock)."""

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(100))
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobRun(db.Model):
    """One run of a scheduled job: for the admin page, and to see that the scheduler lives."""

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(50), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
    ok: Mapped[Optional[bool]]
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class Setting(db.Model):
    """A setting an administrator changed in the UI; it overrides the configured default."""

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))


class DataRevision(db.Model):
    """One row whose counter the database itself bumps, by triggers, in every transaction
    that writes batches, problems, measures, people or their links (migration 0010).

    Counts cached under a revision are therefore never served after a write has committed,
    whichever process or command made it. See ``rectify.revision``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class LedgerExport(db.Model):
    """A large ledger made in the background for one user, and how far it has got.

    The row, not the process making the file, is what the progress page reads, so any web
    process can show it. ``updated_at`` is a heartbeat: a job that stops beating (its process
    was stopped) is shown as interrupted (see ``rectify.ledger.background``).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    query: Mapped[str] = mapped_column(sa.Text)  # the board's filters, as a URL query (any length)
    title: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(255))
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    state: Mapped[ExportState] = mapped_column(enum_column_type(ExportState), default=ExportState.QUEUED)
    error: Mapped[Optional[str]] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()
