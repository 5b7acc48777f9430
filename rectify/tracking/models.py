"""What: batches of findings, their problems, the measures that rectify them, and what happened to
each measure (progress, evidence, extension requests)."""
from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rectify.accounts.models import Department, Person, User
from rectify.core.enums import enum_column_type
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.tracking.enums import ExtensionStatus, MeasureStatus, SourceKind, UpdateKind


def _link_table(name: str, owner: str, target: str) -> sa.Table:
    """A many-to-many table: rows go when their ``owner`` row goes, never their ``target``."""
    return sa.Table(
        name,
        db.metadata,
        sa.Column(f"{owner}_id", sa.ForeignKey(f"{owner}.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(f"{target}_id", sa.ForeignKey(f"{target}.id"), primary_key=True, index=True),
    )


problem_leaders = _link_table("problem_leader", "problem", "person")


measure_leaders = _link_table("measure_leader", "measure", "person")


measure_owners = _link_table("measure_owner", "measure", "person")


measure_cooperating_units = _link_table("measure_cooperating_unit", "measure", "department")


class Batch(db.Model):
    """One inspection's findings (整改批次), e.g. 县委第三巡察组反馈意见."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SourceKind] = mapped_column(enum_column_type(SourceKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    issuer: Mapped[Optional[str]] = mapped_column(sa.String(100))
    doc_number: Mapped[Optional[str]] = mapped_column(sa.String(100))
    feedback_on: Mapped[Optional[date]]
    period_end_on: Mapped[Optional[date]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    problems: Mapped[list["Problem"]] = relationship(
        back_populates="batch", order_by="Problem.position"
    )
    created_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<Batch {self.title}>"


class Problem(db.Model):
    """A problem found by the inspection; a ticket on the board."""

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batch.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    number: Mapped[Optional[str]] = mapped_column(sa.String(32))  # as written, e.g. （一）1
    aspect: Mapped[Optional[str]] = mapped_column(sa.String(200))  # 方面
    category: Mapped[Optional[str]] = mapped_column(sa.String(200))  # 类, when the ledger has one
    description: Mapped[str] = mapped_column(sa.Text)
    location: Mapped[Optional[str]] = mapped_column(sa.String(200))  # 点位: where it was found, as listed
    lead_unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("department.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[Optional[datetime]] = mapped_column(index=True)

    batch: Mapped[Batch] = relationship(back_populates="problems")
    lead_unit: Mapped[Optional[Department]] = relationship()
    leaders: Mapped[list[Person]] = relationship(secondary=problem_leaders)
    measures: Mapped[list["Measure"]] = relationship(
        back_populates="problem", order_by="Measure.position"
    )

    def __repr__(self) -> str:
        return f"<Problem {self.number} {self.description[:20]}>"


class Measure(db.Model):
    """One rectification measure (整改措施): the unit of work with owners and a deadline.

    A deadline is a date, a kind, or both: ``is_immediate`` for 立行立改, ``is_long_term``
    for 长期坚持; "2024年底前，并长期坚持" has ``due_on`` and ``is_long_term``.
    ``is_problem_itself`` marks the one measure an import makes of a problem listed without
    measures (a 督查通报, a hazard list): its text is the problem's (or the row's 整改要求), and
    the unit is expected to rewrite or split it into real measures in its 整改方案.
    ``version`` guards against lost updates: SQLAlchemy refuses a stale UPDATE.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(sa.ForeignKey("problem.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(sa.Text)
    goal: Mapped[Optional[str]] = mapped_column(sa.Text)
    note: Mapped[Optional[str]] = mapped_column(sa.Text)  # 备注, and the imported columns no field holds
    is_problem_itself: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    lead_unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("department.id"), index=True)
    due_on: Mapped[Optional[date]]
    original_due_on: Mapped[Optional[date]]  # set when an extension first moves due_on
    deadline_text: Mapped[Optional[str]] = mapped_column(sa.String(100))  # as written
    is_immediate: Mapped[bool] = mapped_column(default=False)
    is_long_term: Mapped[bool] = mapped_column(default=False)
    status: Mapped[MeasureStatus] = mapped_column(
        enum_column_type(MeasureStatus), default=MeasureStatus.NOT_STARTED, index=True
    )
    completed_on: Mapped[Optional[date]]
    acknowledged_at: Mapped[Optional[datetime]]
    acknowledged_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    returned_at: Mapped[Optional[datetime]]  # 退回, until the next 申请销号: waiting on the owner
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[Optional[datetime]]
    version: Mapped[int] = mapped_column(default=1)
    # What the sheet said the last time an import wrote this measure (rectify/imports/merge.py):
    # a re-import changes only fields nobody has changed in the system since.
    imported_values: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # The board's columns, the list and the worklists walk measures in deadline order (within
        # a status, or all of them). The index also carries what every page asks of a measure
        # (not deleted, problem not deleted), so a deep page skips thousands of entries without
        # reading a single row, in (due_on, id) order: at offset 36,000, 8 ms instead of 120 ms on
        # SQLite, 17 ms instead of 57 ms on PostgreSQL (index-only once vacuumed).
        sa.Index("ix_measure_status_deadline", "status", "due_on", "id", "deleted_at", "problem_id"),
        sa.Index("ix_measure_deadline", "due_on", "id", "deleted_at", "problem_id"),
        # Counting live measures by status reads this index alone, not the wide rows.
        sa.Index("ix_measure_deleted_at_status", "deleted_at", "status", "problem_id"),
    )

    problem: Mapped[Problem] = relationship(back_populates="measures")
    lead_unit: Mapped[Optional[Department]] = relationship()
    cooperating_units: Mapped[list[Department]] = relationship(secondary=measure_cooperating_units)
    leaders: Mapped[list[Person]] = relationship(secondary=measure_leaders)
    owners: Mapped[list[Person]] = relationship(secondary=measure_owners)
    acknowledged_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<Measure {self.id} {self.text[:20]}>"


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


class DataRevision(db.Model):
    """One row whose counter the database itself bumps, by triggers, in every transaction
    that writes batches, problems, measures, people or their links (migration 0010).

    Counts cached under a revision are therefore never served after a write has committed,
    whichever process or command made it. See ``rectify.tracking.revision``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, default=0)
