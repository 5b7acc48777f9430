"""The rows of a ledger: one per measure, in ledger order, read in chunks of fixed query count."""
from collections import defaultdict
from datetime import date
from functools import lru_cache
from typing import Iterator, NamedTuple, Optional

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.core.timeutil import format_date
from rectify.models import (
    Batch,
    Department,
    Evidence,
    Measure,
    MeasureStatus,
    Person,
    Problem,
    ProgressUpdate,
    UpdateKind,
    Warning,
)
from rectify.tracking.models import measure_leaders, measure_owners
from rectify.tracking.status import days_left, deadline_as_written, deadline_label, warning_for

CHUNK = 2000
# In 备注, for a measure an import made of a problem listed without measures (its text the
# row's 整改要求): importing the ledger again keeps the mark.
PROBLEM_ITSELF = "（待细化：由问题生成的措施）"


class LedgerRow(NamedTuple):
    measure_id: int
    version: int
    problem_id: int
    batch: str
    aspect: str
    number: str
    problem: str
    measure: str
    leaders: str
    unit: str
    owners: str
    deadline: str
    progress: str
    status: str
    completed: str
    evidence: str
    note: str
    warning: Warning
    days_overdue: Optional[int]
    extended: bool


def ledger_order(select):
    """Ledger order: batch, problem, measure."""
    return select.join(Measure.problem).order_by(Problem.batch_id, Problem.position, Problem.id, Measure.position, Measure.id)


def ledger_rows(select, today: date, due_soon_days: int) -> Iterator[LedgerRow]:
    """Rows for the measures ``select`` picks (a SELECT of Measure), memory flat: one query
    streams the measures in ledger order, and each chunk of 2,000 brings four more (owners,
    leaders, latest progress, evidence), whatever the total. Core statements on the session's
    connection: these are columns, not objects, and the ORM's bookkeeping would double the
    time."""
    connection = db.session.connection()
    measures = connection.execute(
        ledger_order(select.with_only_columns(
            *MEASURE_FIELDS, Problem.number, Problem.aspect, Problem.description, Problem.location,
            Batch.title.label("batch"),
            Department.name.label("unit")))
        .join(Problem.batch).outerjoin(Department, Department.id == Measure.lead_unit_id),
        execution_options={"yield_per": CHUNK},  # this statement only: the connection goes on being used
    )
    for chunk in measures.partitions():
        ids = {"ids": [m.id for m in chunk]}
        owners, leaders = _grouped(connection, OWNERS, ids), _grouped(connection, LEADERS, ids)
        files = _grouped(connection, FILES, ids)
        notes = _notes(connection.execute(LATEST_NOTES, ids))
        for m in chunk:
            yield _row(m, owners.get(m.id, ()), leaders.get(m.id, ()), progress_cell(m.status, notes.get(m.id, {})),
                       files.get(m.id, ()), today, due_soon_days)


MEASURE_FIELDS = (Measure.id, Measure.version, Measure.problem_id, Measure.text, Measure.goal, Measure.note,
                  Measure.is_problem_itself, Measure.status,
                  Measure.due_on, Measure.original_due_on, Measure.deadline_text, Measure.is_immediate,
                  Measure.is_long_term, Measure.completed_on)
# Per chunk: (measure id, value) pairs for a list of ids bound at execution ("expanding"),
# so 2,000 ids are not coerced one by one each time a statement is built.
CHUNK_IDS = sa.bindparam("ids", expanding=True)


def _names_of(table):
    return (sa.select(table.c.measure_id, Person.name).join(Person, Person.id == table.c.person_id)
            .where(table.c.measure_id.in_(CHUNK_IDS)).order_by(table.c.measure_id, Person.id))


OWNERS, LEADERS = _names_of(measure_owners), _names_of(measure_leaders)
FILES = (sa.select(Evidence.measure_id, Evidence.filename)
         .where(Evidence.measure_id.in_(CHUNK_IDS), Evidence.deleted_at.is_(None)).order_by(Evidence.id))


def _latest_notes(ids):
    """Each measure's latest progress report and latest completion note (申请销号), by kind."""
    latest = (sa.select(sa.func.max(ProgressUpdate.id))
              .where(ProgressUpdate.measure_id.in_(ids), ProgressUpdate.kind.in_(NOTE_KINDS))
              .group_by(ProgressUpdate.measure_id, ProgressUpdate.kind))
    return sa.select(ProgressUpdate.measure_id, ProgressUpdate.kind, ProgressUpdate.text).where(ProgressUpdate.id.in_(latest))


NOTE_KINDS = (UpdateKind.PROGRESS, UpdateKind.SUBMITTED)
LATEST_NOTES = _latest_notes(CHUNK_IDS)
# A measure submitted or signed off is described by its completion note first: what was done,
# not the first steps. Its last progress report follows.
COMPLETION_WORDS = {MeasureStatus.PENDING_REVIEW: ("已申请销号", "此前进展"), MeasureStatus.DONE: ("已完成", "此前进展"),
                    MeasureStatus.LONG_TERM: ("阶段性完成", "最近进展")}


def _notes(result) -> dict[int, dict]:
    notes = defaultdict(dict)
    for measure_id, kind, text in result:
        notes[measure_id][kind] = text
    return notes


def progress_cell(status: MeasureStatus, notes: dict) -> str:
    """整改进展 as the ledger shows it: the latest progress report; for a measure submitted or
    finished, its completion note and then the last progress report."""
    progress, completion = notes.get(UpdateKind.PROGRESS, ""), notes.get(UpdateKind.SUBMITTED)
    if status not in COMPLETION_WORDS or not completion:
        return progress
    done, before = COMPLETION_WORDS[status]
    return f"{done}：{completion}" + (f"\n{before}：{progress}" if progress else "")


def _grouped(connection, statement, ids) -> dict[int, list[str]]:
    grouped = defaultdict(list)
    for measure_id, value in connection.execute(statement, ids).all():
        grouped[measure_id].append(value)
    return grouped


def progress_texts(ids, connection=None) -> dict[int, str]:
    """Measure id → its 整改进展 cell as the ledger shows it (what an edited ledger is compared with)."""
    session = connection or db.session
    notes = _notes(session.execute(_latest_notes(ids)))
    statuses = session.execute(sa.select(Measure.id, Measure.status).where(Measure.id.in_(ids)))
    return {measure_id: progress_cell(status, notes.get(measure_id, {})) for measure_id, status in statuses}


def _row(m, owners, leaders, progress: str, files, today: date, due_soon_days: int) -> LedgerRow:
    """``m`` is a result row with Measure's field names, which the status rules read like a Measure."""
    colour = warning_for(m, today, due_soon_days)
    left = days_left(m, today)
    deadline = _deadline(Deadline(m.is_immediate, m.due_on, m.is_long_term, m.deadline_text), m.original_due_on)
    notes = [f"整改目标：{m.goal}" if m.goal else "", f"点位：{m.location}" if m.location else "",
             PROBLEM_ITSELF if m.is_problem_itself and m.text != m.description else "", m.note or ""]
    return LedgerRow(
        measure_id=m.id, version=m.version, problem_id=m.problem_id, batch=m.batch, aspect=m.aspect or "",
        number=m.number or "", problem=m.description, measure=m.text, leaders="、".join(leaders), unit=m.unit or "",
        owners="、".join(owners), deadline=deadline, progress=progress, status=m.status.label,
        completed=_date(m.completed_on), evidence=f"{len(files)}份：{'、'.join(files)}" if files else "",
        note="\n".join(note for note in notes if note),
        warning=colour, days_overdue=-left if colour is Warning.RED and left is not None else None,
        extended=m.original_due_on is not None,
    )


class Deadline(NamedTuple):
    """What ``deadline_label`` reads of a measure."""

    is_immediate: bool
    due_on: Optional[date]
    is_long_term: bool
    deadline_text: Optional[str]


# A ledger's deadlines and dates repeat (a batch sets a few dates for hundreds of measures):
# each distinct one is worded once.
@lru_cache(maxsize=4096)
def _deadline(deadline: Deadline, original_due_on: Optional[date]) -> str:
    label = deadline_label(deadline)
    written = deadline_as_written(deadline)
    if written:
        label += f"（{written}）"
    if original_due_on:
        label += f"（原定{format_date(original_due_on)}，已延期）"
    return label


_date = lru_cache(maxsize=4096)(format_date)
