"""Taking an import back: what it created goes, as long as nobody has worked on it since.

The same operation for every door (the 导入 page, ``flask findings undo``); updates the import
made to measures that already existed are not reverted.
"""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from rectify.accounts import audit
from rectify.core.extensions import db
from rectify.models import (
    Evidence,
    ExtensionRequest,
    ImportRecord,
    Measure,
    Notice,
    Problem,
    ProgressUpdate,
    User,
)


class UndoRefused(Exception):
    """The import cannot be taken back; the message says why."""


def worked_on(record: ImportRecord) -> bool:
    """Whether anyone has touched what ``record`` created: signed for it, reported on it (beyond
    the progress the import itself wrote), attached evidence, asked for more time, edited it."""
    measure_ids = record.created_ids.get("measures", [])
    if not measure_ids:
        return False
    touched = sa.or_(Measure.version > 1, Measure.acknowledged_at.is_not(None), Measure.deleted_at.is_not(None))
    others = ProgressUpdate.author_id.is_not(None)
    if record.created_by_id is not None:
        others = sa.and_(others, ProgressUpdate.author_id != record.created_by_id)
    checks = [
        sa.select(Measure.id).where(Measure.id.in_(measure_ids), touched),
        sa.select(Evidence.id).where(Evidence.measure_id.in_(measure_ids)),
        sa.select(ExtensionRequest.id).where(ExtensionRequest.measure_id.in_(measure_ids)),
        sa.select(ProgressUpdate.id).where(ProgressUpdate.measure_id.in_(measure_ids), others),
    ]
    return any(db.session.scalar(check.limit(1)) is not None for check in checks)


def undo_import(record: ImportRecord, by: Optional[User], now: datetime) -> int:
    """Delete what ``record`` created; returns how many measures went. The caller commits."""
    if record.undone_at is not None:
        raise UndoRefused("该次导入已撤销。")
    if worked_on(record):
        raise UndoRefused("该次导入新建的措施已有人签收、填报或修改，不能撤销。")
    measure_ids = record.created_ids.get("measures", []) or [0]
    db.session.execute(sa.delete(ProgressUpdate).where(ProgressUpdate.measure_id.in_(measure_ids)))
    db.session.execute(sa.delete(Notice).where(Notice.measure_id.in_(measure_ids)))  # reminders about them
    for measure in db.session.scalars(sa.select(Measure).where(Measure.id.in_(measure_ids))):
        db.session.delete(measure)
    db.session.flush()
    for problem in db.session.scalars(sa.select(Problem).where(Problem.id.in_(record.created_ids.get("problems") or [0]))):
        if not problem.measures:
            db.session.delete(problem)
    record.undone_at, record.undone_by = now, by
    audit.record(by, "undo_import", record.batch, {"import": [record.filename, None]})
    db.session.flush()
    return len(record.created_ids.get("measures", []))
