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

from rectify.accounts import audit
from rectify.accounts.people import resolve_people
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.imports.parser import ParsedMeasure, ParsedProblem
from rectify.imports.report import Report
from rectify.models import (
    Batch,
    Department,
    Measure,
    MeasureStatus,
    Person,
    Problem,
    ProgressUpdate,
    SourceKind,
    UpdateKind,
    User,
)
from rectify.tracking.models import (
    measure_cooperating_units,
    measure_leaders,
    measure_owners,
    problem_leaders,
)


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
        (_key(p.number), _key(p.description), _key(p.location)): p
        for p in db.session.scalars(
            sa.select(Problem).where(Problem.batch_id == batch.id, Problem.deleted_at.is_(None))
            .options(selectinload(Problem.measures).selectinload(Measure.owners),
                     selectinload(Problem.measures).selectinload(Measure.leaders),
                     selectinload(Problem.measures).selectinload(Measure.cooperating_units),
                     selectinload(Problem.leaders))
        )
    }
    position = len(existing)
    fresh, added = [], []
    for parsed in problems:
        problem = existing.get((_key(parsed.number), _key(parsed.description), _key(parsed.location)))
        if problem is None:
            position += 1
            fresh.append((position, parsed))
            continue
        added += _update_problem(problem, parsed, units, people, by, report)
    db.session.flush()
    report.created_ids = _insert_new(batch, fresh, units, people, by, report)
    report.created_ids["measures"] += [m.id for m in added]
    report.problems = len(problems)
    report.measures = sum(len(p.measures) for p in problems)
    audit.record(by, "import", batch, {"import": [None, {
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged}]})
    return batch


def _update_problem(problem, parsed, units, people, by, report) -> list[Measure]:
    """Re-import of a known problem: update it and its measures in place; return the measures added."""
    added = []
    changed = _assign(problem, dict(aspect=parsed.aspect, category=parsed.category, lead_unit=units.get(parsed.unit),
                                    leaders=[people[n] for n in parsed.leaders]))
    unmatched = [m for m in problem.measures if m.deleted_at is None]
    for order, item in enumerate(parsed.measures, start=1):
        # Matched on text, and on the unit too first: a problem listed for several units has
        # one measure of the same text per unit.
        measure = next((m for m in unmatched if _key(m.text) == _key(item.text)
                        and (m.lead_unit.name if m.lead_unit else None) == item.unit), None) \
            or next((m for m in unmatched if _key(m.text) == _key(item.text)), None)
        if measure is not None:
            unmatched.remove(measure)
        else:
            measure = Measure(problem=problem, text=item.text, status=item.status or MeasureStatus.NOT_STARTED)
            db.session.add(measure)
            added.append(measure)
            report.created["measures"] += 1
            changed = True
        changed = _write_measure(measure, item, order, units, people, by, report) or changed
    (report.updated if changed else report.unchanged)["problems"] += 1
    return added


def _insert_new(batch, fresh, units, people, by, report) -> dict:
    """New problems and their measures, inserted in bulk: an office's first import of a
    20,000-row ledger is a few statements, not 100,000 ORM objects."""
    if not fresh:
        return {"problems": [], "measures": []}
    now = utcnow()
    _bulk(Problem, [
        dict(batch_id=batch.id, position=position, number=p.number, description=p.description, aspect=p.aspect,
             category=p.category, location=p.location, lead_unit_id=_id(units.get(p.unit)), created_at=now,
             updated_at=now)
        for position, p in fresh
    ])
    # Ids by (batch, position), which is unique for new problems: no RETURNING needed, and SQLite
    # would run a RETURNING insert row by row to keep the order.
    by_position = dict(db.session.execute(
        sa.select(Problem.position, Problem.id).where(Problem.batch_id == batch.id, Problem.position >= fresh[0][0])
    ).all())
    problem_ids = [by_position[position] for position, _ in fresh]
    _bulk(problem_leaders, [dict(problem_id=pid, person_id=people[name].id)
                            for pid, (_, p) in zip(problem_ids, fresh) for name in p.leaders])
    rows, items = [], []
    for pid, (_, p) in zip(problem_ids, fresh):
        for order, item in enumerate(p.measures, start=1):
            deadline = item.deadline
            rows.append(dict(
                problem_id=pid, position=order, text=item.text, goal=item.goal, note=item.note,
                is_problem_itself=item.is_problem_itself, completed_on=item.completed_on,
                lead_unit_id=_id(units.get(item.unit)),
                due_on=deadline.due_on, deadline_text=(deadline.text or None) and deadline.text[:100],
                is_immediate=deadline.is_immediate, is_long_term=deadline.is_long_term,
                status=item.status or MeasureStatus.NOT_STARTED, assigned_at=now, created_at=now, updated_at=now,
                version=1,
            ))
            items.append(item)
    _bulk(Measure, rows)
    by_key = {(pid, position): mid for mid, pid, position in db.session.execute(
        sa.select(Measure.id, Measure.problem_id, Measure.position).where(Measure.problem_id.in_(problem_ids)))}
    measure_ids = [by_key[row["problem_id"], row["position"]] for row in rows]
    _bulk(measure_owners, [dict(measure_id=mid, person_id=people[n].id)
                           for mid, item in zip(measure_ids, items) for n in item.owners])
    _bulk(measure_leaders, [dict(measure_id=mid, person_id=people[n].id)
                            for mid, item in zip(measure_ids, items) for n in item.leaders])
    _bulk(measure_cooperating_units, [dict(measure_id=mid, department_id=units[u].id)
                                      for mid, item in zip(measure_ids, items) for u in item.cooperating if u in units])
    _bulk(ProgressUpdate, [dict(measure_id=mid, kind=UpdateKind.PROGRESS, text=item.progress,
                                author_id=by.id if by else None, created_at=now)
                           for mid, item in zip(measure_ids, items) if item.progress])
    report.created["problems"] += len(problem_ids)
    report.created["measures"] += len(measure_ids)
    return {"problems": problem_ids, "measures": measure_ids}


def _bulk(target, rows, chunk=5000):
    """Insert ``rows`` with Core executemany (the ORM's bulk path runs row by row with RETURNING)."""
    target = getattr(target, "__table__", target)
    for start in range(0, len(rows), chunk):
        db.session.execute(sa.insert(target), rows[start:start + chunk])


def _id(obj):
    return obj.id if obj is not None else None


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
        position=order, goal=item.goal, note=item.note, is_problem_itself=item.is_problem_itself,
        lead_unit=units.get(item.unit),
        cooperating_units=[units[u] for u in item.cooperating if u in units],
        leaders=[people[n] for n in item.leaders], owners=[people[n] for n in item.owners],
        due_on=item.deadline.due_on, deadline_text=(item.deadline.text or None) and item.deadline.text[:100],
        is_immediate=item.deadline.is_immediate, is_long_term=item.deadline.is_long_term,
    )
    is_new = measure.id is None
    if not is_new and item.status is not None and item.status is not measure.status:
        fields["status"] = item.status
    if item.completed_on is not None:
        fields["completed_on"] = item.completed_on
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
