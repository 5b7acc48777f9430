"""看板 (columns by status) and 列表 (sortable, paginated table with bulk assignment)."""
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectField, StringField, SubmitField

from rectify.accounts.auth import is_local_path
from rectify.accounts.forms import department_choices
from rectify.accounts.people import split_names
from rectify.core.extensions import db
from rectify.core.forms import Form
from rectify.core.numbers import whole_number
from rectify.core.timeutil import local_today
from rectify.models import Batch, Department, Measure, MeasureStatus, Problem, SourceKind, Warning
from rectify.tracking import workflow
from rectify.tracking.access import require
from rectify.tracking.counts import Figures, figures_for
from rectify.tracking.filters import MeasureFilters, by_deadline
from rectify.tracking.forms import people_named
from rectify.tracking.permissions import batch_scope, can_supervise, unit_scope
from rectify.tracking.revision import cached
from rectify.tracking.workflow import WorkflowError

bp = Blueprint("board", __name__)
# A column shows its most urgent cards; the rest are a click away in the list (its header
# keeps the full count). More cards make a column nobody scrolls and a slower page.
COLUMN_LIMIT = 20
PAGE_SIZE = 50


def card_load():
    """What a card shows beside its measure: problem, batch, lead unit, owners. Built on use, not
    at import: naming a relationship configures every mapper, 40 ms that a command never needing
    the board should not pay at start."""
    return (joinedload(Measure.problem).joinedload(Problem.batch), joinedload(Measure.lead_unit),
            selectinload(Measure.owners))


# The orders the list offers. "due" and "-due" (undated last) are served by filters.by_deadline,
# which walks the deadline indexes; the others by ORDER BY.
SORTS = {
    "due": (Measure.due_on.is_(None), Measure.due_on, Measure.id),
    "-due": (Measure.due_on.is_(None), Measure.due_on.desc(), Measure.id.desc()),
    "status": (Measure.status, Measure.id),
    "unit": (Measure.lead_unit_id, Measure.id),
    "number": (Problem.batch_id, Problem.position, Measure.position, Measure.id),
    "updated": (Measure.updated_at.desc(), Measure.id.desc()),
}


class MeasurePagination(SelectPagination):
    """Pages measures by sorting their ids only, then loading that page's rows (a deferred
    join): a deep page sorts narrow rows instead of whole measures, several times faster.

    Arguments beyond Flask-SQLAlchemy's: ``sort`` (a key of SORTS) and ``count_key``, the
    (filters, today, due-soon days) under which the totals are kept until the data changes
    (``rectify.tracking.revision``)."""

    def _page_ids(self):
        select = self._query_args["select"].with_only_columns(Measure.id)
        sort, offset, size = self._query_args["sort"], self._query_offset, self.per_page
        if sort not in ("due", "-due"):
            return db.session.scalars(select.order_by(*SORTS[sort]).limit(size).offset(offset)).all()
        dated = sa.select(sa.func.count()).select_from(select.where(Measure.due_on.is_not(None)).subquery())
        dated_total = cached("dated", current_user, lambda: db.session.scalar(dated), *self._query_args["count_key"])
        return by_deadline(select, size, offset, dated_total, descending=sort == "-due")

    def _query_items(self):
        ids = self._page_ids()
        rows = {m.id: m for m in db.session.scalars(sa.select(Measure).where(Measure.id.in_(ids)).options(*card_load()))}
        return [rows[i] for i in ids]

    def _query_count(self):
        filters, today, soon = self._query_args["count_key"]
        return filters.count(current_user, today, soon)


class AssignForm(Form):
    lead_unit_id = SelectField("责任单位", coerce=int)
    owners = StringField("责任人（多人用顿号分隔）")
    submit = SubmitField("分派所选措施")


def _filters_and_choices():
    filters = MeasureFilters.from_args(request.args)
    choices = dict(
        batches=db.session.execute(sa.select(Batch.id, Batch.title).where(batch_scope(current_user))
                                   .order_by(Batch.created_at.desc())).all(),
        units=db.session.execute(sa.select(Department.id, Department.name).where(unit_scope(current_user))
                                 .order_by(Department.name)).all(),
        kinds=list(SourceKind),
        statuses=list(MeasureStatus),
        colours=list(Warning),
    )
    return filters, choices


@bp.route("/board")
def board():
    filters, choices = _filters_and_choices()
    today, soon = local_today(), current_app.config["RECTIFY_DUE_SOON_DAYS"]
    base = filters.select(current_user, today, soon)
    counts = cached("board", current_user, lambda: dict(db.session.execute(
        sa.select(Measure.status, sa.func.count())
        .where(*filters.conditions(current_user, today, soon)).group_by(Measure.status)
    ).all()), filters, today, soon)
    measure_ids = base.with_only_columns(Measure.id)
    column_ids = {status: by_deadline(measure_ids.where(Measure.status == status), COLUMN_LIMIT)
                  for status in MeasureStatus}
    wanted = [i for ids in column_ids.values() for i in ids]
    cards = {m.id: m for m in db.session.scalars(sa.select(Measure).where(Measure.id.in_(wanted)).options(*card_load()))}
    columns = [(status, [cards[i] for i in ids], counts.get(status, 0)) for status, ids in column_ids.items()]
    figures = figures_for(filters.conditions(current_user, today, soon), None, today, current_user, filters, soon)
    return render_template("board/board.html", columns=columns, filters=filters, today=today,
                           due_soon_days=soon, column_limit=COLUMN_LIMIT, figures=figures.get(None, Figures()),
                           **choices)


@bp.route("/list")
def measure_list():
    filters, choices = _filters_and_choices()
    today, soon = local_today(), current_app.config["RECTIFY_DUE_SOON_DAYS"]
    sort = request.args.get("sort", "due")
    if sort not in SORTS:
        sort = "due"
    select = filters.select(current_user, today, soon)
    if sort == "number":
        select = select.join(Measure.problem)
    page = MeasurePagination(
        select=select, sort=sort, count_key=(filters, today, soon),
        session=db.session, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False,
    )
    form = AssignForm(formdata=None)
    form.lead_unit_id.choices = department_choices()
    return render_template("board/list.html", page=page, filters=filters, sort=sort, sorts=SORTS, today=today,
                           due_soon_days=soon, assign_form=form, supervisor=can_supervise(current_user),
                           **choices)


@bp.route("/list/assign", methods=["POST"])
def assign():
    """Bulk assignment (批量分派) of the ticked measures to a unit and/or people."""
    require(can_supervise(current_user))
    form = AssignForm()
    form.lead_unit_id.choices = department_choices()
    back = request.form.get("next")
    back = back if is_local_path(back) else url_for("board.measure_list")
    ids = [number for number in map(whole_number, request.form.getlist("ids")) if number is not None]
    if not form.validate_on_submit() or not ids:
        flash("请勾选要分派的措施。" if not ids else "分派内容无效。", "danger")
        return redirect(back)
    owners = split_names(form.owners.data)
    if not owners and not form.lead_unit_id.data:
        flash("请选择责任单位或填写责任人。", "danger")
        return redirect(back)
    measures = db.session.scalars(
        sa.select(Measure).where(Measure.id.in_(ids), Measure.deleted_at.is_(None))
        .options(selectinload(Measure.owners), joinedload(Measure.lead_unit),
                 selectinload(Measure.leaders), selectinload(Measure.cooperating_units))
    ).all()
    fields = {}
    if form.lead_unit_id.data:
        fields["lead_unit"] = db.session.get(Department, form.lead_unit_id.data)
    try:
        if owners:
            fields["owners"] = people_named(form.owners.data)
        for measure in measures:
            workflow.update_measure(measure, current_user, None, **fields)
        db.session.commit()
    except WorkflowError as refused:
        db.session.rollback()
        flash(refused.message, "danger")
        return redirect(back)
    flash(f"已分派 {len(measures)} 项措施。", "success")
    return redirect(back)
