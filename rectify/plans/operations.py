"""The 整改方案 step: a unit drafts the measures of a problem listed without measures of its own,
submits them, and a supervisor approves (the measures go live, their people are asked to 签收)
or returns them with a reason. A unit may also propose changes to a live plan (add a measure,
split one); they are decided the same way. Operations flush; the caller commits.

A problem needs a plan while it has a live measure that is the problem itself (an import's
``is_problem_itself``, or one a supervisor made when adding a problem for a unit to plan). The
plan is due ``RECTIFY_PLAN_DUE_DAYS`` after that measure was assigned.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from rectify.accounts import audit
from rectify.accounts.people import resolve_people, split_names
from rectify.core.extensions import db
from rectify.core.text import one_sentence
from rectify.core.timeutil import local_date
from rectify.imports.deadlines import DeadlineError, parse_deadline
from rectify.models import Department, Measure, MeasureStatus, Plan, Problem, Role, User
from rectify.tracking import workflow
from rectify.tracking.events import announce
from rectify.tracking.permissions import can_supervise
from rectify.tracking.status import live_clause
from rectify.tracking.workflow import WorkflowError

STATES = {"needed": "待制定措施", "draft": "整改方案草稿", "returned": "方案被退回", "submitted": "待审核方案"}
MAX_MEASURES = 50


@dataclass(frozen=True)
class Draft:
    """One proposed measure, as the unit wrote it."""

    text: str
    deadline: str = ""
    people: str = ""
    unit: str = ""
    cooperating: str = ""
    replaces: Optional[int] = None

    def as_json(self) -> dict:
        return {"text": self.text, "deadline": self.deadline, "people": self.people, "unit": self.unit,
                "cooperating": self.cooperating, "replaces": self.replaces}


def placeholders(problem: Problem) -> list[Measure]:
    """The live measures that stand for the problem itself, waiting for the unit's measures."""
    if problem.deleted_at is not None:
        return []
    return [m for m in problem.measures if m.is_problem_itself and m.deleted_at is None]


def ask_for_plan(problem: Problem, by: User, now: datetime) -> Measure:
    """A supervisor leaves the measures to the lead unit: the problem is tracked as one measure
    that is the problem itself until the unit's plan is approved; the unit is told."""
    if not can_supervise(by):
        raise WorkflowError("只有督办员可以请单位制定整改措施。", 403)
    measure = Measure(problem=problem, position=1, text=problem.description, lead_unit=problem.lead_unit,
                      leaders=list(problem.leaders), is_problem_itself=True, assigned_at=now, created_at=now)
    db.session.add(measure)
    db.session.flush()
    audit.record(by, "create", measure, {"text": [None, measure.text]})
    workflow.announce_assignment(measure, by)
    return measure


def latest_plan(problem: Problem) -> Optional[Plan]:
    return db.session.scalar(sa.select(Plan).where(Plan.problem_id == problem.id).order_by(Plan.id.desc()).limit(1))


def state(problem: Problem, latest: Optional[Plan]) -> Optional[str]:
    """needed, draft, returned, submitted — or None when the problem needs no plan now."""
    if latest is not None and latest.status == "submitted":
        return "submitted"
    if latest is not None and latest.status == "draft":
        return "draft"
    if placeholders(problem):
        return "returned" if latest is not None and latest.status == "returned" else "needed"
    return None


def due_on(problem: Problem) -> Optional[date]:
    waiting = placeholders(problem)
    if not waiting:
        return None
    assigned = min(m.assigned_at for m in waiting)
    return local_date(assigned) + timedelta(days=current_app.config["RECTIFY_PLAN_DUE_DAYS"])


def unit_of(problem: Problem) -> Optional[Department]:
    """The unit that plans: the one the problem-itself measure names, else the problem's."""
    for measure in placeholders(problem):
        if measure.lead_unit is not None:
            return measure.lead_unit
    return problem.lead_unit


def can_draft(user: User, problem: Problem) -> bool:
    """Supervisors, the planning unit's 责任人 and 责任领导, and the people named on the problem."""
    if can_supervise(user):
        return True
    if user.role not in (Role.OWNER, Role.LEADER):
        return False
    unit = unit_of(problem)
    if unit is not None and user.department_id == unit.id:
        return True
    return any(p.user_id == user.id for m in placeholders(problem) for p in m.owners)


def actions(problem: Problem, user: User, latest: Optional[Plan]) -> frozenset[str]:
    """What ``user`` may do with the plan of ``problem`` now: draft (save or submit), approve,
    return; propose (a change to a live plan)."""
    now_state = state(problem, latest)
    found = set()
    if now_state in ("needed", "draft", "returned") and can_draft(user, problem):
        found.add("draft")
    if now_state == "submitted" and can_supervise(user):
        found |= {"approve", "return"}
    if now_state is None and problem.deleted_at is None and can_draft(user, problem) \
            and any(m.deleted_at is None for m in problem.measures):
        found.add("propose")
    return frozenset(found)


def _require(problem: Problem, user: User, action: str, latest: Optional[Plan]) -> None:
    if action in actions(problem, user, latest):
        return
    if action in ("approve", "return") and not can_supervise(user):
        raise WorkflowError("只有督办员可以审核整改方案。", 403)
    if action in ("draft", "propose") and not can_draft(user, problem):
        raise WorkflowError("只有责任单位的责任人、责任领导或督办员可以制定整改方案。", 403)
    label = STATES.get(state(problem, latest)) or "无需制定整改方案"
    raise WorkflowError(f"该问题当前为“{label}”，不能进行此操作。")


def _checked(problem: Problem, drafts: list[Draft], now: datetime) -> list[Draft]:
    """Every proposed measure readable: a text, a deadline Rectify can read, a known unit."""
    # NUL never comes from typing and PostgreSQL refuses it in text: it goes, from every field.
    drafts = [Draft(*(value.replace("\x00", "") if isinstance(value, str) else value
                      for value in (d.text, d.deadline, d.people, d.unit, d.cooperating, d.replaces)))
              for d in drafts]
    drafts = [d for d in drafts if d.text.strip()]
    if not drafts:
        raise WorkflowError("请至少填写一项整改措施。", 400)
    if len(drafts) > MAX_MEASURES:
        raise WorkflowError(f"一个整改方案最多 {MAX_MEASURES} 项措施。", 400)
    reference = problem.batch.feedback_on or local_date(now)
    errors = []
    known_units = set(db.session.scalars(sa.select(Department.name)))
    for number, draft in enumerate(drafts, start=1):
        if len(draft.text) > 5000:
            errors.append(f"第 {number} 项措施过长（最多 5000 字）")
        if draft.deadline.strip():
            try:
                parse_deadline(draft.deadline.strip(), reference)
            except DeadlineError as error:
                errors.append(f"第 {number} 项的整改时限“{draft.deadline}”无法识别（{error}）")
        for name in split_names(draft.unit) + split_names(draft.cooperating):
            if name not in known_units:
                errors.append(f"第 {number} 项的单位“{name}”不存在，请先在部门管理中添加")
        if draft.replaces is not None and not any(m.id == draft.replaces and m.deleted_at is None for m in problem.measures):
            errors.append(f"第 {number} 项要替代的措施不属于该问题")
    if errors:
        raise WorkflowError(one_sentence(errors), 400)
    return [Draft(d.text.strip(), d.deadline.strip(), d.people.strip(), d.unit.strip(), d.cooperating.strip(), d.replaces)
            for d in drafts]


def save_plan(problem: Problem, by: User, drafts: list[Draft], submit: bool, now: datetime) -> Plan:
    """Save the unit's proposal (as a draft) or submit it for the supervisor's decision."""
    latest = latest_plan(problem)
    kind = "change" if state(problem, latest) is None else "initial"
    _require(problem, by, "propose" if kind == "change" else "draft", latest)
    drafts = _checked(problem, drafts, now)
    plan = latest if latest is not None and latest.status == "draft" else Plan(problem=problem, kind=kind, created_at=now)
    plan.measures, plan.drafted_by = [d.as_json() for d in drafts], by
    db.session.add(plan)
    if submit:
        plan.status, plan.submitted_at = "submitted", now
        audit.record(by, "submit_plan", problem, {"plan": [None, [d.text for d in drafts]]})
        announce("plan_submitted", by, problem=problem, measures=len(drafts), change=kind == "change")
    else:
        plan.status = "draft"
    db.session.flush()
    return plan


def approve_plan(problem: Problem, by: User, now: datetime) -> list[Measure]:
    """The plan's measures go live (their people are asked to 签收); the problem-itself measure,
    or a measure a change replaces, is retired (deleted, restorable)."""
    plan = latest_plan(problem)
    _require(problem, by, "approve", plan)
    reference = problem.batch.feedback_on or local_date(now)
    units = {u.name: u for u in db.session.scalars(sa.select(Department))}
    fallback = unit_of(problem)
    position = max((m.position for m in problem.measures), default=0)
    made = []
    for number, draft in enumerate(plan.measures, start=1):
        deadline = parse_deadline(draft["deadline"], reference) if draft["deadline"] else None
        unit_names = split_names(draft["unit"])
        measure = Measure(problem=problem, position=position + number, text=draft["text"], status=MeasureStatus.NOT_STARTED,
                          lead_unit=units.get(unit_names[0]) if unit_names else fallback,
                          cooperating_units=[units[n] for n in split_names(draft["cooperating"]) if n in units],
                          owners=resolve_people(split_names(draft["people"])), leaders=list(problem.leaders),
                          due_on=deadline.due_on if deadline else None,
                          deadline_text=(draft["deadline"] or None) and draft["deadline"][:100],
                          is_immediate=bool(deadline and deadline.is_immediate),
                          is_long_term=bool(deadline and deadline.is_long_term), assigned_at=now, created_at=now)
        db.session.add(measure)
        made.append(measure)
    db.session.flush()
    retired = placeholders(problem) if plan.kind == "initial" else \
        [m for m in problem.measures if m.id in {d.get("replaces") for d in plan.measures} and m.deleted_at is None]
    for measure in retired:
        workflow.set_deleted(measure, by, True)
    plan.status, plan.decided_by, plan.decided_at = "approved", by, now
    audit.record(by, "approve_plan", problem, {"plan": [None, [m.text for m in made]]})
    for measure in made:
        audit.record(by, "create", measure, {"text": [None, measure.text]})
        workflow.announce_assignment(measure, by)
    announce("plan_approved", by, problem=problem, measures=len(made))
    return made


def return_plan(problem: Problem, by: User, reason: str, now: datetime) -> Plan:
    """Not good enough yet: back to the unit with the reason (required)."""
    plan = latest_plan(problem)
    _require(problem, by, "return", plan)
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("请填写退回理由。", 400)
    plan.status, plan.decided_by, plan.decided_at, plan.reason = "returned", by, now, reason
    audit.record(by, "return_plan", problem, {"reason": [None, reason]})
    announce("plan_returned", by, problem=problem, reason=reason)
    return plan


def awaiting_clause(user: User, scope):
    """SQL condition on Measure selecting problem-itself measures whose plan waits on ``user``'s
    unit (no plan submitted yet), within ``scope``."""
    submitted = sa.select(Plan.problem_id).where(Plan.status == "submitted")
    return sa.and_(Measure.is_problem_itself, live_clause(), scope, Measure.problem_id.not_in(submitted))


def submitted_plans(limit: int) -> list[Plan]:
    """Plans waiting for a supervisor, oldest first."""
    from sqlalchemy.orm import joinedload

    return db.session.scalars(sa.select(Plan).where(Plan.status == "submitted")
                              .join(Plan.problem).where(Problem.deleted_at.is_(None))
                              .options(joinedload(Plan.problem).joinedload(Problem.batch), joinedload(Plan.drafted_by))
                              .order_by(Plan.submitted_at).limit(limit)).all()
