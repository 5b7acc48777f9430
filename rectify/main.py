"""工作台: what needs the signed-in user now, and how the rectification stands."""
import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from .batches import batch_progress
from .extensions import db
from .models import (
    Batch, Department, ExtensionRequest, ExtensionStatus, Measure, MeasureStatus, Problem, Role, Warning,
)
from .permissions import can_supervise, measure_scope, work_scope
from .status import ACTIVE, FINISHED, warning_clause
from .timeutil import local_today

bp = Blueprint("main", __name__)
TODO_ROWS = 20
CARD_LOAD = (
    joinedload(Measure.problem).joinedload(Problem.batch),
    joinedload(Measure.lead_unit),
    selectinload(Measure.owners),
)


def live(query):
    return query.join(Measure.problem).where(Measure.deleted_at.is_(None), Problem.deleted_at.is_(None))


def _colour_counts(user, today, soon):
    columns = [sa.func.coalesce(sa.func.sum(sa.case((warning_clause(c, today, soon), 1), else_=0)), 0) for c in Warning]
    total, *counts = db.session.execute(
        live(sa.select(sa.func.count(Measure.id), *columns).select_from(Measure)).where(measure_scope(user))
    ).one()
    return total, dict(zip(Warning, counts))


def _todo(user, today, soon):
    """Measures that need the user's hand now, most urgent first: for supervisors those
    awaiting review; for owners their overdue, due-soon and unacknowledged work; for leaders
    and viewers what is overdue in their scope."""
    if can_supervise(user):
        wanted = Measure.status == MeasureStatus.PENDING_REVIEW
    elif user.role is Role.OWNER:
        urgent = sa.or_(warning_clause(Warning.RED, today, soon), warning_clause(Warning.YELLOW, today, soon))
        unacknowledged = sa.and_(Measure.acknowledged_at.is_(None), Measure.status.in_(ACTIVE))
        wanted = sa.and_(work_scope(user), sa.or_(urgent, unacknowledged))
    else:
        wanted = warning_clause(Warning.RED, today, soon)
    return db.session.scalars(
        live(sa.select(Measure)).where(measure_scope(user), wanted).options(*CARD_LOAD)
        .order_by(Measure.due_on.is_(None), Measure.due_on, Measure.id).limit(TODO_ROWS)
    ).all()


def _by_unit(user, today):
    done = sa.func.sum(sa.case((Measure.status.in_(FINISHED), 1), else_=0))
    overdue = sa.func.sum(sa.case((sa.and_(Measure.status.in_(ACTIVE), Measure.due_on < today), 1), else_=0))
    rows = db.session.execute(
        live(sa.select(Department.name, sa.func.count(Measure.id), done, overdue).select_from(Measure))
        .outerjoin(Department, Department.id == Measure.lead_unit_id)
        .where(measure_scope(user)).group_by(Department.name).order_by(Department.name)
    ).all()
    return [dict(unit=name or "未定", measures=total, done=d or 0, overdue=o or 0,
                 rate=round(100 * (d or 0) / total, 1) if total else 0.0) for name, total, d, o in rows]


@bp.route("/")
def index():
    today, soon = local_today(), current_app.config["RECTIFY_DUE_SOON_DAYS"]
    total, counts = _colour_counts(current_user, today, soon)
    supervisor = can_supervise(current_user)
    extensions = []
    if supervisor:
        extensions = db.session.scalars(
            sa.select(ExtensionRequest).where(ExtensionRequest.status == ExtensionStatus.PENDING)
            .options(joinedload(ExtensionRequest.measure), joinedload(ExtensionRequest.requested_by))
            .order_by(ExtensionRequest.requested_at).limit(TODO_ROWS)
        ).all()
    progress = batch_progress(current_user, today)
    batches = db.session.scalars(sa.select(Batch).where(Batch.id.in_(list(progress) or [0])).order_by(Batch.id)).all()
    done = counts[Warning.GREY]
    return render_template(
        "main/index.html",
        total=total,
        counts=counts,
        rate=round(100 * done / total, 1) if total else 0.0,
        todo=_todo(current_user, today, soon),
        extensions=extensions,
        supervisor=supervisor,
        batches=batches,
        progress=progress,
        units=_by_unit(current_user, today),
        today=today,
        due_soon_days=soon,
    )
