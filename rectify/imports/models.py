"""The record of each import of a findings workbook."""
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rectify.accounts.models import User
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.tracking.models import Batch


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
    # What it changed on measures that existed (merge.py): {"fields": [{measure, field, old, new}],
    # "progress": [ids], "deleted": [ids], "memory": {measure id: imported_values before}}, for undo.
    changes: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    undone_at: Mapped[Optional[datetime]]
    undone_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    batch: Mapped["Batch"] = relationship()
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    undone_by: Mapped[Optional[User]] = relationship(foreign_keys=[undone_by_id])


class ImportMapping(db.Model):
    """A column mapping a user confirmed, for the next workbook with the same headers."""

    layout: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    headers: Mapped[list[str]] = mapped_column(sa.JSON)  # as found, to show what it was made for
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
