"""批次: the inspections' feedback batches, their progress, and problems added by hand."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from rectify.accounts import audit
from rectify.accounts.forms import department_choices
from rectify.accounts.people import resolve_people, split_names
from rectify.core.extensions import db
from rectify.core.timeutil import local_today
from rectify.models import Batch, Measure, Problem, SourceKind
from rectify.tracking.access import require
from rectify.tracking.forms import BatchForm, ProblemForm
from rectify.tracking.permissions import batch_scope, can_supervise, measure_scope
from rectify.tracking.status import finished_clause, live_clause, overdue_clause

bp = Blueprint("batches", __name__, url_prefix="/batches")
BATCH_FIELDS = ["kind", "title", "issuer", "doc_number", "feedback_on", "period_end_on"]


def batch_progress(user, today):
    """Per batch: measures, done, overdue, extended and completion rate, in one query."""
    done = sa.func.sum(sa.case((finished_clause(), 1), else_=0))
    overdue = sa.func.sum(sa.case((overdue_clause(today), 1), else_=0))
    extended = sa.func.sum(sa.case((Measure.original_due_on.is_not(None), 1), else_=0))
    rows = db.session.execute(
        sa.select(Problem.batch_id, sa.func.count(Measure.id), done, overdue, extended,
                  sa.func.count(sa.distinct(Problem.id)))
        .join(Measure.problem)
        .where(measure_scope(user), live_clause())
        .group_by(Problem.batch_id)
    ).all()
    return {
        batch_id: dict(measures=total, done=d or 0, overdue=o or 0, extended=e or 0, problems=p,
                       rate=round(100 * (d or 0) / total, 1) if total else 0.0)
        for batch_id, total, d, o, e, p in rows
    }


@bp.route("/")
def index():
    batches = db.session.scalars(sa.select(Batch).where(batch_scope(current_user))
                                 .order_by(Batch.created_at.desc(), Batch.id.desc())).all()
    progress = batch_progress(current_user, local_today())
    return render_template("batches/index.html", batches=batches, progress=progress,
                           supervisor=can_supervise(current_user))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:batch_id>/edit", methods=["GET", "POST"])
def edit(batch_id=None):
    require(can_supervise(current_user))
    batch = db.get_or_404(Batch, batch_id, description="未找到该批次。") if batch_id else None
    form = BatchForm(obj=batch)
    if batch is not None and not form.is_submitted():
        form.kind.data = batch.kind.value
    if form.validate_on_submit():
        creating = batch is None
        if creating:
            batch = Batch(kind=SourceKind(form.kind.data), title=form.title.data, created_by_id=current_user.id)
            db.session.add(batch)
        before = audit.snapshot(batch, BATCH_FIELDS) if not creating else {}
        batch.kind, batch.title = SourceKind(form.kind.data), form.title.data.strip()
        batch.issuer, batch.doc_number = form.issuer.data or None, form.doc_number.data or None
        batch.feedback_on, batch.period_end_on = form.feedback_on.data, form.period_end_on.data
        if creating:
            audit.record(current_user, "create", batch, audit.snapshot(batch, BATCH_FIELDS))
        else:
            audit.record_changes(current_user, "update", batch, before)
        db.session.commit()
        flash(f"批次“{batch.title}”已保存。", "success")
        return redirect(url_for("batches.index"))
    return render_template("batches/form.html", form=form, batch=batch), 400 if form.errors else 200


@bp.route("/<int:batch_id>/problems/new", methods=["GET", "POST"])
def new_problem(batch_id):
    require(can_supervise(current_user))
    batch = db.get_or_404(Batch, batch_id, description="未找到该批次。")
    form = ProblemForm()
    form.lead_unit_id.choices = department_choices()
    if form.validate_on_submit():
        position = db.session.scalar(sa.select(sa.func.count()).where(Problem.batch_id == batch.id)) + 1
        problem = Problem(batch=batch, position=position, number=form.number.data or None,
                          aspect=form.aspect.data or None, description=form.description.data,
                          lead_unit_id=form.lead_unit_id.data or None,
                          leaders=resolve_people(split_names(form.leaders.data)))
        db.session.add(problem)
        audit.record(current_user, "create", problem, {"description": [None, problem.description]})
        db.session.commit()
        flash("问题已新增，请继续添加整改措施。", "success")
        return redirect(url_for("tickets.new_measure", problem_id=problem.id))
    return render_template("tickets/problem_form.html", form=form, problem=None), 400 if form.errors else 200
