"""Derived state: warning colours, deadline words and problem status.

None of this is stored, so it cannot go stale. The rules:
- Only measures still being worked on (未启动, 整改中) can be overdue or due soon; a measure
  awaiting review (待审核) is green until a return puts it back in the owner's hands.
- Red: the deadline has passed. Yellow: it is ``due_soon_days`` days away or closer (today
  included). Green: otherwise, or no dated deadline. Grey: 已完成 or 长期坚持 (stage done).
"""
from datetime import date
from typing import Iterable, Optional

import sqlalchemy as sa

from rectify.core.timeutil import format_date
from rectify.models import Measure, MeasureStatus, ProblemStatus, Warning

ACTIVE = (MeasureStatus.NOT_STARTED, MeasureStatus.IN_PROGRESS)
FINISHED = (MeasureStatus.DONE, MeasureStatus.LONG_TERM)


def days_left(measure: Measure, today: date) -> Optional[int]:
    """Days until the deadline (negative when overdue); None when there is no date."""
    if measure.due_on is None:
        return None
    return (measure.due_on - today).days


def warning_for(measure: Measure, today: date, due_soon_days: int) -> Warning:
    if measure.status in FINISHED:
        return Warning.GREY
    left = days_left(measure, today)
    if measure.status not in ACTIVE or left is None:
        return Warning.GREEN
    if left < 0:
        return Warning.RED
    if left <= due_soon_days:
        return Warning.YELLOW
    return Warning.GREEN


def warning_clause(colour: Warning, today: date, due_soon_days: int):
    """The SQL condition on Measure matching ``warning_for(...) == colour``."""
    active = Measure.status.in_(ACTIVE)
    dated = Measure.due_on.is_not(None)
    soon = date.fromordinal(today.toordinal() + due_soon_days)
    red = sa.and_(active, dated, Measure.due_on < today)
    yellow = sa.and_(active, dated, Measure.due_on >= today, Measure.due_on <= soon)
    if colour is Warning.GREY:
        return Measure.status.in_(FINISHED)
    if colour is Warning.RED:
        return red
    if colour is Warning.YELLOW:
        return yellow
    return sa.and_(Measure.status.not_in(FINISHED), sa.not_(sa.or_(red, yellow)))


def deadline_label(measure: Measure) -> str:
    """The deadline as offices write it: 2023年6月30日, 立行立改, 2024年12月31日，并长期坚持."""
    parts = []
    if measure.is_immediate:
        parts.append("立行立改")
    if measure.due_on is not None:
        parts.append(format_date(measure.due_on))
    if measure.is_long_term:
        parts.append("并长期坚持" if parts else "长期坚持")
    return "，".join(parts) or (measure.deadline_text or "未定")


def deadline_words(measure: Measure, today: date) -> str:
    """Time left in words for a card: 剩余3天, 今天到期, 逾期5天; empty when not relevant."""
    left = days_left(measure, today)
    if left is None or measure.status not in ACTIVE:
        return ""
    if left > 0:
        return f"剩余{left}天"
    if left == 0:
        return "今天到期"
    return f"逾期{-left}天"


def problem_status(measures: Iterable[Measure], long_term_closes: bool) -> ProblemStatus:
    """已销号 when every measure is done (长期坚持 counts when the setting says so)."""
    statuses = [m.status for m in measures if m.deleted_at is None]
    closing = {MeasureStatus.DONE, MeasureStatus.LONG_TERM} if long_term_closes else {MeasureStatus.DONE}
    if statuses and all(status in closing for status in statuses):
        return ProblemStatus.CLOSED
    if all(status is MeasureStatus.NOT_STARTED for status in statuses):
        return ProblemStatus.NOT_STARTED
    return ProblemStatus.IN_PROGRESS
