"""Writing parsed findings into a batch, in the caller's single transaction.

Re-importing into the same batch merges (merge.py): a problem is matched on its number, text and
点位 (or through a measure's 系统编号), a measure on its 系统编号, text and unit, or on the text
the last import wrote; a field changes only where nobody has changed it in the system since the
last import, and everything else is named in the report. Units are matched by exact name;
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
from rectify.imports.merge import (
    FIELDS,
    PROTECTED,
    TOLD,
    Names,
    Resolution,
    compared_fields,
    from_sheet,
    key,
    merge_measure,
    put,
)
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
    Role,
    SourceKind,
    UpdateKind,
    User,
    Webhook,
)
from rectify.tracking.events import announce
from rectify.tracking.models import (
    measure_cooperating_units,
    measure_leaders,
    measure_owners,
    problem_leaders,
)
from rectify.tracking.workflow import AUDITED_FIELDS, announce_assignment


@dataclass(frozen=True)
class BatchSpec:
    title: str
    kind: SourceKind = SourceKind.OTHER
    feedback_on: Optional[date] = None


def _key(text: Optional[str]) -> str:
    return re.sub(r"\s+", "", text or "")


def find_batch(spec: BatchSpec) -> Optional[Batch]:
    return db.session.scalar(sa.select(Batch).where(Batch.title == spec.title))


def write(problems: list[ParsedProblem], spec: BatchSpec, by: Optional[User], report: Report,
          resolution: Resolution = Resolution()) -> Batch:
    """Create or update the batch's problems and measures; fills the report's counts, and for a
    re-import its changes, conflicts, held and missing measures (merge.py says the rules)."""
    batch = find_batch(spec)
    if batch is None:
        batch = Batch(title=spec.title, kind=spec.kind, feedback_on=spec.feedback_on, created_by=by)
        db.session.add(batch)
        db.session.flush()
    report.batch = batch.title
    _rename(problems, resolution)
    units = _units(problems, report)
    people = _people(problems, report)
    live = db.session.scalars(
        sa.select(Problem).where(Problem.batch_id == batch.id, Problem.deleted_at.is_(None))
        .options(selectinload(Problem.measures).selectinload(Measure.owners),
                 selectinload(Problem.measures).selectinload(Measure.leaders),
                 selectinload(Problem.measures).selectinload(Measure.cooperating_units),
                 selectinload(Problem.measures).selectinload(Measure.lead_unit),
                 selectinload(Problem.leaders))
    ).all()
    existing = {(_key(p.number), _key(p.description), _key(p.location)): p for p in live}
    by_id = {m.id: m for p in live for m in p.measures if m.deleted_at is None}
    merger = _Merger(by, report, resolution, Names(units, people), _compared(report))
    position = len(existing)
    fresh, added = [], []
    for parsed in problems:
        problem = existing.get((_key(parsed.number), _key(parsed.description), _key(parsed.location))) \
            or _problem_of_ids(parsed, by_id)
        if problem is None:
            position += 1
            fresh.append((position, parsed))
            continue
        added += merger.problem(problem, parsed)
    merger.missing(live)
    db.session.flush()
    report.created_ids = _insert_new(batch, fresh, units, people, by, report, merger.fields_of)
    report.created_ids["measures"] += [m.id for m in added]
    report.problems = len(problems)
    report.measures = sum(len(p.measures) for p in problems)
    report.record_changes = merger.record
    audit.record(by, "import", batch, {"import": [None, {
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged}]})
    return batch


def _compared(report: Report) -> dict[str, list[str]]:
    """Per sheet, the fields its columns speak for (an unmapped column is a note's)."""
    return {sheet["sheet"]: compared_fields({f["field"] for f in sheet["fields"]}) for sheet in report.sheets}


def _problem_of_ids(parsed: ParsedProblem, by_id: dict) -> Optional[Problem]:
    """The problem of a measure named by its 系统编号 (our own ledger back, its texts edited)."""
    for item in parsed.measures:
        if item.system_id in by_id:
            return by_id[item.system_id].problem
    return None


class _Merger:
    """Merges sheet rows into the batch's existing problems and measures, as merge.py describes."""

    def __init__(self, by, report, resolution, names, compared):
        self.by, self.report, self.resolution, self.names, self.compared = by, report, resolution, names, compared
        self.matched: set[int] = set()
        self.record = {"fields": [], "progress": [], "deleted": [], "memory": {}}

    def fields_of(self, item: ParsedMeasure) -> list[str]:
        return self.compared.get(item.sheet) or compared_fields({"*"})

    def problem(self, problem: Problem, parsed: ParsedProblem) -> list[Measure]:
        """A known problem: fill its empty fields, merge its measures; returns the measures added."""
        report, added = self.report, []
        changed = self._problem_fields(problem, parsed)
        unmatched = [m for m in problem.measures if m.deleted_at is None and m.id not in self.matched]
        for order, item in enumerate(parsed.measures, start=1):
            measure = _match(unmatched, item)
            if measure is not None:
                unmatched.remove(measure)
                self.matched.add(measure.id)
                measure.position = order
                changed = self.measure(measure, item) or changed
                continue
            measure = Measure(problem=problem, text=item.text, status=item.status or MeasureStatus.NOT_STARTED,
                              position=order, goal=item.goal, note=item.note, is_problem_itself=item.is_problem_itself,
                              completed_on=item.completed_on)
            sheet = from_sheet(item)
            for name in ("lead_unit", "cooperating_units", "leaders", "owners", "deadline"):
                put(measure, name, sheet[name], self.names)
            measure.imported_values = _memory(sheet, self.fields_of(item))
            db.session.add(measure)
            added.append(measure)
            report.created["measures"] += 1
            changed = True
        (report.updated if changed else report.unchanged)["problems"] += 1
        db.session.flush()  # the added measures' ids
        for measure in added:
            self.matched.add(measure.id)
            announce_assignment(measure, self.by)
        return added

    def _problem_fields(self, problem: Problem, parsed: ParsedProblem) -> bool:
        """The problem's own fields: filled where the system has none; a different value in the
        system is kept (and named) unless every conflict takes the sheet's."""
        wanted = {"aspect": parsed.aspect, "category": parsed.category, "lead_unit": parsed.unit,
                  "leaders": sorted(dict.fromkeys(parsed.leaders))}
        now = problem_values(problem)
        before = audit.snapshot(problem, ["aspect", "category", "lead_unit", "leaders"])
        for name, value in wanted.items():
            if not value or value == now[name]:
                continue
            taken = "sheet" if self.resolution.takes_sheet(f"p{problem.id}.{name}") else "system"
            if now[name]:
                self.report.conflicts.append(dict(
                    problem_id=problem.id, measure_id=None, number=problem.number, text=problem.description,
                    field=name, label=PROBLEM_LABELS[name], system=now[name], sheet=value, taken=taken,
                    key=f"p{problem.id}.{name}"))
                if taken == "system":
                    continue
            put_problem(problem, name, value, self.names)
            self.record.setdefault("problems", []).append({"problem": problem.id, "field": name,
                                                           "old": now[name], "new": value})
        entry = audit.record_changes(self.by, "import_update", problem, before)
        return entry is not None

    def measure(self, measure: Measure, item: ParsedMeasure) -> bool:
        """Merge one row into its measure: audited, announced, recorded for undo; True if it changed."""
        report = self.report
        before = audit.snapshot(measure, AUDITED_FIELDS + ["status"])
        owners_before, unit_before = list(measure.owners), measure.lead_unit
        memory_before = measure.imported_values
        outcome = merge_measure(measure, from_sheet(item), self.fields_of(item), self.resolution, self.names)
        where = dict(problem_id=measure.problem_id, measure_id=measure.id, number=measure.problem.number,
                     text=measure.text)
        for change in outcome.changes:
            self.record["fields"].append({"measure": measure.id, "field": change["field"],
                                          "old": change["old"], "new": change["new"]})
            report.changes.append({**where, **change, "label": FIELDS[change["field"]][0]})
        for conflict in outcome.conflicts:
            report.conflicts.append({**where, **conflict, "label": FIELDS[conflict["field"]][0],
                                     "key": key(measure.id, conflict["field"])})
        if outcome.held:
            report.held.append({**where, "status": measure.status.label,
                                "fields": [{**h, "label": FIELDS[h["field"]][0]} for h in outcome.held]})
        if memory_before != measure.imported_values:
            self.record["memory"][str(measure.id)] = memory_before
        progress = item.progress if measure.status not in PROTECTED or self.resolution.includes(measure.id) else None
        reported = bool(progress) and not _has_progress(measure, progress)
        if reported:
            update = ProgressUpdate(measure=measure, text=progress, author=self.by)
            db.session.add(update)
            db.session.flush()
            self.record["progress"].append(update.id)
            report.changes.append({**where, "field": "progress", "label": "整改进展", "old": None, "new": progress})
        if outcome.changes and item.completed_on is not None and measure.status is MeasureStatus.DONE:
            measure.completed_on = measure.completed_on or item.completed_on
        changed = bool(outcome.changes) or reported
        if outcome.changes:
            if before.get("owners") != audit.plain(measure.owners) or before.get("lead_unit") != audit.plain(measure.lead_unit):
                measure.assigned_at = utcnow()
                measure.acknowledged_at = measure.acknowledged_by = None
            audit.record_changes(self.by, "import_update", measure, before)
            announce_assignment(measure, self.by, owners_before, unit_before)
            told = sorted({c["field"] for c in outcome.changes} & TOLD)
            if told:
                announce("changed", self.by, measure, fields=["due_on" if f == "deadline" else f for f in told])
        (report.updated if changed else report.unchanged)["measures"] += 1
        return changed

    def missing(self, live: list[Problem]) -> None:
        """Measures of the batch the sheet no longer lists: named, and deleted only when chosen."""
        now = utcnow()
        for problem in live:
            for measure in problem.measures:
                if measure.deleted_at is not None or measure.id in self.matched:
                    continue
                deleted = self.resolution.deletes(measure.id)
                self.report.missing.append(dict(problem_id=problem.id, measure_id=measure.id, number=problem.number,
                                                text=measure.text, status=measure.status.label, deleted=deleted))
                if deleted:
                    measure.deleted_at = now
                    audit.record(self.by, "import_delete", measure)
                    self.record["deleted"].append(measure.id)


def problem_values(problem: Problem) -> dict:
    """A problem's own fields as the merge compares them."""
    return {"aspect": problem.aspect, "category": problem.category,
            "lead_unit": problem.lead_unit.name if problem.lead_unit else None,
            "leaders": sorted(p.name for p in problem.leaders)}


def put_problem(problem: Problem, name: str, value, names: Names) -> None:
    if name == "lead_unit":
        problem.lead_unit = names.unit(value)
    elif name == "leaders":
        problem.leaders = names.persons(value or [])
    else:
        setattr(problem, name, value)


def _match(unmatched: list[Measure], item: ParsedMeasure) -> Optional[Measure]:
    """The measure a sheet row is: by 系统编号; by text and unit (a problem listed for several units
    has one measure of the same text per unit), by text; then by the text the last import wrote
    (edited in the system since)."""
    unit = item.unit

    def unit_of(m):
        return m.lead_unit.name if m.lead_unit else None

    def imported_text(m):
        return _key((m.imported_values or {}).get("text"))

    wanted = _key(item.text)
    for test in (lambda m: m.id == item.system_id,
                 lambda m: _key(m.text) == wanted and unit_of(m) == unit,
                 lambda m: _key(m.text) == wanted,
                 lambda m: imported_text(m) == wanted and unit_of(m) == unit,
                 lambda m: imported_text(m) == wanted):
        found = next((m for m in unmatched if test(m)), None)
        if found is not None:
            return found
    return None


def _memory(sheet: dict, fields: list[str]) -> dict:
    return {name: sheet[name] for name in fields if sheet[name] is not None or name != "status"}


PROBLEM_LABELS = {"aspect": "问题类别", "category": "问题分类", "lead_unit": "牵头单位", "leaders": "责任领导"}


def _insert_new(batch, fresh, units, people, by, report, fields_of) -> dict:
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
                version=1, imported_values=_memory(from_sheet(item), fields_of(item)),
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
    _announce_new(measure_ids, items, units, by)
    return {"problems": problem_ids, "measures": measure_ids}


def _announce_new(measure_ids: list[int], items: list[ParsedMeasure], units: dict, by) -> None:
    """Tell the people of newly imported measures, as an assignment on the page does (grouped into
    one notice per person by the reminders). Only measures someone hears of are loaded: those
    with a person who has an account, or with only a unit that has 责任人 accounts, or all when a
    webhook listens — a first import of 20,000 measures nobody has an account for stays a few
    bulk statements."""
    if not measure_ids:
        return
    listening = db.session.scalar(sa.select(Webhook.id).where(Webhook.is_active).limit(1)) is not None
    names = {n for item in items for n in item.owners}
    with_accounts = set(db.session.scalars(
        sa.select(Person.name).join(User, Person.user_id == User.id)
        .where(Person.name.in_(names), User.is_active))) if names else set()
    owner_units = set(db.session.scalars(
        sa.select(User.department_id).where(User.role == Role.OWNER, User.is_active, User.department_id.is_not(None))))
    wanted = [mid for mid, item in zip(measure_ids, items)
              if listening or (with_accounts & set(item.owners))
              or (not item.owners and _id(units.get(item.unit)) in owner_units)]
    for start in range(0, len(wanted), 1000):
        for measure in db.session.scalars(sa.select(Measure).where(Measure.id.in_(wanted[start:start + 1000]))
                                          .options(selectinload(Measure.owners), selectinload(Measure.problem))):
            announce_assignment(measure, by)


def _bulk(target, rows, chunk=5000):
    """Insert ``rows`` with Core executemany (the ORM's bulk path runs row by row with RETURNING)."""
    target = getattr(target, "__table__", target)
    for start in range(0, len(rows), chunk):
        db.session.execute(sa.insert(target), rows[start:start + chunk])


def _id(obj):
    return obj.id if obj is not None else None


def _has_progress(measure, text) -> bool:
    if measure.id is None:
        return False
    return db.session.scalar(
        sa.select(ProgressUpdate.id).where(ProgressUpdate.measure_id == measure.id, ProgressUpdate.text == text)
    ) is not None


def _rename(problems: list[ParsedProblem], resolution: Resolution) -> None:
    """The names the user chose in the preview instead of new ones (周杰 is the existing 周洁)."""
    people, units = resolution.people, resolution.units
    if not people and not units:
        return

    def person(names):
        return list(dict.fromkeys(people.get(n, n) for n in names))

    for p in problems:
        p.leaders, p.unit = person(p.leaders), units.get(p.unit, p.unit)
        for m in p.measures:
            m.leaders, m.owners, m.unit = person(m.leaders), person(m.owners), units.get(m.unit, m.unit)
            m.cooperating = list(dict.fromkeys(units.get(u, u) for u in m.cooperating))


def _near_misses(new: list[str]) -> dict[str, list[dict]]:
    """Existing people a new name may be a typo for: the same surname and length, one character
    apart (周杰 / 周洁), with their unit and whether they have an account. One query."""
    surnames = {n[0] for n in new if len(n) >= 2}
    if not surnames:
        return {}
    existing = db.session.execute(
        sa.select(Person.name, Department.name, User.username).outerjoin(Department, Person.department_id == Department.id)
        .outerjoin(User, Person.user_id == User.id)
        .where(sa.or_(*(Person.name.like(f"{s}%") for s in sorted(surnames)[:200])))
    ).all()
    near: dict[str, list[dict]] = {}
    for name in new:
        for other, unit, account in existing:
            if other != name and len(other) == len(name) and other[0] == name[0] \
                    and sum(a != b for a, b in zip(other, name)) == 1 and other not in {s["name"] for s in near.get(name, [])}:
                detail = "，".join(filter(None, [unit, "有账号" if account else "无账号"]))
                near.setdefault(name, []).append({"name": other, "detail": detail})
    return near


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
        report.new_units.append({"name": name, "suggestions": [{"name": n, "detail": "已有单位"} for n in close]})
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
        near = _near_misses(new)
        for name in new:
            user = people[name].user
            report.new_people.append({"name": name, "account": user.username if user is not None else None,
                                      "suggestions": near.get(name, [])})
        report.warn(None, None, None, f"新增人员 {len(new)} 名：{'、'.join(new[:20])}{'等' if len(new) > 20 else ''}"
                    f"（其中 {len(linked)} 名已按姓名关联到用户账号）。")
        report.created["people"] += len(new)
    return people
