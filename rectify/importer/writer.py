"""Writing parsed findings into a batch, in the caller's single transaction.

Re-importing the same sheet into the same batch updates in place: a problem is matched on
its number and text, a measure on its problem and text. Units are matched by exact name;
a new unit close to an existing one (组织人事科 / 组织人事股) is flagged with the suggestion.
People are linked to the user with the same 姓名 when there is exactly one.
"""
import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import (
    Batch,
    Department,
    Measure,
    MeasureStatus,
    Person,
    Problem,
    ProgressUpdate,
    SourceKind,
    User,
)
from ..people import resolve_people
from .parser import ParsedMeasure, ParsedProblem
from .report import Report


@dataclass(frozen=True)
class BatchSpec:
    title: str
    kind: SourceKind = SourceKind.OTHER
    feedback_on: Optional[date] = None


def _key(text: Optional[str]) -> str:
    return re.sub(r"\s+", "", text or "")


def find_batch(spec: BatchSpec) -> Optional[Batch]:
    return db.session.scalar(sa.select(Batch).where(Batch.title == spec.title))


def write(problems: list[ParsedProblem], spec: BatchSpec, by: Optional[User], report: Report) -> Batch:
    """Create or update the batch's problems and measures; fills the report's counts."""
    batch = find_batch(spec)
    if batch is None:
        batch = Batch(title=spec.title, kind=spec.kind, feedback_on=spec.feedback_on, created_by=by)
        db.session.add(batch)
        db.session.flush()
    report.batch = batch.title
    units = _units(problems, report)
    people = _people(problems, report)
    existing = {
        (_key(p.number), _key(p.description)): p
        for p in db.session.scalars(
            sa.select(Problem).where(Problem.batch_id == batch.id, Problem.deleted_at.is_(None))
            .options(selectinload(Problem.measures).selectinload(Measure.owners),
                     selectinload(Problem.measures).selectinload(Measure.leaders),
                     selectinload(Problem.measures).selectinload(Measure.cooperating_units),
                     selectinload(Problem.leaders))
        )
    }
    position = len(existing)
    new_problems, new_measures = [], []
    for parsed in problems:
        problem = existing.get((_key(parsed.number), _key(parsed.description)))
        if problem is None:
            position += 1
            problem = Problem(batch=batch, position=position, number=parsed.number, description=parsed.description)
            db.session.add(problem)
            report.created["problems"] += 1
            new_problems.append(problem)
            changed = True
        else:
            changed = False
        fields = dict(aspect=parsed.aspect, category=parsed.category, lead_unit=units.get(parsed.unit),
                      leaders=[people[n] for n in parsed.leaders])
        changed = _assign(problem, fields) or changed
        measures_changed = False
        known = {_key(m.text): m for m in problem.measures if m.deleted_at is None}
        for order, item in enumerate(parsed.measures, start=1):
            measure = known.get(_key(item.text))
            if measure is None:
                measure = Measure(problem=problem, text=item.text, status=item.status or MeasureStatus.NOT_STARTED)
                db.session.add(measure)
                new_measures.append(measure)
                report.created["measures"] += 1
                measures_changed = True
            measures_changed |= _write_measure(measure, item, order, units, people, by, report)
        if problem.id is not None and not changed and not measures_changed:
            report.unchanged["problems"] += 1
        elif problem.id is not None and problem not in db.session.new:
            report.updated["problems"] += 1
    report.problems = len(problems)
    report.measures = sum(len(p.measures) for p in problems)
    db.session.flush()
    report.created_ids = {"problems": [p.id for p in new_problems], "measures": [m.id for m in new_measures]}
    audit.record(by, "import", batch, {"import": [None, {
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged}]})
    return batch


def _assign(obj, fields: dict) -> bool:
    changed = False
    for name, value in fields.items():
        current = getattr(obj, name)
        if (list(current) if isinstance(current, list) else current) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _write_measure(measure, item: ParsedMeasure, order, units, people, by, report) -> bool:
    """Set the measure's fields from the sheet; True when an existing measure changed."""
    fields = dict(
        position=order, goal=item.goal, lead_unit=units.get(item.unit),
        cooperating_units=[units[u] for u in item.cooperating if u in units],
        leaders=[people[n] for n in item.leaders], owners=[people[n] for n in item.owners],
        due_on=item.deadline.due_on, deadline_text=(item.deadline.text or None) and item.deadline.text[:100],
        is_immediate=item.deadline.is_immediate, is_long_term=item.deadline.is_long_term,
    )
    is_new = measure.id is None
    if not is_new and item.status is not None and item.status is not measure.status:
        fields["status"] = item.status
    changed = _assign(measure, fields) and not is_new
    if not is_new:
        (report.updated if changed else report.unchanged)["measures"] += 1
    if item.progress and not _has_progress(measure, item.progress):
        db.session.add(ProgressUpdate(measure=measure, text=item.progress, author=by))
    return changed


def _has_progress(measure, text) -> bool:
    if measure.id is None:
        return False
    return db.session.scalar(
        sa.select(ProgressUpdate.id).where(ProgressUpdate.measure_id == measure.id, ProgressUpdate.text == text)
    ) is not None


def _units(problems, report) -> dict[str, Department]:
    """Every unit named, existing or new (with a warning, and a suggestion when one is close)."""
    named = []
    for p in problems:
        for name in [p.unit, *(n for m in p.measures for n in [m.unit, *m.cooperating])]:
            if name and name not in named:
                named.append(name)
    known = {d.name: d for d in db.session.scalars(sa.select(Department))}
    for name in named:
        if name in known:
            continue
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.75)
        hint = f"，与已有单位“{'”“'.join(close)}”相近，请确认是否为同一单位" if close else ""
        report.warn(None, None, None, f"新建单位“{name}”{hint}。")
        known[name] = Department(name=name)
        db.session.add(known[name])
        report.created["units"] += 1
    return known


def _people(problems, report) -> dict[str, Person]:
    names = []
    for p in problems:
        for name in [*p.leaders, *(n for m in p.measures for n in [*m.leaders, *m.owners])]:
            if name not in names:
                names.append(name)
    before = set(db.session.scalars(sa.select(Person.name).where(Person.name.in_(names))))
    people = dict(zip(names, resolve_people(names)))
    new = [n for n in names if n not in before]
    if new:
        linked = [n for n in new if people[n].user is not None]
        report.warn(None, None, None, f"新增人员 {len(new)} 名：{'、'.join(new[:20])}{'等' if len(new) > 20 else ''}"
                    f"（其中 {len(linked)} 名已按姓名关联到用户账号）。")
        report.created["people"] += len(new)
    return people
