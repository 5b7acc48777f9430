"""Which reminders are due today, and to whom. Pure planning: nothing is written or sent here.

Each planned notice carries a key (rule, measure, recipient, channel, period) that makes it
unique. The period is what makes a notice exactly-once yet repeatable where it should repeat:
a due-soon notice's period is the deadline (moving the deadline starts a new round), an
overdue notice's period is the day (or every N days), a monthly report's period is the month.

Catch-up: a due-soon notice is keyed by the smallest threshold at or above the days left, so a
measure that crossed the 7-day mark while the system was down gets its 7-day notice on the
next run — once — and its 3-day notice when that comes.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from rectify.core.extensions import db
from rectify.core.timeutil import format_date, local_date, utc_start
from rectify.models import (
    Measure,
    MeasureStatus,
    Person,
    Plan,
    Problem,
    ProgressUpdate,
    Role,
    UpdateKind,
    User,
)
from rectify.tracking.status import ACTIVE, is_unacknowledged, live_clause, unacknowledged_clause

S = MeasureStatus
LEVELS = ("提醒", "催办", "督办")
RULE_NAMES = {
    "due_today": "今天到期", "overdue": "逾期提醒", "overdue_leader": "逾期催办（责任领导）",
    "overdue_supervisor": "逾期督办（督办员）", "unacknowledged": "未签收提醒", "monthly_report": "长期坚持月度进展提醒",
    "plan_overdue": "整改方案超期催办", "plan_overdue_supervisor": "整改方案超期督办（督办员）",
}


def rule_name(rule: str) -> str:
    """A rule's name in Chinese, for people: due_soon_3 reads 到期前3天提醒."""
    for prefix, words in (("due_soon_", "到期前{}天提醒"), ("plan_due_", "整改方案提交前{}天提醒")):
        if rule.startswith(prefix):
            return words.format(rule.removeprefix(prefix))
    return RULE_NAMES.get(rule, rule)


@dataclass(frozen=True)
class Settings:
    due_days: tuple[int, ...] = (7, 3, 1)
    overdue_every: int = 1
    leader_after: int = 3
    supervisors_after: int = 7
    unacknowledged_after: int = 2
    monthly_day: int = 20
    plan_days: int = 15

    @classmethod
    def from_config(cls, config) -> "Settings":
        """From the configuration, or a mapping of the same keys (reminders.settings.effective())."""
        days = tuple(sorted({int(d) for d in str(config["RECTIFY_REMIND_DUE_DAYS"]).replace("，", ",").split(",") if d.strip()},
                            reverse=True))
        return cls(days, max(1, config["RECTIFY_REMIND_OVERDUE_EVERY"]), config["RECTIFY_ESCALATE_LEADER_DAYS"],
                   config["RECTIFY_ESCALATE_SUPERVISORS_DAYS"], config["RECTIFY_REMIND_UNACKNOWLEDGED_DAYS"],
                   config["RECTIFY_REMIND_MONTHLY_DAY"], config["RECTIFY_PLAN_DUE_DAYS"])


@dataclass(frozen=True)
class Planned:
    key: str
    measure: Measure
    user: User
    rule: str
    level: str
    reason: str
    period: str


def _users(people: Iterable[Person]) -> list[User]:
    return [p.user for p in people if p.user is not None and p.user.is_active]


def _owners(measure: Measure, unit_owners: dict[int, list[User]]) -> list[User]:
    """The responsible people with accounts; failing those, the lead unit's 责任人 accounts."""
    return _users(measure.owners) or unit_owners.get(measure.lead_unit_id, [])


def plan(today: date, settings: Settings) -> list[Planned]:
    """Every notice due today, in a fixed number of queries whatever the number of measures."""
    horizon = date.fromordinal(today.toordinal() + max(settings.due_days or (0,)))
    # Joined loads, not selectin: selectin batches 500 ids a query, which would grow with the data.
    people = (joinedload(Measure.owners).joinedload(Person.user), joinedload(Measure.leaders).joinedload(Person.user))
    measures = db.session.scalars(
        sa.select(Measure).join(Measure.problem)
        .where(live_clause(), sa.or_(
            sa.and_(Measure.status.in_(ACTIVE), Measure.due_on <= horizon),
            unacknowledged_clause(),
            Measure.status == S.LONG_TERM,
            Measure.is_problem_itself,  # its problem's 整改方案 has a deadline of its own
        ))
        .options(*people, joinedload(Measure.problem).joinedload(Problem.leaders).joinedload(Person.user))
    ).unique().all()
    supervisors = db.session.scalars(sa.select(User).where(User.role == Role.SUPERVISOR, User.is_active)).all()
    unit_owners: dict[int, list[User]] = {}
    for user in db.session.scalars(sa.select(User).where(User.role == Role.OWNER, User.is_active)):
        unit_owners.setdefault(user.department_id, []).append(user)
    reported = set(db.session.scalars(
        sa.select(ProgressUpdate.measure_id).where(
            ProgressUpdate.kind == UpdateKind.PROGRESS,
            ProgressUpdate.created_at >= utc_start(today.replace(day=1)))
    ))
    planned_problems = set(db.session.scalars(sa.select(Plan.problem_id).where(Plan.status.in_(["submitted", "approved"]))))
    planned: list[Planned] = []
    for m in measures:
        owners = _owners(m, unit_owners)
        leaders = _users(m.leaders) or _users(m.problem.leaders)

        def add(rule, period, level, reason, users):
            for user in users:
                planned.append(Planned(f"{rule}:{m.id}:{user.id}:{period}", m, user, rule, level, reason, str(period)))

        if m.status in ACTIVE and m.due_on is not None:
            left = (m.due_on - today).days
            if left < 0:
                late = -left
                period = f"{m.due_on}:{(late - 1) // settings.overdue_every}"
                add("overdue", period, LEVELS[0], f"已逾期{late}天", owners)
                if late >= settings.leader_after:
                    add("overdue_leader", period, LEVELS[1], f"已逾期{late}天（催办）", leaders)
                if late >= settings.supervisors_after:
                    add("overdue_supervisor", period, LEVELS[2], f"已逾期{late}天（督办）", supervisors)
            elif left == 0:
                add("due_today", m.due_on, LEVELS[0], "今天到期", owners)
            else:
                thresholds = [t for t in settings.due_days if t >= left]
                if thresholds:
                    add(f"due_soon_{min(thresholds)}", m.due_on, LEVELS[0], f"剩余{left}天到期", owners)
        if m.is_problem_itself and m.problem_id not in planned_problems:
            plan_due = local_date(m.assigned_at) + timedelta(days=settings.plan_days)
            left = (plan_due - today).days
            if left < 0:
                period = f"{plan_due}:{(-left - 1) // settings.overdue_every}"
                add("plan_overdue", period, LEVELS[1], f"整改方案已超期{-left}天未提交（应于{format_date(plan_due)}前）",
                    owners + leaders)
                if -left >= settings.supervisors_after:
                    add("plan_overdue_supervisor", period, LEVELS[2], f"整改方案已超期{-left}天未提交（督办）", supervisors)
            else:
                thresholds = [t for t in settings.due_days if t >= left]
                if thresholds:
                    add(f"plan_due_{min(thresholds)}", plan_due, LEVELS[0], f"整改方案应于{left}天内提交", owners)
        if is_unacknowledged(m):
            waited = (today - local_date(m.assigned_at)).days
            if waited >= settings.unacknowledged_after:
                # The period stays the assignment's UTC date: it only tells one assignment from the next,
                # and keeping it means no reminder already sent is sent again after an upgrade.
                add("unacknowledged", m.assigned_at.date(), LEVELS[0], f"分派{waited}天仍未签收", owners)
        if m.status is S.LONG_TERM and today.day >= settings.monthly_day and m.id not in reported:
            add("monthly_report", f"{today:%Y-%m}", LEVELS[0], "长期坚持事项，请报送本月进展", owners)
    return planned
