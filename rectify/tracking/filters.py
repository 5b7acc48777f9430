"""The board's and list's filters: read from the URL (so a view can be bookmarked) into SQL."""
from dataclasses import asdict, dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa
from werkzeug.exceptions import BadRequest

from rectify.core.extensions import db
from rectify.core.numbers import whole_number
from rectify.models import Batch, Measure, MeasureStatus, Person, Problem, SourceKind, User, Warning
from rectify.tracking.permissions import can_supervise, led_ids, measure_scope, owned_ids
from rectify.tracking.revision import cached
from rectify.tracking.status import live_clause, overdue_clause, warning_clause


@dataclass(frozen=True)
class MeasureFilters:
    batch: Optional[int] = None
    kind: Optional[SourceKind] = None
    unit: Optional[int] = None
    leader: str = ""
    person: str = ""
    status: Optional[MeasureStatus] = None
    colour: Optional[Warning] = None
    overdue: bool = False
    q: str = ""
    deleted: bool = False

    @classmethod
    def from_args(cls, args) -> "MeasureFilters":
        """Parse query arguments; a malformed one is a 400 naming it."""

        def number(name):
            raw = args.get(name, "").strip()
            if not raw:
                return None
            value = whole_number(raw)
            if value is None:
                raise BadRequest(f"筛选条件“{name}”应为编号，实际为“{raw[:20]}”。")
            return value

        def member(name, enum_class):
            raw = args.get(name, "").strip()
            if not raw:
                return None
            try:
                return enum_class(raw)
            except ValueError:
                raise BadRequest(f"筛选条件“{name}”的值“{raw}”无效。") from None

        def text(name, limit):
            # No stored text holds a NUL (PostgreSQL refuses it even in a query): drop it, not fail.
            return args.get(name, "").replace("\x00", "").strip()[:limit]

        return cls(
            batch=number("batch"),
            kind=member("kind", SourceKind),
            unit=number("unit"),
            leader=text("leader", 64),
            person=text("person", 64),
            status=member("status", MeasureStatus),
            colour=member("colour", Warning),
            overdue=args.get("overdue") in ("1", "on", "true"),
            q=text("q", 100),
            deleted=args.get("deleted") in ("1", "on", "true"),
        )

    def to_args(self) -> dict:
        """The non-empty filters as query arguments, to build links that keep them."""
        out = {}
        for key, value in asdict(self).items():
            if value in (None, "", False):
                continue
            out[key] = "1" if value is True else getattr(value, "value", value)
        return out

    @property
    def active(self) -> bool:
        return bool(self.to_args())

    def conditions(self, user: Optional[User], today: date, due_soon_days: int) -> list:
        """Conditions on Measure alone (problems enter through subqueries, never a join).

        ``user`` None means the system itself (command line, scheduler): no scope applies."""
        conditions = [measure_scope(user)] if user is not None else []
        if not (self.deleted and (user is None or can_supervise(user))):
            conditions.append(live_clause())
        if self.batch is not None:
            conditions.append(Measure.problem_id.in_(sa.select(Problem.id).where(Problem.batch_id == self.batch)))
        if self.kind is not None:
            conditions.append(Measure.problem_id.in_(
                sa.select(Problem.id).join(Problem.batch).where(Batch.kind == self.kind)))
        if self.unit is not None:
            conditions.append(Measure.lead_unit_id == self.unit)
        # By name: the measures are looked up through the name's index (as permissions does for a
        # user's scope); an EXISTS per measure would test every measure of the table.
        if self.leader:
            conditions.append(Measure.id.in_(sa.union_all(*led_ids(Person.name == self.leader))))
        if self.person:
            conditions.append(Measure.id.in_(owned_ids(Person.name == self.person)))
        if self.status is not None:
            conditions.append(Measure.status == self.status)
        if self.colour is not None:
            conditions.append(warning_clause(self.colour, today, due_soon_days))
        if self.overdue:
            conditions.append(overdue_clause(today))
        if self.q:
            conditions.append(sa.or_(
                Measure.text.contains(self.q, autoescape=True),
                Measure.problem_id.in_(sa.select(Problem.id).where(Problem.description.contains(self.q, autoescape=True))),
            ))
        return conditions

    def count(self, user: Optional[User], today: date, due_soon_days: int) -> int:
        """How many measures match, kept until the data changes (``rectify.tracking.revision``)."""
        select = sa.select(sa.func.count()).select_from(Measure).where(*self.conditions(user, today, due_soon_days))
        return cached("measures", user, lambda: db.session.scalar(select), self, today, due_soon_days)

    def select(self, user: Optional[User], today: date, due_soon_days: int):
        """SELECT the measures matching these filters that ``user`` may see."""
        return sa.select(Measure).where(*self.conditions(user, today, due_soon_days))


def by_deadline(ids, limit: int, offset: int = 0, dated_total: int = 0, descending: bool = False) -> list[int]:
    """``limit`` ids of a SELECT of measure ids from ``offset`` on, by deadline (then id), undated
    last; ``descending`` reverses the dated and the undated order.

    Two walks of a deadline index in one statement, each stopping after ``limit`` rows,
    instead of sorting every match on ``due_on IS NULL``, which no index serves. Past the
    first page, ``dated_total`` (how many matches have a deadline) says where the undated
    walk starts."""
    if descending:
        dated_order, undated_order = (Measure.due_on.desc(), Measure.id.desc()), (Measure.id.desc(),)
    else:
        dated_order, undated_order = (Measure.due_on, Measure.id), (Measure.id,)
    in_dated = offset == 0 or offset < dated_total
    dated = (ids.where(Measure.due_on.is_not(None)).order_by(*dated_order)
             .limit(limit if in_dated else 0).offset(offset))
    undated = (ids.where(Measure.due_on.is_(None)).order_by(*undated_order)
               .limit(limit).offset(max(0, offset - dated_total)))
    both = sa.union_all(sa.select(dated.subquery()), sa.select(undated.subquery()))
    return db.session.scalars(both).all()[:limit]

