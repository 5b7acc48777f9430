"""Re-importing into a batch: a reviewed merge that never silently overwrites work done in the system.

Each measure remembers what the sheet said the last time an import wrote it (``imported_values``:
the fields below, in their plain form). Comparing the sheet, the measure as it is now and that
memory tells the cases apart, field by field:

- the sheet says what the system holds: nothing to do;
- the system still holds what the last import wrote, the sheet says something else: a **change**,
  made like an edit on the page (audited as 导入更新, reassignment asks for a new 签收 and tells
  the people concerned);
- the system holds something else than the last import wrote (a supervisor reassigned it, an
  extension was approved, the text was edited), or no import ever wrote the field: a
  **conflict**, where the system's value is kept unless the user chooses the sheet's, for one
  field of one measure or for all.

Measures already 已完成 or 待审核 are not touched at all unless the user ticks them. Measures of
the batch the sheet no longer lists are named (表中已无此措施) and soft-deleted only when the
user chooses so. Everything an import changes is recorded on its ImportRecord so that undo can
put it back while nothing has touched those fields since.

A field whose column the sheet does not have is never compared: a sheet without 整改目标 says
nothing about the goals typed in the system.
"""
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Optional

import sqlalchemy as sa

from rectify.accounts.people import resolve_people
from rectify.core.extensions import db
from rectify.core.timeutil import format_date
from rectify.models import Department, Measure, MeasureStatus, Person

# field: (label, the sheet's columns that say it; "*" always)
FIELDS = {
    "text": ("整改措施", {"*"}),
    "goal": ("整改目标", {"goal"}),
    "lead_unit": ("责任单位", {"unit"}),
    "cooperating_units": ("配合单位", {"cooperating"}),
    "leaders": ("责任领导", {"leader"}),
    "owners": ("责任人", {"owner"}),
    "deadline": ("整改时限", {"deadline"}),
    "status": ("状态", {"status", "completed", "progress"}),
    "note": ("备注", {"note", None}),
}
PROTECTED = frozenset({MeasureStatus.DONE, MeasureStatus.PENDING_REVIEW})
DEADLINE_TEXT_LIMIT = Measure.__table__.c.deadline_text.type.length
ASSIGNMENT = {"owners", "lead_unit"}
TOLD = {"deadline", "text", "goal"}  # changes the measure's people hear of (as an edit on the page)


@dataclass(frozen=True)
class Resolution:
    """What the user chose in the preview (or on the command line)."""

    on_conflict: str = "keep"  # "sheet": every conflict takes the sheet's value
    sheet: frozenset = frozenset()  # conflict keys ("m12.owners") taking the sheet's value
    include_protected: bool = False  # update 已完成 / 待审核 measures too
    include: frozenset = frozenset()  # … or these measure ids only
    delete_missing: bool = False  # soft delete every measure the sheet no longer lists
    delete: frozenset = frozenset()  # … or these measure ids only
    people: dict = field(default_factory=dict)  # a new name → the existing person it is (周杰 → 周洁)
    units: dict = field(default_factory=dict)  # a new unit → the existing unit it is

    def takes_sheet(self, key: str) -> bool:
        return self.on_conflict == "sheet" or key in self.sheet

    def includes(self, measure_id: int) -> bool:
        return self.include_protected or measure_id in self.include

    def deletes(self, measure_id: int) -> bool:
        return self.delete_missing or measure_id in self.delete


def key(measure_id: int, name: str) -> str:
    return f"m{measure_id}.{name}"


def _names(items: Iterable) -> list[str]:
    return sorted(item.name for item in items)


def current(measure: Measure) -> dict[str, Any]:
    """The measure's fields as the merge compares them."""
    return {
        "text": measure.text,
        "goal": measure.goal or None,
        "lead_unit": measure.lead_unit.name if measure.lead_unit else None,
        "cooperating_units": _names(measure.cooperating_units),
        "leaders": _names(measure.leaders),
        "owners": _names(measure.owners),
        "deadline": {"due_on": measure.due_on.isoformat() if measure.due_on else None,
                     "text": measure.deadline_text or None,
                     "immediate": bool(measure.is_immediate), "long_term": bool(measure.is_long_term)},
        "status": measure.status.value,
        "note": measure.note or None,
    }


def from_sheet(item) -> dict[str, Any]:
    """A parsed measure's fields in the same form (status None: the sheet does not say)."""
    deadline = item.deadline
    return {
        "text": item.text,
        "goal": item.goal or None,
        "lead_unit": item.unit or None,
        "cooperating_units": sorted(dict.fromkeys(item.cooperating)),
        "leaders": sorted(dict.fromkeys(item.leaders)),
        "owners": sorted(dict.fromkeys(item.owners)),
        "deadline": {"due_on": deadline.due_on.isoformat() if deadline.due_on else None,
                     "text": (deadline.text or None) and deadline.text[:DEADLINE_TEXT_LIMIT],
                     "immediate": bool(deadline.is_immediate), "long_term": bool(deadline.is_long_term)},
        "status": item.status.value if item.status is not None else None,
        "note": item.note or None,
    }


def compared_fields(columns: set) -> list[str]:
    """The fields a sheet with these columns (their field names; None for unmapped) speaks for."""
    return [name for name, (_, said_by) in FIELDS.items() if "*" in said_by or said_by & columns]


def show(name: str, value: Any) -> str:
    """A field's value as a page writes it."""
    if name == "deadline":
        if value is None:
            return "（空）"
        text, due_on = value.get("text"), value.get("due_on")
        if due_on:
            written = format_date(date.fromisoformat(due_on))
            return written + (f"（原文“{text}”）" if text and text != written else "")
        flags = [w for flag, w in (("immediate", "立行立改"), ("long_term", "长期坚持")) if value.get(flag)]
        return text or "，".join(flags) or "未定"
    if name == "status":
        return MeasureStatus(value).label if value else "（空）"
    if isinstance(value, list):
        return "、".join(value) if value else "（空）"
    return value if value not in (None, "") else "（空）"


class Names:
    """Units and people by name, for putting plain values back on a measure: the import's own
    (new ones included) first, the database's otherwise."""

    def __init__(self, units: Optional[dict] = None, people: Optional[dict] = None):
        self.units, self.people = dict(units or {}), dict(people or {})

    def unit(self, name: Optional[str]) -> Optional[Department]:
        if not name:
            return None
        if name not in self.units:
            found = db.session.scalar(sa.select(Department).where(Department.name == name))
            self.units[name] = found or Department(name=name)
            if found is None:
                db.session.add(self.units[name])
        return self.units[name]

    def persons(self, names: list[str]) -> list[Person]:
        missing = [n for n in names if n not in self.people]
        self.people.update(zip(missing, resolve_people(missing)))
        return [self.people[n] for n in names]


def put(measure: Measure, name: str, value: Any, names: Names) -> None:
    """Set one field of ``measure`` from its plain value."""
    if name in ("text", "goal", "note"):
        setattr(measure, name, value if name == "text" else (value or None))
    elif name == "lead_unit":
        measure.lead_unit = names.unit(value)
    elif name == "cooperating_units":
        measure.cooperating_units = [names.unit(n) for n in value]
    elif name in ("leaders", "owners"):
        setattr(measure, name, names.persons(value))
    elif name == "deadline":
        due_on = date.fromisoformat(value["due_on"]) if value.get("due_on") else None
        measure.due_on, measure.deadline_text = due_on, value.get("text")
        measure.is_immediate, measure.is_long_term = value.get("immediate", False), value.get("long_term", False)
    elif name == "status":
        measure.status = MeasureStatus(value)
    else:  # pragma: no cover - FIELDS names every field
        raise KeyError(name)


@dataclass
class Outcome:
    """What merging one sheet row into one measure found and did."""

    changes: list[dict] = field(default_factory=list)  # applied: {field, old, new}
    conflicts: list[dict] = field(default_factory=list)  # {field, system, sheet, taken}
    held: list[dict] = field(default_factory=list)  # differences left alone on a 已完成/待审核 measure


def merge_measure(measure: Measure, sheet: dict[str, Any], fields: list[str], resolution: Resolution,
                  names: Names) -> Outcome:
    """Merge the sheet's plain values into an existing measure (the caller audits and announces)."""
    outcome = Outcome()
    memory = measure.imported_values or {}
    now = current(measure)
    protected = measure.status in PROTECTED and not resolution.includes(measure.id)
    for name in fields:
        wanted = sheet[name]
        if name == "status" and wanted is None:
            continue
        if wanted == now[name]:
            continue
        if protected:
            outcome.held.append({"field": name, "system": now[name], "sheet": wanted})
            continue
        if name in memory and memory[name] == now[name]:
            put(measure, name, wanted, names)
            outcome.changes.append({"field": name, "old": now[name], "new": wanted})
            continue
        taken = "sheet" if resolution.takes_sheet(key(measure.id, name)) else "system"
        outcome.conflicts.append({"field": name, "system": now[name], "sheet": wanted, "taken": taken})
        if taken == "sheet":
            put(measure, name, wanted, names)
            outcome.changes.append({"field": name, "old": now[name], "new": wanted})
    if not protected:
        measure.imported_values = {**memory, **{name: sheet[name] for name in fields if sheet[name] is not None
                                                or name != "status"}}
    return outcome


def revert(measure: Measure, changes: list[dict], names: Names, touched: Callable[[str], None]) -> None:
    """Put back what an import changed on ``measure``; ``touched(field)`` is called for a field
    changed again since (the caller refuses the undo)."""
    now = current(measure)
    for change in changes:
        if now[change["field"]] != change["new"]:
            touched(change["field"])
    for change in changes:
        put(measure, change["field"], change["old"], names)
