"""Figures by problem and by measure: the SQL form and the Python form agree on both databases,
whatever mix of statuses, deadlines, extensions, deletions, units and scopes."""
from datetime import date, datetime, timedelta
from itertools import product

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from rectify.models import (
    Batch,
    Measure,
    MeasureStatus,
    Person,
    Problem,
    ProblemStatus,
    Role,
    SourceKind,
    User,
)
from rectify.tracking.counts import Figures, facts_of, figures_by, figures_of
from rectify.tracking.permissions import can_view_measure, measure_scope
from rectify.tracking.status import is_live, live_clause, problem_status

TODAY = date(2023, 6, 20)
S = MeasureStatus
# Each problem's measures, as (status, days to the deadline or None, extended, deleted).
SHAPES = [
    [(S.NOT_STARTED, 10, False, False)],
    [(S.NOT_STARTED, -1, False, False), (S.NOT_STARTED, None, False, False)],
    [(S.DONE, -5, False, False), (S.DONE, None, True, False)],
    [(S.DONE, -5, False, False), (S.LONG_TERM, None, False, False)],
    [(S.LONG_TERM, None, False, False)],
    [(S.DONE, 3, False, False), (S.NOT_STARTED, -2, True, False)],
    [(S.PENDING_REVIEW, -9, False, False), (S.DONE, None, False, False)],
    [(S.IN_PROGRESS, 30, True, False), (S.NOT_STARTED, 0, False, False)],
    [(S.DONE, None, False, False), (S.NOT_STARTED, -3, False, True)],  # the deleted one does not count
    [(S.NOT_STARTED, -3, False, True)],  # no live measure: not counted
    [],  # no measure yet: not counted
]


@pytest.fixture
def every_kind_of_problem(session, make_department):
    units = [make_department("组织人事部"), make_department("财政局"), None]
    owner = Person(name="周洁")
    batches = [Batch(kind=SourceKind.XUNCHA, title="巡察反馈"), Batch(kind=SourceKind.AUDIT, title="审计整改")]
    made = []
    for index, (batch, shape) in enumerate(product(batches, SHAPES)):
        problem = Problem(batch=batch, description=f"问题{index}", position=index)
        session.add(problem)
        for position, (status, due_in, extended, deleted) in enumerate(shape):
            due_on = TODAY + timedelta(days=due_in) if due_in is not None else None
            made.append(Measure(
                problem=problem, position=position, text=f"措施{index}-{position}", status=status, due_on=due_on,
                original_due_on=TODAY - timedelta(days=40) if extended else None,
                lead_unit=units[(index + position) % 3], owners=[owner] if position == 0 else [],
                deleted_at=datetime(2023, 6, 1) if deleted else None))
    gone = Problem(batch=batches[0], description="已删除的问题", deleted_at=datetime(2023, 6, 1))
    made.append(Measure(problem=gone, text="已删除问题下的措施", status=S.DONE, lead_unit=units[0]))
    session.add_all(made)
    session.commit()
    return session.scalars(sa.select(Measure).options(selectinload(Measure.owners), selectinload(Measure.leaders),
                                                      selectinload(Measure.cooperating_units))).all()


KEYS = {None: None, "batch": lambda m: m.problem.batch_id, "unit": lambda m: m.lead_unit_id,
        "problem": lambda m: m.problem_id}


@pytest.mark.parametrize("closes", [True, False], ids=["long-term-closes", "only-done-closes"])
@pytest.mark.parametrize("key", list(KEYS), ids=str)
def test_figures_read_the_same_in_sql_and_python(session, every_kind_of_problem, key, closes):
    in_sql = figures_by([live_clause()], key, TODAY, closes)
    live = [m for m in every_kind_of_problem if is_live(m)]
    in_python = figures_of(live, TODAY, closes, KEYS[key])
    assert in_sql == in_python
    assert len(in_sql) > (1 if key else 0)


def test_a_problems_status_in_sql_is_its_status_on_the_ticket(session, every_kind_of_problem):
    for closes in (True, False):
        per_problem = figures_by([live_clause()], "problem", TODAY, closes)
        problems = {m.problem for m in every_kind_of_problem if m.problem.deleted_at is None}
        for problem in problems:
            status = problem_status(problem.measures, closes)
            figures = per_problem.get(problem.id)
            if not any(m.deleted_at is None for m in problem.measures):
                assert figures is None  # nothing to count yet
                continue
            expected = {ProblemStatus.CLOSED: (1, 0, 0), ProblemStatus.IN_PROGRESS: (0, 1, 0),
                        ProblemStatus.NOT_STARTED: (0, 0, 1)}[status]
            assert (figures.closed, figures.in_progress, figures.not_started) == expected, problem.description


def test_figures_within_a_users_scope(session, every_kind_of_problem, make_department):
    owner = User(username="zhoujie", name="周洁", role=Role.OWNER, department=make_department("财政局"),
                 password_hash="x")
    session.add(owner)
    session.flush()
    session.scalar(sa.select(Person).where(Person.name == "周洁")).user = owner
    session.commit()
    in_sql = figures_by([live_clause(), measure_scope(owner)], "batch", TODAY, True)
    seen = [m for m in every_kind_of_problem if is_live(m) and can_view_measure(owner, m)]
    assert in_sql == figures_of(seen, TODAY, True, KEYS["batch"])
    assert 0 < sum(f.measures for f in in_sql.values()) < len(every_kind_of_problem)


def test_the_columns_add_up(session, every_kind_of_problem):
    for figures in figures_by([live_clause()], "unit", TODAY, True).values():
        assert figures.closed + figures.in_progress + figures.not_started == figures.problems
        assert sum(figures.by_status.values()) == figures.measures


def test_rates_and_words():
    figures = Figures()
    figures.add_problem([facts_of(Measure(status=S.DONE), TODAY)], True)
    figures.add_problem([facts_of(Measure(status=S.IN_PROGRESS, due_on=TODAY - timedelta(days=1)), TODAY),
                         facts_of(Measure(status=S.LONG_TERM, original_due_on=TODAY), TODAY)], True)
    figures.add_problem([facts_of(Measure(status=S.NOT_STARTED), TODAY)], True)
    assert (figures.problems, figures.closed, figures.in_progress, figures.not_started) == (3, 1, 1, 1)
    assert (figures.problem_rate, figures.measure_rate) == (33.3, 50.0)
    assert (figures.problems_overdue, figures.overdue, figures.extended, figures.finished) == (1, 1, 1, 2)
    assert figures.as_json()["measures_by_status"]["done"] == 1
