"""Who may see and do what. Every view and query asks this module; nothing else decides.

Roles:
- 管理员 (admin): everything, including users and departments.
- 督办员 (supervisor): imports, assigns, reviews and signs off; sees everything.
- 查看 (viewer): sees everything, changes nothing.
- 责任领导 (leader): sees the measures they lead (named as leader of the measure or of its
  problem) and those of their own unit; may comment, not work on them.
- 责任人 (owner): sees and works on measures assigned to them (named as a responsible
  person) or led by their unit; sees those their unit cooperates on.
"""
import sqlalchemy as sa

from rectify.models import Batch, Department, Measure, Person, Problem, Role, User
from rectify.tracking.models import (
    measure_cooperating_units,
    measure_leaders,
    measure_owners,
    problem_leaders,
)
from rectify.tracking.status import live_clause

SUPERVISING = (Role.ADMIN, Role.SUPERVISOR)
SEEING_EVERYTHING = (Role.ADMIN, Role.SUPERVISOR, Role.VIEWER)


def can_manage_users(user: User) -> bool:
    return user.role is Role.ADMIN


def can_supervise(user: User) -> bool:
    """Import findings, manage batches, assign, review, sign off, decide extensions."""
    return user.role in SUPERVISING


def sees_everything(user: User) -> bool:
    return user.role in SEEING_EVERYTHING


def can_report(user: User) -> bool:
    """Draft the 整改情况报告 of a batch: it speaks for the whole office, so it needs the whole picture."""
    return sees_everything(user)


def can_read_bulletins(user: User) -> bool:
    """Read the 整改进展通报 (every unit ranked): those who see everything, and the leaders it is sent to."""
    return sees_everything(user) or user.role is Role.LEADER


def _is_named(user: User, people) -> bool:
    return any(person.user_id == user.id for person in people)


def _is_assigned(user: User, measure: Measure) -> bool:
    return _is_named(user, measure.owners) or (
        user.department_id is not None and measure.lead_unit_id == user.department_id
    )


def _leads(user: User, measure: Measure) -> bool:
    return _is_named(user, measure.leaders) or _is_named(user, measure.problem.leaders)


def can_view_measure(user: User, measure: Measure) -> bool:
    if sees_everything(user):
        return True
    if _is_assigned(user, measure):
        return True
    if user.department_id is not None and any(
        unit.id == user.department_id for unit in measure.cooperating_units
    ):
        return True
    return user.role is Role.LEADER and _leads(user, measure)


def visible_measures(user: User, problem: Problem, include_deleted: bool = False) -> list[Measure]:
    """The measures of ``problem`` that ``user`` may see: the ticket page, the API and every
    other view of a problem show exactly these. Deleted ones only when asked for, and only to
    supervisors (who may restore them)."""
    return [m for m in problem.measures
            if (m.deleted_at is None or (include_deleted and can_supervise(user))) and can_view_measure(user, m)]


def can_work_on(user: User, measure: Measure) -> bool:
    """Acknowledge, post progress, upload evidence, submit, ask for an extension."""
    if can_supervise(user):
        return True
    return user.role is Role.OWNER and _is_assigned(user, measure)


def acts_for_unit(user: User, measure: Measure) -> bool:
    """Whether ``user`` works on ``measure`` in the unit's stead (a 督办员 filling in for it, 代为填报)
    rather than as one of its responsible people: a 督办员 not named as its 责任人 (the supervising
    office often leads measures of its own, which its other staff carry out)."""
    return can_supervise(user) and not _is_named(user, measure.owners)


def can_comment(user: User, measure: Measure) -> bool:
    if user.role is Role.VIEWER:
        return False
    return can_work_on(user, measure) or (user.role is Role.LEADER and can_view_measure(user, measure))


def _linked(link: sa.Table, column: sa.Column, who) -> sa.Select:
    """``column`` of the ``link`` rows naming a person matching ``who`` (a condition on Person)."""
    return sa.select(column).join(Person, Person.id == link.c.person_id).where(who)


def owned_ids(who) -> sa.Select:
    """Ids of the measures naming a person matching ``who`` as 责任人: one index lookup."""
    return _linked(measure_owners, measure_owners.c.measure_id, who)


def led_ids(who) -> list[sa.Select]:
    """Ids of the measures a person matching ``who`` leads, named as leader of the measure or of
    its problem: one index lookup each (a measure led both ways comes twice)."""
    return [_linked(measure_leaders, measure_leaders.c.measure_id, who),
            sa.select(Measure.id).where(Measure.problem_id.in_(
                _linked(problem_leaders, problem_leaders.c.problem_id, who)))]


def _measure_ids(user: User, cooperating: bool, leading: bool) -> sa.CompoundSelect:
    """The ids of the measures ``user`` is related to, one index lookup per relation (a measure
    related twice comes twice). An OR of EXISTS instead tests every measure of the table."""
    ids = [owned_ids(Person.user_id == user.id)]
    if user.department_id is not None:
        ids.append(sa.select(Measure.id).where(Measure.lead_unit_id == user.department_id))
        if cooperating:
            units = measure_cooperating_units.c
            ids.append(sa.select(units.measure_id).where(units.department_id == user.department_id))
    if leading:
        ids += led_ids(Person.user_id == user.id)
    return sa.union_all(*ids)


def measure_scope(user: User):
    """SQL condition on Measure selecting exactly what ``can_view_measure`` allows."""
    if sees_everything(user):
        return sa.true()
    return Measure.id.in_(_measure_ids(user, cooperating=True, leading=user.role is Role.LEADER))


def _live_in_scope(user: User, column):
    return (sa.select(column).join(Measure.problem)
            .where(live_clause(), measure_scope(user)))


def batch_scope(user: User):
    """SQL condition on Batch: the batches holding a live measure ``user`` may see (all for
    those who see everything). Filters, lists and the API name no other batch to the user."""
    if sees_everything(user):
        return sa.true()
    return Batch.id.in_(_live_in_scope(user, Problem.batch_id))


def unit_scope(user: User):
    """SQL condition on Department: the user's own unit and the units leading a live measure
    ``user`` may see (all for those who see everything)."""
    if sees_everything(user):
        return sa.true()
    leading = Department.id.in_(_live_in_scope(user, Measure.lead_unit_id))
    return sa.or_(Department.id == user.department_id, leading) if user.department_id else leading


def work_scope(user: User):
    """SQL condition on Measure selecting exactly what ``can_work_on`` allows."""
    if can_supervise(user):
        return sa.true()
    if user.role is not Role.OWNER:
        return sa.false()
    return Measure.id.in_(_measure_ids(user, cooperating=False, leading=False))
