"""The home page (工作台): the signed-in user's measures with their warnings."""
import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from .extensions import db
from .models import Measure, Problem, Warning
from .permissions import measure_scope
from .status import FINISHED, warning_clause
from .timeutil import local_today

bp = Blueprint("main", __name__)
HOME_ROWS = 50


def visible_measures(user):
    """Select the live measures ``user`` may see."""
    return (
        sa.select(Measure)
        .join(Measure.problem)
        .where(measure_scope(user), Measure.deleted_at.is_(None), Problem.deleted_at.is_(None))
    )


@bp.route("/")
def index():
    today = local_today()
    soon = current_app.config["RECTIFY_DUE_SOON_DAYS"]
    base = visible_measures(current_user).subquery()
    counts_query = sa.select(
        sa.func.count(),
        *(
            sa.func.coalesce(sa.func.sum(sa.case((warning_clause(colour, today, soon), 1), else_=0)), 0)
            for colour in Warning
        ),
    ).select_from(Measure).where(Measure.id.in_(sa.select(base.c.id)))
    total, *by_colour = db.session.execute(counts_query).one()
    rows = db.session.scalars(
        visible_measures(current_user)
        .options(
            joinedload(Measure.problem).joinedload(Problem.batch),
            joinedload(Measure.lead_unit),
            selectinload(Measure.owners),
        )
        .order_by(Measure.status.in_(FINISHED), Measure.due_on.is_(None), Measure.due_on, Measure.id)
        .limit(HOME_ROWS)
    ).all()
    return render_template(
        "main/index.html",
        total=total,
        counts=dict(zip(Warning, by_colour)),
        measures=rows,
        today=today,
        due_soon_days=soon,
        row_limit=HOME_ROWS,
    )
