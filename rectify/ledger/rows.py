"""The rows of a ledger: one per measure, in ledger order, read in chunks of fixed query count."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Evidence, Measure, Problem, ProgressUpdate, UpdateKind, Warning
from ..status import days_left, deadline_label, warning_for
from ..timeutil import format_date

CHUNK = 2000


@dataclass(frozen=True)
class LedgerRow:
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
    """Rows for the measures ``select`` picks (a SELECT of Measure), four queries per chunk."""
    ids = db.session.scalars(ledger_order(select.with_only_columns(Measure.id))).all()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        measures = {m.id: m for m in db.session.scalars(
            sa.select(Measure).where(Measure.id.in_(chunk)).options(
                joinedload(Measure.problem).joinedload(Problem.batch), joinedload(Measure.lead_unit),
                selectinload(Measure.owners), selectinload(Measure.leaders),
            ))}
        progress = _latest_progress(chunk)
        files = defaultdict(list)
        for measure_id, filename in db.session.execute(
            sa.select(Evidence.measure_id, Evidence.filename)
            .where(Evidence.measure_id.in_(chunk), Evidence.deleted_at.is_(None)).order_by(Evidence.id)
        ):
            files[measure_id].append(filename)
        for measure_id in chunk:
            yield _row(measures[measure_id], progress.get(measure_id, ""), files[measure_id], today, due_soon_days)
        db.session.expunge_all()  # keep memory flat on a 100,000-row ledger


def _latest_progress(ids) -> dict[int, str]:
    latest = (sa.select(sa.func.max(ProgressUpdate.id))
              .where(ProgressUpdate.measure_id.in_(ids), ProgressUpdate.kind == UpdateKind.PROGRESS)
              .group_by(ProgressUpdate.measure_id))
    return dict(db.session.execute(
        sa.select(ProgressUpdate.measure_id, ProgressUpdate.text).where(ProgressUpdate.id.in_(latest))).all())


def _row(measure: Measure, progress: str, files: list[str], today: date, due_soon_days: int) -> LedgerRow:
    problem = measure.problem
    colour = warning_for(measure, today, due_soon_days)
    left = days_left(measure, today)
    deadline = deadline_label(measure)
    if measure.original_due_on:
        deadline += f"（原定{format_date(measure.original_due_on)}，已延期）"
    return LedgerRow(
        measure_id=measure.id, version=measure.version, problem_id=problem.id, batch=problem.batch.title,
        aspect=problem.aspect or "", number=problem.number or "", problem=problem.description, measure=measure.text,
        leaders="、".join(p.name for p in measure.leaders), unit=measure.lead_unit.name if measure.lead_unit else "",
        owners="、".join(p.name for p in measure.owners), deadline=deadline, progress=progress,
        status=measure.status.label, completed=format_date(measure.completed_on),
        evidence=f"{len(files)}份：{'、'.join(files)}" if files else "", note=measure.goal or "",
        warning=colour, days_overdue=-left if colour is Warning.RED and left is not None else None,
        extended=measure.original_due_on is not None,
    )
