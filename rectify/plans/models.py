"""A unit's 整改方案 for a problem: the measures it proposes, and what the supervisor decided."""
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rectify.accounts.models import User
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.tracking.models import Problem


class Plan(db.Model):
    """One proposal of measures for a problem: the first plan of a problem listed without
    measures (kind "initial"), or a change to a live plan (kind "change": measures added, or one
    split — ``replaces`` names the measure it takes the place of).

    ``measures`` holds the proposal as written: [{"text", "deadline", "people", "unit",
    "cooperating", "replaces"}]; approving it makes them measures. States: draft, submitted,
    approved, returned (with ``reason``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(sa.ForeignKey("problem.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="initial")
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", index=True)
    measures: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    drafted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[Optional[datetime]]
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[Optional[datetime]]
    reason: Mapped[Optional[str]] = mapped_column(sa.Text)

    problem: Mapped[Problem] = relationship()
    drafted_by: Mapped[Optional[User]] = relationship(foreign_keys=[drafted_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])
