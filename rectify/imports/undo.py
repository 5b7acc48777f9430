"""Taking an import back: what it created goes and what it changed is put back, as long as
nobody has worked on it since.

The same operation for every door (the 导入 page, ``flask findings undo``). Fields the import
changed on measures that already existed get their old values again (audited and announced like
an edit) unless one of them was changed again since; measures it deleted come back; progress it
wrote goes.
"""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from rectify.accounts import audit
from rectify.core.extensions import db
from rectify.imports.merge import FIELDS, Names, revert
from rectify.models import (
    Event,
    Evidence,
    ExtensionRequest,
    ImportRecord,
    Measure,
    Notice,
    Notification,
    Plan,
    Problem,
    ProgressUpdate,
    User,
)
from rectify.tracking.workflow import AUDITED_FIELDS, announce_assignment


class UndoRefused(Exception):
    """The import cannot be taken back; the message says why."""


def worked_on(record: ImportRecord) -> bool:
    """Whether anyone has touched what ``record`` created: signed for it, reported on it (beyond
    the progress the import itself wrote), attached evidence, asked for more time, edited it, or
    drafted a 整改方案 for one of its problems."""
    measure_ids = record.created_ids.get("measures", [])
    if not measure_ids:
        return False
    touched = sa.or_(Measure.version > 1, Measure.acknowledged_at.is_not(None), Measure.deleted_at.is_not(None))
    others = ProgressUpdate.author_id.is_not(None)
    if record.created_by_id is not None:
        others = sa.and_(others, ProgressUpdate.author_id != record.created_by_id)
    checks = [
        sa.select(Plan.id).where(Plan.problem_id.in_(record.created_ids.get("problems") or [0])),
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
        raise UndoRefused("该次导入新建的问题或措施已有人签收、填报、修改或起草整改方案，不能撤销。")
    _revert_changes(record, by, now)
    measure_ids = record.created_ids.get("measures", []) or [0]
    db.session.execute(sa.delete(ProgressUpdate).where(ProgressUpdate.measure_id.in_(measure_ids)))
    db.session.execute(sa.delete(Notice).where(Notice.measure_id.in_(measure_ids)))  # reminders about them
    # Notices already given (an assignment) stay as they were told; they no longer point at the measure.
    db.session.execute(sa.update(Event).where(Event.measure_id.in_(measure_ids)).values(measure_id=None))
    db.session.execute(sa.update(Notification).where(Notification.measure_id.in_(measure_ids)).values(measure_id=None))
    for measure in db.session.scalars(sa.select(Measure).where(Measure.id.in_(measure_ids))):
        db.session.delete(measure)
    db.session.flush()
    for problem in db.session.scalars(sa.select(Problem).where(Problem.id.in_(record.created_ids.get("problems") or [0]))):
        if not problem.measures:
            db.session.execute(sa.update(Event).where(Event.problem_id == problem.id).values(problem_id=None))
            db.session.delete(problem)
    record.undone_at, record.undone_by = now, by
    audit.record(by, "undo_import", record.batch, {"import": [record.filename, None]})
    db.session.flush()
    return len(record.created_ids.get("measures", []))


def _revert_problems(changes: list[dict], by: Optional[User], names: Names) -> None:
    """Put back a problem's own fields the import filled or took from the sheet."""
    from rectify.imports.writer import PROBLEM_LABELS, problem_values, put_problem

    problems = {p.id: p for p in db.session.scalars(
        sa.select(Problem).where(Problem.id.in_({c["problem"] for c in changes} or [0])))}
    for change in changes:
        problem = problems.get(change["problem"])
        if problem is not None and problem_values(problem)[change["field"]] != change["new"]:
            raise UndoRefused(f"问题“{problem.description[:30]}”的{PROBLEM_LABELS[change['field']]}在导入后又有修改，"
                              "不能撤销该次导入。")
    for change in changes:
        problem = problems.get(change["problem"])
        if problem is not None:
            before = audit.snapshot(problem, ["aspect", "category", "lead_unit", "leaders"])
            put_problem(problem, change["field"], change["old"], names)
            audit.record_changes(by, "undo_import", problem, before)


def _revert_changes(record: ImportRecord, by: Optional[User], now: datetime) -> None:
    """Put back the fields ``record`` changed, restore what it deleted, remove the progress it wrote;
    refused (UndoRefused) when a changed field has been changed again since."""
    changes = record.changes or {}
    by_measure: dict[int, list[dict]] = {}
    for change in changes.get("fields", []):
        by_measure.setdefault(change["measure"], []).append(change)
    memory = {int(k): v for k, v in changes.get("memory", {}).items()}
    ids = set(by_measure) | set(memory) | set(changes.get("deleted", []))
    measures = {m.id: m for m in db.session.scalars(sa.select(Measure).where(Measure.id.in_(ids or [0])))}
    names = Names()
    for measure_id, fields in by_measure.items():
        measure = measures.get(measure_id)
        if measure is None:
            continue
        owners_before, unit_before = list(measure.owners), measure.lead_unit
        before = audit.snapshot(measure, AUDITED_FIELDS + ["status"])

        def touched(name, measure=measure):
            raise UndoRefused(f"措施“{measure.text[:30]}”的{FIELDS[name][0]}在导入后又有修改，不能撤销该次导入。")

        revert(measure, fields, names, touched)
        if before.get("owners") != audit.plain(measure.owners) or before.get("lead_unit") != audit.plain(measure.lead_unit):
            measure.assigned_at = now
            measure.acknowledged_at = measure.acknowledged_by = None
        audit.record_changes(by, "undo_import", measure, before)
        announce_assignment(measure, by, owners_before, unit_before)
    _revert_problems(changes.get("problems", []), by, names)
    for measure_id, values in memory.items():
        if measure_id in measures:
            measures[measure_id].imported_values = values
    for measure_id in changes.get("deleted", []):
        measure = measures.get(measure_id)
        if measure is not None and measure.deleted_at is not None:
            measure.deleted_at = None
            audit.record(by, "restore", measure)
    if changes.get("progress"):
        db.session.execute(sa.delete(ProgressUpdate).where(ProgressUpdate.id.in_(changes["progress"])))
