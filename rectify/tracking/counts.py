"""The figures of a rectification as offices report them: by problem first, then by measure.

"反馈问题X个，已整改到位X个，正在整改X个，未启动X个，整改完成率X%；制定整改措施X条，已完成X条……"

Figures describe a set of measures (a user's scope, a batch, the board's filters). The problems
counted are those with at least one measure in the set, each judged by its measures in the set
(``status.problem_status_of``): a problem whose measures are still to be drawn up (制定整改措施)
is on no board, ledger or report, so it is not counted either. Grouped by unit, a problem counts
under each unit leading one of its measures, judged by that unit's part of it.

One module, two forms side by side, tested for parity on both databases
(tests/test_counts.py):
- ``figures_by``: the SQL form, one statement, for the dashboard, the batches, the board, the
  API, the reports and the bulletins;
- ``Figures.add_problem`` / ``figures_of``: the Python form, folding measures (or ledger rows)
  problem by problem, for the ledger's 统计汇总 built from the rows it streams.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Hashable, Iterable, NamedTuple, Optional

import sqlalchemy as sa
from flask import current_app

from rectify.core.extensions import db
from rectify.models import Measure, MeasureStatus, Problem, ProblemStatus, User
from rectify.tracking.permissions import measure_scope
from rectify.tracking.revision import cached
from rectify.tracking.status import (
    FINISHED,
    closing_statuses,
    is_overdue,
    live_clause,
    overdue_clause,
    problem_status_clause,
    problem_status_of,
)

# The words offices count problems with (the ticket shows 已销号 for the same state).
PROBLEM_WORDS = {ProblemStatus.CLOSED: "已整改到位", ProblemStatus.IN_PROGRESS: "正在整改",
                 ProblemStatus.NOT_STARTED: "未启动"}


class Facts(NamedTuple):
    """What the figures read of one measure."""

    status: MeasureStatus
    overdue: bool
    extended: bool


def facts_of(measure, today: date) -> Facts:
    return Facts(measure.status, is_overdue(measure, today), measure.original_due_on is not None)


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


@dataclass
class Figures:
    problems: int = 0
    closed: int = 0  # 已整改到位
    in_progress: int = 0  # 正在整改
    not_started: int = 0  # 未启动 (problems)
    problems_overdue: int = 0  # with at least one overdue measure
    measures: int = 0
    by_status: dict = field(default_factory=lambda: dict.fromkeys(MeasureStatus, 0))
    overdue: int = 0
    extended: int = 0  # deadline moved by an approved extension

    @property
    def finished(self) -> int:
        """Measures 已完成 or 长期坚持 (the measure completion rate counts both)."""
        return sum(self.by_status[s] for s in FINISHED)

    @property
    def done(self) -> int:
        return self.by_status[MeasureStatus.DONE]

    @property
    def long_term(self) -> int:
        return self.by_status[MeasureStatus.LONG_TERM]

    @property
    def problem_rate(self) -> float:
        """整改完成率 by problem: 已整改到位 / problems, in percent."""
        return _percent(self.closed, self.problems)

    @property
    def measure_rate(self) -> float:
        """Measures finished / measures, in percent."""
        return _percent(self.finished, self.measures)

    def add_problem(self, facts: Iterable[Facts], long_term_closes: bool) -> None:
        """The Python form: count one problem, given its measures in the set."""
        facts = list(facts)
        if not facts:
            return
        status = problem_status_of((f.status for f in facts), long_term_closes)
        self.problems += 1
        self.closed += status is ProblemStatus.CLOSED
        self.in_progress += status is ProblemStatus.IN_PROGRESS
        self.not_started += status is ProblemStatus.NOT_STARTED
        self.problems_overdue += any(f.overdue for f in facts)
        self.measures += len(facts)
        for f in facts:
            self.by_status[f.status] += 1
            self.overdue += f.overdue
            self.extended += f.extended

    def __add__(self, other: "Figures") -> "Figures":
        """Figures of two sets sharing no problem (two batches), or of no problem twice."""
        return Figures(
            **{name: getattr(self, name) + getattr(other, name)
               for name in ("problems", "closed", "in_progress", "not_started", "problems_overdue", "measures",
                            "overdue", "extended")},
            by_status={s: self.by_status[s] + other.by_status[s] for s in MeasureStatus})

    def as_json(self) -> dict:
        return {
            "problems": self.problems, "problems_closed": self.closed, "problems_in_progress": self.in_progress,
            "problems_not_started": self.not_started, "problems_overdue": self.problems_overdue,
            "problem_rate": self.problem_rate, "measures": self.measures,
            "measures_by_status": {s.value: self.by_status[s] for s in MeasureStatus},
            "measures_finished": self.finished, "measures_overdue": self.overdue,
            "measures_extended": self.extended, "measure_rate": self.measure_rate,
        }


def sum_figures(figures: Iterable[Figures]) -> Figures:
    """The sum of figures whose sets share no problem (per batch)."""
    out = Figures()
    for item in figures:
        out = out + item
    return out


def figures_of(measures: Iterable, today: date, long_term_closes: bool,
               key: Optional[Callable] = None) -> dict[Hashable, Figures]:
    """The Python form of ``figures_by``: ``measures`` (already selected: live, in scope) grouped
    by ``key(measure)`` (None: one group, under the key None), each problem judged by its measures
    in the group."""
    grouped = defaultdict(lambda: defaultdict(list))
    for m in measures:
        grouped[key(m) if key else None][m.problem_id].append(facts_of(m, today))
    out = {}
    for group, problems in grouped.items():
        figures = out[group] = Figures()
        for facts in problems.values():
            figures.add_problem(facts, long_term_closes)
    return out


def _count(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def figures_by(conditions: list, key: Optional[str], today: date, long_term_closes: bool) -> dict[Hashable, Figures]:
    """The SQL form: figures of the measures matching ``conditions`` (on Measure alone, as
    ``MeasureFilters.conditions`` gives them; they must include ``live_clause``), grouped by
    ``key`` ("batch": batch id, "unit": lead unit id, "problem": problem id, None: one group
    under None), in one
    statement: measures counted per problem (and unit), then problems per group."""
    unit = [Measure.lead_unit_id.label("unit_id")] if key == "unit" else []
    per_problem = (
        sa.select(
            Measure.problem_id.label("problem_id"), *unit,
            sa.func.count().label("live"),
            _count(Measure.status.in_(closing_statuses(long_term_closes))).label("closing"),
            *(_count(Measure.status == s).label(f"n_{s.value}") for s in MeasureStatus),
            _count(overdue_clause(today)).label("overdue"),
            _count(Measure.original_due_on.is_not(None)).label("extended"),
        )
        .where(*conditions)
        .group_by(Measure.problem_id, *unit)
        .subquery()
    )
    c = per_problem.c
    status = problem_status_clause(c.live, c.closing, c[f"n_{MeasureStatus.NOT_STARTED.value}"])
    group = {"batch": Problem.batch_id, "unit": c.get("unit_id"), "problem": c.problem_id}.get(key)
    select = sa.select(
        *([group] if key else []),
        sa.func.count(),
        *(_count(status == s.value) for s in (ProblemStatus.CLOSED, ProblemStatus.IN_PROGRESS, ProblemStatus.NOT_STARTED)),
        _count(c.overdue > 0),
        sa.func.sum(c.live),
        *(sa.func.sum(c[f"n_{s.value}"]) for s in MeasureStatus),
        sa.func.sum(c.overdue),
        sa.func.sum(c.extended),
    ).select_from(per_problem)
    if key == "batch":
        select = select.join(Problem, Problem.id == c.problem_id)
    if key:
        select = select.group_by(group)
    out = {}
    for row in db.session.execute(select).all():
        group_key, row = (row[0], row[1:]) if key else (None, row)
        problems, closed, in_progress, not_started, problems_overdue, measures, *rest = (int(n or 0) for n in row)
        if not problems:  # no grouping, nothing matched: one row of zeros and NULLs
            continue
        by_status = dict(zip(MeasureStatus, rest))
        overdue, extended = rest[len(by_status):]
        out[group_key] = Figures(problems=problems, closed=closed, in_progress=in_progress, not_started=not_started,
                                 problems_overdue=problems_overdue, measures=measures, by_status=by_status,
                                 overdue=overdue, extended=extended)
    return out


def long_term_closes() -> bool:
    return current_app.config["RECTIFY_LONG_TERM_CLOSES_PROBLEM"]


def figures_for(conditions: list, key: Optional[str], today: date, user: Optional[User],
                *cache_key: Hashable) -> dict[Hashable, Figures]:
    """``figures_by`` kept until the data changes (``rectify.tracking.revision``), under
    ``cache_key`` (what the conditions say beyond the user's scope, e.g. the filters)."""
    closes = long_term_closes()
    return cached("figures", user, lambda: figures_by(conditions, key, today, closes), key, today, closes, *cache_key)


def batch_figures(user: Optional[User], today: date) -> dict[int, Figures]:
    """Per batch: the figures of every live measure ``user`` may see (None: the system, everything)."""
    conditions = [live_clause()] + ([measure_scope(user)] if user is not None else [])
    return figures_for(conditions, "batch", today, user, "scope")


def rate_text(rate: float) -> str:
    """A rate as offices write it: 75%, 33.3%."""
    return f"{rate:g}%"


def headline(f: Figures) -> str:
    """The figures in the words of a report: by problem first, then by measure."""
    text = (f"反馈问题{f.problems}个，已整改到位{f.closed}个，正在整改{f.in_progress}个，未启动{f.not_started}个，"
            f"整改完成率{rate_text(f.problem_rate)}；制定整改措施{f.measures}条，已完成{f.done}条")
    if f.long_term:
        text += f"，长期坚持{f.long_term}条"
    text += f"，措施完成率{rate_text(f.measure_rate)}"
    if f.overdue:
        text += f"；逾期未完成{f.overdue}条"
    if f.extended:
        text += f"；经批准延期{f.extended}条"
    return text + "。"
