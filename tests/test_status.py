from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from rectify.models import Measure, MeasureStatus, ProblemStatus, Warning
from rectify.tracking.status import (
    deadline_label,
    deadline_words,
    problem_status,
    warning_clause,
    warning_for,
)

TODAY = date(2023, 6, 20)
S = MeasureStatus


def measure(status=S.IN_PROGRESS, due_in=None, **fields):
    due_on = TODAY + timedelta(days=due_in) if due_in is not None else None
    return Measure(text="措施", status=status, due_on=due_on, deleted_at=None, **fields)


@pytest.mark.parametrize(
    "status, due_in, expected",
    [
        (S.NOT_STARTED, -1, Warning.RED),
        (S.IN_PROGRESS, -30, Warning.RED),
        (S.IN_PROGRESS, 0, Warning.YELLOW),
        (S.IN_PROGRESS, 7, Warning.YELLOW),
        (S.IN_PROGRESS, 8, Warning.GREEN),
        (S.IN_PROGRESS, None, Warning.GREEN),
        (S.PENDING_REVIEW, -3, Warning.GREEN),
        (S.DONE, -3, Warning.GREY),
        (S.LONG_TERM, 5, Warning.GREY),
    ],
)
def test_warning_colour(status, due_in, expected):
    assert warning_for(measure(status, due_in), TODAY, due_soon_days=7) is expected


@pytest.mark.parametrize(
    "fields, label",
    [
        (dict(due_in=10), "2023年6月30日"),
        (dict(is_immediate=True), "立行立改"),
        (dict(is_long_term=True), "长期坚持"),
        (dict(due_in=194, is_long_term=True), "2023年12月31日，并长期坚持"),
        (dict(due_in=0, is_immediate=True), "立行立改，2023年6月20日"),
        (dict(deadline_text="另行通知"), "另行通知"),
    ],
)
def test_deadline_label(fields, label):
    due_in = fields.pop("due_in", None)
    assert deadline_label(measure(due_in=due_in, **fields)) == label


@pytest.mark.parametrize(
    "status, due_in, words",
    [(S.IN_PROGRESS, 3, "剩余3天"), (S.IN_PROGRESS, 0, "今天到期"), (S.NOT_STARTED, -5, "逾期5天"),
     (S.DONE, -5, ""), (S.IN_PROGRESS, None, "")],
)
def test_deadline_words(status, due_in, words):
    assert deadline_words(measure(status, due_in), TODAY) == words


@pytest.mark.parametrize(
    "statuses, long_term_closes, expected",
    [
        ([S.NOT_STARTED, S.NOT_STARTED], True, ProblemStatus.NOT_STARTED),
        ([S.DONE, S.NOT_STARTED], True, ProblemStatus.IN_PROGRESS),
        ([S.DONE, S.DONE], True, ProblemStatus.CLOSED),
        ([S.DONE, S.LONG_TERM], True, ProblemStatus.CLOSED),
        ([S.DONE, S.LONG_TERM], False, ProblemStatus.IN_PROGRESS),
        ([S.DONE, S.PENDING_REVIEW], True, ProblemStatus.IN_PROGRESS),
    ],
)
def test_problem_status(statuses, long_term_closes, expected):
    assert problem_status([measure(s) for s in statuses], long_term_closes) is expected


def test_sql_warning_clause_matches_the_rule(session, make_measure):
    first = make_measure(status=S.IN_PROGRESS, due_on=TODAY)
    made = [first]
    for status in MeasureStatus:
        for due_in in (None, -1, 0, 3, 7, 8, 40):
            due_on = TODAY + timedelta(days=due_in) if due_in is not None else None
            made.append(make_measure(problem=first.problem, status=status, due_on=due_on))
    for colour in Warning:
        in_sql = set(session.scalars(sa.select(Measure.id).where(warning_clause(colour, TODAY, 7))))
        in_python = {m.id for m in made if warning_for(m, TODAY, 7) is colour}
        assert in_sql == in_python, colour


@pytest.fixture
def every_kind_of_measure(session, make_measure):
    """Each status × deadline × acknowledged or not × deleted or not × under a deleted problem or not."""
    from datetime import datetime

    from rectify.models import Problem

    first = make_measure(status=S.IN_PROGRESS, due_on=TODAY)
    gone = Problem(batch=first.problem.batch, description="已删除的问题", deleted_at=datetime(2023, 6, 1))
    session.add(gone)
    made = [first]
    for problem in (first.problem, gone):
        for status in MeasureStatus:
            for due_in in (None, -1, 0, 3, 7, 8):
                for acknowledged in (None, datetime(2023, 6, 1)):
                    for deleted in (None, datetime(2023, 6, 2)):
                        made.append(make_measure(
                            problem=problem, status=status, acknowledged_at=acknowledged, deleted_at=deleted,
                            returned_at=acknowledged, due_on=TODAY + timedelta(days=due_in) if due_in is not None else None))
    return made


def test_every_rule_reads_the_same_in_python_and_sql(session, every_kind_of_measure):
    """Live, finished, overdue, due soon, awaiting 签收 and each warning colour: one Python
    definition and one SQL condition, selecting the same measures on either database."""
    from rectify.tracking import status

    pairs = {
        "live": (status.is_live, status.live_clause()),
        "finished": (status.is_finished, status.finished_clause()),
        "overdue": (lambda m: status.is_overdue(m, TODAY), status.overdue_clause(TODAY)),
        "due soon": (lambda m: status.is_due_soon(m, TODAY, 7), status.due_soon_clause(TODAY, 7)),
        "awaiting 签收": (status.is_unacknowledged, status.unacknowledged_clause()),
        "returned": (status.is_returned, status.returned_clause()),
        **{colour.label: (lambda m, c=colour: warning_for(m, TODAY, 7) is c, warning_clause(colour, TODAY, 7))
           for colour in Warning},
    }
    for name, (in_python, clause) in pairs.items():
        selected = set(session.scalars(sa.select(Measure.id).where(clause)))
        expected = {m.id for m in every_kind_of_measure if in_python(m)}
        assert selected == expected, name
        assert 0 < len(expected) < len(every_kind_of_measure), name  # the rule tells measures apart
