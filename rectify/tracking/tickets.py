"""The ticket (问题详情): a problem with its measures, and every workflow action on them."""
from collections import defaultdict

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from rectify.accounts import audit
from rectify.accounts.forms import department_choices
from rectify.accounts.people import split_names
from rectify.core.extensions import db
from rectify.core.forms import EmptyForm, form_errors
from rectify.core.timeutil import local_today, utcnow
from rectify.models import (
    AuditLog,
    Department,
    Evidence,
    ExtensionRequest,
    Measure,
    Notice,
    Problem,
    ProgressUpdate,
    UpdateKind,
)
from rectify.reminders import reading
from rectify.tracking import evidence, workflow
from rectify.tracking.access import get_evidence, get_extension, get_measure, get_problem
from rectify.tracking.forms import (
    CommentForm,
    EvidenceForm,
    ExtensionDecisionForm,
    ExtensionForm,
    MeasureForm,
    ProblemForm,
    ProgressForm,
    ReviewForm,
    SubmitForReviewForm,
    UnknownPeople,
    people_named,
)
from rectify.tracking.permissions import acts_for_unit, visible_measures
from rectify.tracking.workflow import WorkflowError

bp = Blueprint("tickets", __name__)

MEASURE_FORMS = {
    "progress": ProgressForm,
    "submit": SubmitForReviewForm,
    "review": ReviewForm,
    "evidence": EvidenceForm,
    "comment": CommentForm,
    "extension": ExtensionForm,
}
# The panes of a measure's actions: (action in workflow.RULES, form and route, label).
PANES = [("progress", "progress", "填报进展"), ("evidence", "evidence", "上传佐证材料"), ("submit", "submit", "申请销号"),
         ("extension", "extension", "申请延期"), ("approve", "review", "审核"), ("comment", "comment", "发表意见")]


def problem_load():
    """What a ticket page shows of a problem and its measures; built on use (see board.card_load)."""
    measure_load = (joinedload(Measure.lead_unit), selectinload(Measure.owners), selectinload(Measure.leaders),
                    selectinload(Measure.cooperating_units))
    return (joinedload(Problem.batch), joinedload(Problem.lead_unit), selectinload(Problem.leaders),
            selectinload(Problem.measures).options(*measure_load))


def measure_form(name, measure, blank=False):
    """The form ``name`` for ``measure`` (from the request unless ``blank``), prefixed so
    that a page can hold one per measure."""
    prefix = f"m{measure.id}-{name}"
    form = MEASURE_FORMS[name](formdata=None, prefix=prefix) if blank else MEASURE_FORMS[name](prefix=prefix)
    if hasattr(form, "version") and form.version.data is None:
        form.version.data = measure.version
    return form


def _panes(actions, behalf):
    """The action panes a measure offers as (form name, label): the user's own, and apart from them
    the owner's that a 督办员 would take for the unit (代为填报)."""
    own, for_unit = [], []
    for action, name, label in PANES:
        if action in actions:
            if behalf and action in workflow.OWNER_ACTIONS:
                for_unit.append((name, "代为" + label))
            else:
                own.append((name, label))
    return own, for_unit


def ticket_page(problem, status=200, error=None, failed=None):
    """Render the ticket in a fixed number of queries; ``failed`` keeps a refused form's input."""
    measures = visible_measures(current_user, problem, include_deleted=True)
    ids = [m.id for m in measures] or [0]
    updates, files, extensions, trail = defaultdict(list), defaultdict(list), defaultdict(list), []
    for update in db.session.scalars(
        sa.select(ProgressUpdate).where(ProgressUpdate.measure_id.in_(ids))
        .options(joinedload(ProgressUpdate.author)).order_by(ProgressUpdate.created_at, ProgressUpdate.id)
    ):
        updates[update.measure_id].append(update)
    for item in db.session.scalars(
        sa.select(Evidence).where(Evidence.measure_id.in_(ids), Evidence.deleted_at.is_(None))
        .options(joinedload(Evidence.uploaded_by)).order_by(Evidence.uploaded_at, Evidence.id)
    ):
        files[item.measure_id].append(item)
    for item in db.session.scalars(
        sa.select(ExtensionRequest).where(ExtensionRequest.measure_id.in_(ids))
        .options(joinedload(ExtensionRequest.requested_by), joinedload(ExtensionRequest.decided_by))
        .order_by(ExtensionRequest.requested_at, ExtensionRequest.id)
    ):
        extensions[item.measure_id].append(item)
    trail = db.session.scalars(
        sa.select(AuditLog).where(
            sa.or_(
                sa.and_(AuditLog.object_type == "Measure", AuditLog.object_id.in_(ids)),
                sa.and_(AuditLog.object_type == "Problem", AuditLog.object_id == problem.id),
            )
        ).options(joinedload(AuditLog.actor)).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    ).all()
    notices = defaultdict(list)
    for notice in db.session.scalars(
        sa.select(Notice).where(Notice.measure_id.in_(ids))
        .options(joinedload(Notice.user), joinedload(Notice.delivery)).order_by(Notice.created_at.desc(), Notice.id)
    ):
        notices[notice.measure_id].append(notice)
    forms = {}
    for measure in measures:
        for name in MEASURE_FORMS:
            forms[measure.id, name] = measure_form(name, measure, blank=True)
    if failed is not None:
        forms[failed[0], failed[1]] = failed[2]
    user = current_user._get_current_object()
    actions = {m.id: workflow.available_actions(m, user) for m in measures}
    by_id = {m.id: m for m in measures}
    return render_template(
        "tickets/problem.html",
        problem=problem,
        measures=measures,
        actions=actions,
        on_behalf={m.id: workflow.on_behalf(m, user) for m in measures},
        panes={m.id: _panes(actions[m.id], workflow.on_behalf(m, user)) for m in measures},
        behalf_updates={u.id for items in updates.values() for u in items
                        if u.author is not None and u.kind in (UpdateKind.PROGRESS, UpdateKind.SUBMITTED)
                        and acts_for_unit(u.author, by_id[u.measure_id])},
        problem_actions=workflow.problem_actions(problem, user),
        decidable={x.id for items in extensions.values() for x in items if workflow.decidable(x, user)},
        plan=_plan_section(problem, user),
        updates=updates,
        files=files,
        extensions=extensions,
        notices=notices,
        trail=trail,
        forms=forms,
        decision_form=ExtensionDecisionForm(formdata=None),
        button=EmptyForm(formdata=None),
        error=error,
        today=local_today(),
    ), status


def _plan_section(problem, user) -> dict:
    """The 整改方案 of the problem as the page shows it: its state, deadline, the latest proposal,
    what ``user`` may do, and the forms."""
    from rectify.plans import operations as plans
    from rectify.plans.forms import PlanForm, ReturnPlanForm

    latest = plans.latest_plan(problem)
    state = plans.state(problem, latest)
    allowed = plans.actions(problem, user, latest)
    editable = latest.measures if latest is not None and latest.status in ("draft", "returned") else []
    return {"state": state, "label": plans.STATES.get(state), "due_on": plans.due_on(problem), "latest": latest,
            "actions": allowed, "form": PlanForm.for_plan(editable) if allowed & {"draft", "propose"} else None,
            "return_form": ReturnPlanForm(formdata=None), "unit": plans.unit_of(problem)}


def load_problem(problem_id, need="view"):
    return get_problem(problem_id, need, options=problem_load())


@bp.route("/problems/<int:problem_id>")
def problem(problem_id):
    page = ticket_page(load_problem(problem_id))
    if reading.mark_ticket_read(current_user._get_current_object(), problem_id, utcnow()):
        db.session.commit()  # the notices about this ticket have been seen
    return page


def _measure_action(measure_id, name, need, operation, done_message):
    """Validate the named form, run ``operation(measure, form)``, commit or render the refusal."""
    measure = get_measure(measure_id, need)
    form = measure_form(name, measure) if name else EmptyForm()
    problem_id = measure.problem_id
    if not form.validate_on_submit():
        db.session.rollback()
        errors = form_errors(form)
        return ticket_page(load_problem(problem_id), 400, error=errors, failed=(measure_id, name, form))
    try:
        operation(measure, form)
        db.session.commit()
    except WorkflowError as refused:
        db.session.rollback()
        return ticket_page(load_problem(problem_id), refused.status, error=refused.message,
                            failed=(measure_id, name, form) if name else None)
    flash(done_message, "success")
    return redirect(url_for("tickets.problem", problem_id=problem_id, _anchor=f"measure-{measure_id}"))


def _files(form):
    return request.files.getlist(form.files.name)


@bp.route("/measures/<int:measure_id>/acknowledge", methods=["POST"])
def acknowledge(measure_id):
    return _measure_action(measure_id, None, "work",
                           lambda m, f: workflow.acknowledge(m, current_user), "已签收。")


@bp.route("/measures/<int:measure_id>/progress", methods=["POST"])
def progress(measure_id):
    return _measure_action(
        measure_id, "progress", "work",
        lambda m, f: workflow.post_progress(m, current_user, f.text.data, _files(f), f.version.data),
        "进展已提交。",
    )


@bp.route("/measures/<int:measure_id>/evidence", methods=["POST"])
def upload_evidence(measure_id):
    def upload(measure, form):
        if not workflow.attach_files(measure, current_user, _files(form)):
            raise WorkflowError("请选择要上传的文件。", 400)

    return _measure_action(measure_id, "evidence", "work", upload, "佐证材料已上传。")


@bp.route("/measures/<int:measure_id>/submit", methods=["POST"])
def submit(measure_id):
    return _measure_action(
        measure_id, "submit", "work",
        lambda m, f: workflow.submit_for_review(m, current_user, f.note.data, _files(f), f.version.data),
        "已申请销号，等待督办员审核。",
    )


@bp.route("/measures/<int:measure_id>/review", methods=["POST"])
def review(measure_id):
    def decide(measure, form):
        if form.decision.data == "return":
            workflow.return_for_rework(measure, current_user, form.note.data, form.version.data)
        else:
            workflow.approve(measure, current_user, form.note.data, form.decision.data == "stage", form.version.data)

    return _measure_action(measure_id, "review", "supervise", decide, "审核意见已提交。")


@bp.route("/measures/<int:measure_id>/comment", methods=["POST"])
def comment(measure_id):
    return _measure_action(measure_id, "comment", "comment",
                           lambda m, f: workflow.comment(m, current_user, f.text.data), "意见已发表。")


@bp.route("/measures/<int:measure_id>/extension", methods=["POST"])
def request_extension(measure_id):
    return _measure_action(
        measure_id, "extension", "work",
        lambda m, f: workflow.request_extension(m, current_user, f.until.data, f.reason.data),
        "延期申请已提交，等待督办员审批。",
    )


def _problem_action(problem_id, operation, done_message):
    """Run ``operation``, commit and go back to the ticket; a refusal re-renders it with the reason."""
    try:
        operation()
        db.session.commit()
    except WorkflowError as refused:
        db.session.rollback()
        return ticket_page(load_problem(problem_id), refused.status, error=refused.message)
    flash(done_message, "success")
    return redirect(url_for("tickets.problem", problem_id=problem_id))


@bp.route("/extensions/<int:request_id>/decide", methods=["POST"])
def decide_extension(request_id):
    extension = get_extension(request_id)
    form = ExtensionDecisionForm()

    def decide():
        if not form.validate_on_submit():
            raise WorkflowError("请选择审批意见。", 400)
        workflow.decide_extension(extension, current_user, form.decision.data == "approve", form.reason.data)

    approved = form.decision.data == "approve"
    return _problem_action(extension.measure.problem_id, decide, "延期申请已同意。" if approved else "延期申请已驳回。")


@bp.route("/measures/<int:measure_id>/<any(delete, restore):action>", methods=["POST"])
def delete_measure(measure_id, action):
    return _measure_action(measure_id, None, "supervise",
                           lambda m, f: workflow.set_deleted(m, current_user, action == "delete"),
                           "已删除措施（可恢复）。" if action == "delete" else "已恢复措施。")


@bp.route("/problems/<int:problem_id>/<any(delete, restore):action>", methods=["POST"])
def delete_problem(problem_id, action):
    problem = load_problem(problem_id, "supervise")
    EmptyForm().validate_on_submit()
    return _problem_action(problem_id, lambda: workflow.set_deleted(problem, current_user, action == "delete"),
                           "已删除问题（可恢复）。" if action == "delete" else "已恢复问题。")


def _unit_choices(form_field):
    form_field.choices = department_choices()


def _units_named(text):
    names = split_names(text)
    units = {u.name: u for u in db.session.scalars(sa.select(Department).where(Department.name.in_(names)))}
    missing = [name for name in names if name not in units]
    if missing:
        raise WorkflowError(f"未找到部门：{'、'.join(missing)}（请先在部门管理中添加）。", 400)
    return [units[name] for name in names]


def _measure_fields(form):
    return dict(
        text=form.text.data,
        goal=form.goal.data or None,
        lead_unit=db.session.get(Department, form.lead_unit_id.data) if form.lead_unit_id.data else None,
        cooperating_units=_units_named(form.cooperating.data),
        leaders=people_named(form.leaders.data),
        owners=people_named(form.owners.data),
        due_on=form.due_on.data,
        is_immediate=form.is_immediate.data,
        is_long_term=form.is_long_term.data,
    )


def _names(items):
    return "、".join(item.name for item in items)


@bp.route("/measures/<int:measure_id>/edit", methods=["GET", "POST"])
@bp.route("/problems/<int:problem_id>/measures/new", methods=["GET", "POST"], endpoint="new_measure")
def edit_measure(measure_id=None, problem_id=None):
    measure = get_measure(measure_id, "supervise") if measure_id else None
    problem = measure.problem if measure else load_problem(problem_id, "supervise")
    form = MeasureForm(obj=measure)
    _unit_choices(form.lead_unit_id)
    if not form.is_submitted():
        if measure:
            form.version.data = measure.version
            form.lead_unit_id.data = measure.lead_unit_id or 0
            form.cooperating.data = _names(measure.cooperating_units)
            form.leaders.data, form.owners.data = _names(measure.leaders), _names(measure.owners)
        else:
            form.lead_unit_id.data = problem.lead_unit_id or 0
            form.leaders.data = _names(problem.leaders)
    status, error, unknown = 200, None, {}
    if form.validate_on_submit():
        try:
            if measure is None:
                measure = Measure(problem=problem, position=len(problem.measures) + 1, text=form.text.data)
                db.session.add(measure)
                db.session.flush()
                audit.record(current_user, "create", measure, {"text": [None, form.text.data]})
            workflow.update_measure(measure, current_user, form.version.data if measure_id else None,
                                    **_measure_fields(form))
            db.session.commit()
        except WorkflowError as refused:
            db.session.rollback()
            status, error = refused.status, refused.message
            unknown = getattr(refused, "unknown", {})
        else:
            flash("措施已保存。", "success")
            return redirect(url_for("tickets.problem", problem_id=problem.id, _anchor=f"measure-{measure.id}"))
    elif form.errors:
        status = 400
    return render_template("tickets/measure_form.html", form=form, problem=problem, measure=measure,
                           error=error, unknown=unknown), status


@bp.route("/evidence/<int:evidence_id>")
def download_evidence(evidence_id):
    item = get_evidence(evidence_id)
    return _send(item, inline=False)


@bp.route("/evidence/<int:evidence_id>/preview")
def preview_evidence(evidence_id):
    item = get_evidence(evidence_id)
    return _send(item, inline=item.content_type in evidence.PREVIEWABLE)


def _send(item, inline):
    response = send_file(
        evidence.path_for(item.sha256),
        mimetype=item.content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        download_name=item.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"
    return response


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
def delete_evidence(evidence_id):
    item = get_evidence(evidence_id, "work")
    EmptyForm().validate_on_submit()
    return _problem_action(item.measure.problem_id, lambda: workflow.remove_evidence(item, current_user), "佐证材料已删除。")


@bp.route("/problems/<int:problem_id>/edit", methods=["GET", "POST"])
def edit_problem(problem_id):
    problem = load_problem(problem_id, "supervise")
    form = ProblemForm(obj=problem)
    _unit_choices(form.lead_unit_id)
    if not form.is_submitted():
        form.lead_unit_id.data = problem.lead_unit_id or 0
        form.leaders.data = _names(problem.leaders)
    unknown = {}
    if form.validate_on_submit():
        try:
            leaders = people_named(form.leaders.data)
        except UnknownPeople as refused:
            return render_template("tickets/problem_form.html", form=form, problem=problem, error=refused.message,
                                   unknown=refused.unknown), 400
        before = audit.snapshot(problem, ["number", "aspect", "description", "lead_unit", "leaders"])
        problem.number, problem.aspect = form.number.data or None, form.aspect.data or None
        problem.description = form.description.data
        problem.lead_unit_id = form.lead_unit_id.data or None
        problem.leaders = leaders
        db.session.flush()
        db.session.refresh(problem, ["lead_unit"])
        audit.record_changes(current_user, "update", problem, before)
        db.session.commit()
        flash("问题已保存。", "success")
        return redirect(url_for("tickets.problem", problem_id=problem.id))
    return render_template("tickets/problem_form.html", form=form, problem=problem, unknown=unknown), \
        400 if form.errors else 200
