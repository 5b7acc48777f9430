"""批次: the inspections' feedback batches, their progress, and problems added by hand."""
import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from rectify.accounts import audit
from rectify.accounts.forms import department_choices
from rectify.core.extensions import db
from rectify.core.timeutil import local_today, utcnow
from rectify.models import Batch, Department, Measure, Problem, SourceKind
from rectify.tracking.access import get_batch, require
from rectify.tracking.counts import Figures, batch_figures, figures_for
from rectify.tracking.forms import BatchForm, ProblemForm, UnknownPeople, people_named
from rectify.tracking.permissions import batch_scope, can_supervise, measure_scope, sees_everything
from rectify.tracking.status import live_clause

bp = Blueprint("batches", __name__, url_prefix="/batches")
BATCH_FIELDS = ["kind", "title", "issuer", "doc_number", "feedback_on", "period_end_on"]


@bp.route("/")
def index():
    batches = db.session.scalars(sa.select(Batch).where(batch_scope(current_user))
                                 .order_by(Batch.created_at.desc(), Batch.id.desc())).all()
    return render_template("batches/index.html", batches=batches, progress=batch_figures(current_user, local_today()),
                           supervisor=can_supervise(current_user))


@bp.route("/<int:batch_id>")
def batch(batch_id):
    """One batch: its figures by problem and by measure, by unit, and the documents made from it."""
    batch = get_batch(batch_id)
    today = local_today()
    figures = batch_figures(current_user, today).get(batch.id, Figures())
    in_batch = [live_clause(), measure_scope(current_user),
                Measure.problem_id.in_(sa.select(Problem.id).where(Problem.batch_id == batch.id))]
    by_unit = figures_for(in_batch, "unit", today, current_user, "batch", batch.id)
    names = dict(db.session.execute(sa.select(Department.id, Department.name)
                                    .where(Department.id.in_([u for u in by_unit if u] or [0]))).all())
    units = sorted(((names.get(unit_id, "未定"), f) for unit_id, f in by_unit.items()),
                   key=lambda item: (-item[1].overdue, -(item[1].measures - item[1].finished), item[0]))
    return render_template("batches/batch.html", batch=batch, figures=figures, units=units,
                           supervisor=can_supervise(current_user), reports=sees_everything(current_user))


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
        try:
            leaders = people_named(form.leaders.data)
        except UnknownPeople as refused:
            return render_template("tickets/problem_form.html", form=form, problem=None, error=refused.message,
                                   unknown=refused.unknown), 400
        position = db.session.scalar(sa.select(sa.func.count()).where(Problem.batch_id == batch.id)) + 1
        problem = Problem(batch=batch, position=position, number=form.number.data or None,
                          aspect=form.aspect.data or None, description=form.description.data,
                          lead_unit_id=form.lead_unit_id.data or None,
                          leaders=leaders)
        db.session.add(problem)
        audit.record(current_user, "create", problem, {"description": [None, problem.description]})
        if form.unit_plans.data:
            from rectify.plans.operations import ask_for_plan

            ask_for_plan(problem, current_user._get_current_object(), utcnow())
            db.session.commit()
            flash("问题已新增，已请牵头单位制定整改措施。", "success")
            return redirect(url_for("tickets.problem", problem_id=problem.id))
        db.session.commit()
        flash("问题已新增，请继续添加整改措施。", "success")
        return redirect(url_for("tickets.new_measure", problem_id=problem.id))
    return render_template("tickets/problem_form.html", form=form, problem=None, unknown={}), 400 if form.errors else 200
