"""Derived state, one definition per rule: warning colours, overdue, due soon, live, finished,
awaiting 签收, deadline words and problem status.

None of this is stored, so it cannot go stale. Every rule a query also needs has its Python form
and, beside it, the SQL condition on Measure selecting exactly the same measures;
tests/test_status.py checks each pair agrees on both databases. The rules:
- Live: neither the measure nor its problem is deleted.
- Finished: 已完成, or 长期坚持 (a stage done; it keeps reporting).
- Only measures still being worked on (未启动, 整改中: ``ACTIVE``) can be overdue, due soon or
  awaiting 签收; a measure awaiting review (待审核) is green until a return puts it back in the
  owner's hands.
- Overdue: its deadline has passed. Due soon: the deadline is ``due_soon_days`` days away or
  closer, today included.
- Returned: 退回 and not yet submitted again (the owner's rework).
- Warning colours: red overdue, yellow due soon, grey finished, green otherwise (no dated
  deadline included).
- Problem status, from its live measures: 已销号 (reported as 已整改到位) when every one is
  已完成 (or 长期坚持 per RECTIFY_LONG_TERM_CLOSES_PROBLEM); 未启动 while none has started;
  整改中 (正在整改) otherwise. Its SQL form works on per-problem counts (see counts.py).
"""
import re
from datetime import date
from typing import Iterable, Optional

import sqlalchemy as sa

from rectify.core.timeutil import format_date
from rectify.models import Measure, MeasureStatus, Problem, ProblemStatus, Warning

ACTIVE = (MeasureStatus.NOT_STARTED, MeasureStatus.IN_PROGRESS)
FINISHED = (MeasureStatus.DONE, MeasureStatus.LONG_TERM)


def is_live(measure: Measure) -> bool:
    return measure.deleted_at is None and measure.problem.deleted_at is None


def live_clause():
    return sa.and_(Measure.deleted_at.is_(None),
                   Measure.problem_id.not_in(sa.select(Problem.id).where(Problem.deleted_at.is_not(None))))


def is_finished(measure: Measure) -> bool:
    return measure.status in FINISHED


def finished_clause():
    return Measure.status.in_(FINISHED)


def is_overdue(measure: Measure, today: date) -> bool:
    return measure.status in ACTIVE and measure.due_on is not None and measure.due_on < today


def overdue_clause(today: date):
    return sa.and_(Measure.status.in_(ACTIVE), Measure.due_on.is_not(None), Measure.due_on < today)


def is_due_soon(measure: Measure, today: date, due_soon_days: int) -> bool:
    left = days_left(measure, today)
    return measure.status in ACTIVE and left is not None and 0 <= left <= due_soon_days


def due_soon_clause(today: date, due_soon_days: int):
    soon = date.fromordinal(today.toordinal() + due_soon_days)
    return sa.and_(Measure.status.in_(ACTIVE), Measure.due_on.is_not(None), Measure.due_on >= today, Measure.due_on <= soon)


def is_unacknowledged(measure: Measure) -> bool:
    """Assigned and not yet signed for (签收): new, or reassigned since."""
    return measure.status in ACTIVE and measure.acknowledged_at is None


def unacknowledged_clause():
    return sa.and_(Measure.status.in_(ACTIVE), Measure.acknowledged_at.is_(None))


def is_returned(measure: Measure) -> bool:
    """退回 and not yet submitted again: waiting on the owner's rework."""
    return measure.status in ACTIVE and measure.returned_at is not None


def returned_clause():
    return sa.and_(Measure.status.in_(ACTIVE), Measure.returned_at.is_not(None))


def days_left(measure: Measure, today: date) -> Optional[int]:
    """Days until the deadline (negative when overdue); None when there is no date."""
    if measure.due_on is None:
        return None
    return (measure.due_on - today).days


def warning_for(measure: Measure, today: date, due_soon_days: int) -> Warning:
    if is_finished(measure):
        return Warning.GREY
    if is_overdue(measure, today):
        return Warning.RED
    if is_due_soon(measure, today, due_soon_days):
        return Warning.YELLOW
    return Warning.GREEN


def warning_clause(colour: Warning, today: date, due_soon_days: int):
    """The SQL condition on Measure matching ``warning_for(...) == colour``."""
    if colour is Warning.GREY:
        return finished_clause()
    if colour is Warning.RED:
        return overdue_clause(today)
    if colour is Warning.YELLOW:
        return due_soon_clause(today, due_soon_days)
    return sa.and_(sa.not_(finished_clause()), sa.not_(overdue_clause(today)), sa.not_(due_soon_clause(today, due_soon_days)))


# How a page shows a state: classes chosen here, so that templates never compare states.
WARNING_TEXT = {Warning.RED: "text-danger", Warning.YELLOW: "text-secondary", Warning.GREEN: "text-secondary",
                Warning.GREY: "text-secondary"}
PROBLEM_BADGE = {ProblemStatus.CLOSED: "text-bg-success", ProblemStatus.NOT_STARTED: "text-bg-secondary",
                 ProblemStatus.IN_PROGRESS: "text-bg-primary"}


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


def deadline_as_written(measure: Measure) -> str:
    """The deadline's text as the list wrote it, when it says more than the label (3天 beside the
    date it was counted to); empty otherwise."""
    text = (measure.deadline_text or "").strip()
    if not text or ISO_DATE.fullmatch(text):
        return ""
    label = deadline_label(measure)
    return "" if text == label or text.replace(" ", "") == label else text


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A number the text already carries (1. 1、 （1） (1) ① 一、 （一）), which the page's own
# "措施 1：" would double.
LEADING_NUMBER = re.compile(r"^\s*(?:\d{1,3}\s*[.．、](?!\d)|[（(]\s*[\d一二三四五六七八九十]{1,3}\s*[）)]|[①-⑳]|"
                            r"[一二三四五六七八九十]{1,3}、)\s*")


def measure_text(text: Optional[str]) -> str:
    """A measure's text for display after its own number: 1.制定… reads 制定…."""
    stripped = LEADING_NUMBER.sub("", text or "", count=1)
    return stripped or (text or "")


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


def closing_statuses(long_term_closes: bool) -> tuple[MeasureStatus, ...]:
    """The measure statuses that close a problem: 已完成, and 长期坚持 when the setting says so."""
    return FINISHED if long_term_closes else (MeasureStatus.DONE,)


def problem_status_of(statuses: Iterable[MeasureStatus], long_term_closes: bool) -> ProblemStatus:
    """A problem's status from its live measures' statuses: 已销号 (已整改到位) when there are
    some and every one closes it; 未启动 while none has started (no measure yet included);
    整改中 (正在整改) otherwise."""
    statuses = list(statuses)
    closing = closing_statuses(long_term_closes)
    if statuses and all(status in closing for status in statuses):
        return ProblemStatus.CLOSED
    if all(status is MeasureStatus.NOT_STARTED for status in statuses):
        return ProblemStatus.NOT_STARTED
    return ProblemStatus.IN_PROGRESS


def problem_status(measures: Iterable[Measure], long_term_closes: bool) -> ProblemStatus:
    """已销号 when every live measure is done (长期坚持 counts when the setting says so)."""
    return problem_status_of((m.status for m in measures if m.deleted_at is None), long_term_closes)


def problem_status_clause(live, closing, not_started):
    """The SQL form of ``problem_status_of`` over a problem's measure counts (how many live,
    how many closing it, how many not started): a CASE giving the ProblemStatus code."""
    return sa.case(
        (sa.and_(live > 0, closing == live), ProblemStatus.CLOSED.value),
        (not_started == live, ProblemStatus.NOT_STARTED.value),
        else_=ProblemStatus.IN_PROGRESS.value,
    )
