"""The scheduler's lock and the record of each job's runs."""
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rectify.core.extensions import db
from rectify.core.timeutil import utcnow


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
