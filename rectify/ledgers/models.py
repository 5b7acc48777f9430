"""Ledgers made in the background, and how far each has got."""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rectify.accounts.models import User
from rectify.core.enums import LabeledEnum, enum_column_type
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow


class ExportState(LabeledEnum):
    QUEUED = ("queued", "排队中")
    RUNNING = ("running", "生成中")
    DONE = ("done", "已完成")
    FAILED = ("failed", "失败")


class LedgerExport(db.Model):
    """A large ledger made in the background for one user, and how far it has got.

    The row, not the process making the file, is what the progress page reads, so any web
    process can show it. ``updated_at`` is a heartbeat: a job that stops beating (its process
    was stopped) is shown as interrupted (see ``rectify.ledgers.background``).
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
