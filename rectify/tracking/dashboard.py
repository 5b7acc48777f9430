"""工作台: what needs the signed-in user now, and how the rectification stands."""
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from rectify.core.extensions import db
from rectify.core.timeutil import local_today, utcnow
from rectify.models import (
    Batch,
    Department,
    ExtensionRequest,
    ExtensionStatus,
    Measure,
    MeasureStatus,
    Problem,
    Role,
    Warning,
)
from rectify.tracking.board import card_load
from rectify.tracking.counts import batch_figures, sum_figures
from rectify.tracking.filters import by_deadline
from rectify.tracking.permissions import can_supervise, measure_scope, work_scope
from rectify.tracking.revision import cached
from rectify.tracking.status import (
    ACTIVE,
    due_soon_clause,
    live_clause,
    overdue_clause,
    returned_clause,
    unacknowledged_clause,
    warning_clause,
)

bp = Blueprint("main", __name__)
WORKLIST_ROWS = 20


def live(query):
    """Live measures, joined to their problem (the dashboard groups by batch).

    ``+ 0`` keeps SQLite from walking problems and fetching measures by index one by one:
    scanning the measure table in order is twice as fast here. PostgreSQL hash-joins anyway.
    """
    return (
        query.join(Problem, Problem.id == Measure.problem_id + 0)
        .where(live_clause())
    )


def _tallies(user, today, soon):
    """Count the visible measures by colour, per (batch, lead unit), in one scan of the table.

    The dashboard's totals, its per-batch and its per-unit tables are all sums of these rows.
    They are kept until the data changes (``rectify.tracking.revision``).
    """

    def count():
        colours = [sa.func.sum(sa.case((warning_clause(c, today, soon), 1), else_=0)) for c in Warning]
        rows = db.session.execute(
            live(sa.select(Problem.batch_id, Measure.lead_unit_id, sa.func.count(Measure.id), *colours)
                 .select_from(Measure))
            .where(measure_scope(user)).group_by(Problem.batch_id, Measure.lead_unit_id)
        ).all()
        return tuple((batch_id, unit_id, total, dict(zip(Warning, (c or 0 for c in counts))))
                     for batch_id, unit_id, total, *counts in rows)

    return cached("dashboard", user, count, today, soon)


def _summaries(tallies, key):
    """Sum tallies by ``key`` (0: batch, 1: unit) into measures, done, overdue and rate."""
    sums = {}
    for row in tallies:
        entry = sums.setdefault(row[key], {"measures": 0, "done": 0, "overdue": 0})
        entry["measures"] += row[2]
        entry["done"] += row[3][Warning.GREY]
        entry["overdue"] += row[3][Warning.RED]
    for entry in sums.values():
        entry["rate"] = round(100 * entry["done"] / entry["measures"], 1) if entry["measures"] else 0.0
    return sums


def _todo(user, today, soon):
    """Measures that need the user's hand now, most urgent first: for supervisors those
    awaiting review; for owners their overdue, due-soon and unacknowledged work; for leaders
    and viewers what is overdue in their scope."""
    if can_supervise(user):
        wanted = Measure.status == MeasureStatus.PENDING_REVIEW
    elif user.role is Role.OWNER:
        wanted = sa.and_(work_scope(user), sa.or_(overdue_clause(today), due_soon_clause(today, soon),
                                                  unacknowledged_clause()))
    else:
        wanted = overdue_clause(today)
    ids = by_deadline(sa.select(Measure.id).where(live_clause(), measure_scope(user), wanted),
                            WORKLIST_ROWS)
    rows = {m.id: m for m in db.session.scalars(sa.select(Measure).where(Measure.id.in_(ids)).options(*card_load()))}
    return [rows[i] for i in ids]


def _waiting(user, today):
    """What waits on the user besides deadlines: measures returned for rework (for owners, in their
    work; for leaders and viewers, in their scope), and for owners the extensions refused in the
    last 30 days on measures still being worked on. Two queries."""
    if can_supervise(user):
        return [], []
    scope = work_scope(user) if user.role is Role.OWNER else measure_scope(user)
    ids = by_deadline(sa.select(Measure.id).where(live_clause(), scope, returned_clause()), WORKLIST_ROWS)
    rows = {m.id: m for m in db.session.scalars(sa.select(Measure).where(Measure.id.in_(ids)).options(*card_load()))}
    returned = [rows[i] for i in ids]
    refused = []
    if user.role is Role.OWNER:
        since = utcnow() - timedelta(days=30)
        refused = db.session.scalars(
            sa.select(ExtensionRequest).join(ExtensionRequest.measure)
            .where(ExtensionRequest.status == ExtensionStatus.REFUSED, ExtensionRequest.decided_at >= since,
                   live_clause(), work_scope(user), Measure.status.in_(ACTIVE))
            .options(joinedload(ExtensionRequest.measure), joinedload(ExtensionRequest.decided_by))
            .order_by(ExtensionRequest.decided_at.desc()).limit(WORKLIST_ROWS)
        ).all()
    return returned, refused


def _plans(user):
    """整改方案 waiting: for supervisors those submitted; for owners and leaders the problems whose
    measures their unit has still to draft (in their scope). One query."""
    from rectify.plans import operations as plans

    if can_supervise(user):
        return [(plan.problem, plan) for plan in plans.submitted_plans(WORKLIST_ROWS)]
    if user.role not in (Role.OWNER, Role.LEADER):
        return []
    scope = work_scope(user) if user.role is Role.OWNER else measure_scope(user)
    waiting = db.session.scalars(sa.select(Measure).where(plans.awaiting_clause(user, scope))
                                 .options(joinedload(Measure.problem).joinedload(Problem.batch))
                                 .order_by(Measure.assigned_at, Measure.id).limit(WORKLIST_ROWS)).all()
    return [(m.problem, None) for m in waiting]


@bp.route("/")
def index():
    today, soon = local_today(), current_app.config["RECTIFY_DUE_SOON_DAYS"]
    tallies = _tallies(current_user, today, soon)
    total = sum(row[2] for row in tallies)
    counts = {colour: sum(row[3][colour] for row in tallies) for colour in Warning}
    supervisor = can_supervise(current_user)
    extensions = []
    if supervisor:
        extensions = db.session.scalars(
            sa.select(ExtensionRequest).where(ExtensionRequest.status == ExtensionStatus.PENDING)
            .options(joinedload(ExtensionRequest.measure), joinedload(ExtensionRequest.requested_by))
            .order_by(ExtensionRequest.requested_at).limit(WORKLIST_ROWS)
        ).all()
    progress = batch_figures(current_user, today)
    batches = db.session.scalars(sa.select(Batch).where(Batch.id.in_(list(progress) or [0])).order_by(Batch.id)).all()
    unit_names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    units = sorted(({"unit": unit_names.get(unit_id, "未定"), **entry}
                    for unit_id, entry in _summaries(tallies, 1).items()), key=lambda u: u["unit"])
    done = counts[Warning.GREY]
    return render_template(
        "main/index.html",
        total=total,
        counts=counts,
        rate=round(100 * done / total, 1) if total else 0.0,
        todo=_todo(current_user, today, soon),
        waiting=_waiting(current_user, today),
        plans=_plans(current_user),
        extensions=extensions,
        supervisor=supervisor,
        batches=batches,
        progress=progress,
        figures=sum_figures(progress.values()),
        units=units,
        today=today,
        due_soon_days=soon,
    )


@bp.route("/healthz")
def health():
    """For load balancers and monitoring: answers without touching the database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
