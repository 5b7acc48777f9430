"""The 整改方案 on the ticket page: a unit saves or submits its proposed measures, a supervisor
approves or returns them. The ticket page (tracking/tickets.py) shows the section."""
from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from rectify.core.extensions import db
from rectify.core.forms import EmptyForm, form_errors
from rectify.core.timeutil import utcnow
from rectify.plans import operations
from rectify.plans.forms import PlanForm, ReturnPlanForm
from rectify.tracking.access import get_problem
from rectify.tracking.workflow import WorkflowError

bp = Blueprint("plans", __name__)


def _back(problem_id):
    return redirect(url_for("tickets.problem", problem_id=problem_id, _anchor="plan"))


def _refused(problem_id, error: WorkflowError):
    from rectify.tracking.tickets import load_problem, ticket_page

    db.session.rollback()
    return ticket_page(load_problem(problem_id), error.status, error=error.message)


@bp.route("/problems/<int:problem_id>/plan", methods=["POST"])
def save(problem_id):
    problem = get_problem(problem_id)
    form = PlanForm()
    if not form.validate_on_submit():
        return _refused(problem_id, WorkflowError(form_errors(form), 400))
    submit = bool(form.submit.data)
    try:
        operations.save_plan(problem, current_user._get_current_object(), form.drafts(), submit, utcnow())
        db.session.commit()
    except WorkflowError as error:
        return _refused(problem_id, error)
    flash("整改方案已提交，等待督办员审核。" if submit else "整改方案草稿已保存。", "success")
    return _back(problem_id)


@bp.route("/problems/<int:problem_id>/plan/approve", methods=["POST"])
def approve(problem_id):
    problem = get_problem(problem_id)
    EmptyForm().validate_on_submit()
    try:
        made = operations.approve_plan(problem, current_user._get_current_object(), utcnow())
        db.session.commit()
    except WorkflowError as error:
        return _refused(problem_id, error)
    flash(f"整改方案已通过，{len(made)} 项措施已生效，已通知责任人签收。", "success")
    return _back(problem_id)


@bp.route("/problems/<int:problem_id>/plan/return", methods=["POST"])
def return_plan(problem_id):
    problem = get_problem(problem_id)
    form = ReturnPlanForm()
    form.validate_on_submit()
    try:
        operations.return_plan(problem, current_user._get_current_object(), form.reason.data, utcnow())
        db.session.commit()
    except WorkflowError as error:
        return _refused(problem_id, error)
    flash("整改方案已退回，已通知责任单位。", "success")
    return _back(problem_id)
