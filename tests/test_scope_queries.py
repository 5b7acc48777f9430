"""The scopes in SQL (index lookups joined by UNION ALL) select what the Python rules allow, and
what the OR of EXISTS they replace selected, for every kind of user, on both databases."""
import random
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from rectify.models import Batch, Department, Measure, Person, Problem, Role, SourceKind, User
from rectify.tracking.counts import figures_by
from rectify.tracking.permissions import (
    batch_scope,
    can_view_measure,
    can_work_on,
    measure_scope,
    sees_everything,
    unit_scope,
    work_scope,
)
from rectify.tracking.status import is_live, live_clause

TODAY = date(2023, 6, 20)
GONE = datetime(2023, 6, 1)


def old_measure_scope(user: User):
    """The reference: measure_scope as an OR of EXISTS, before it became index lookups."""
    if sees_everything(user):
        return sa.true()
    named = Person.user_id == user.id
    conditions = [Measure.owners.any(named)]
    if user.department_id is not None:
        conditions.append(Measure.lead_unit_id == user.department_id)
        conditions.append(Measure.cooperating_units.any(Department.id == user.department_id))
    if user.role is Role.LEADER:
        conditions.append(Measure.leaders.any(named))
        conditions.append(Measure.problem.has(Problem.leaders.any(named)))
    return sa.or_(*conditions)


def old_work_scope(user: User):
    if user.role in (Role.ADMIN, Role.SUPERVISOR):
        return sa.true()
    if user.role is not Role.OWNER:
        return sa.false()
    conditions = [Measure.owners.any(Person.user_id == user.id)]
    if user.department_id is not None:
        conditions.append(Measure.lead_unit_id == user.department_id)
    return sa.or_(*conditions)


def _live_in_old_scope(user: User, column):
    return sa.select(column).join(Measure.problem).where(live_clause(), old_measure_scope(user))


def old_batch_scope(user: User):
    if sees_everything(user):
        return sa.true()
    return Batch.id.in_(_live_in_old_scope(user, Problem.batch_id))


def old_unit_scope(user: User):
    if sees_everything(user):
        return sa.true()
    leading = Department.id.in_(_live_in_old_scope(user, Measure.lead_unit_id))
    return sa.or_(Department.id == user.department_id, leading) if user.department_id else leading


# name: (role, unit, has a person). Units: 组织人事部 (ours), 规划建设局, 财政局; None for none.
USERS = {
    "admin": (Role.ADMIN, "组织人事部", True),
    "supervisor": (Role.SUPERVISOR, "组织人事部", True),
    "viewer": (Role.VIEWER, "规划建设局", True),
    "owner": (Role.OWNER, "组织人事部", True),
    "owner_elsewhere": (Role.OWNER, "财政局", True),
    "owner_without_unit": (Role.OWNER, None, True),
    "owner_without_person": (Role.OWNER, "规划建设局", False),
    "leader": (Role.LEADER, "组织人事部", True),
    "leader_of_problems_only": (Role.LEADER, None, True),
    "leader_without_person": (Role.LEADER, "财政局", False),
}
UNITS = ["组织人事部", "规划建设局", "财政局", "审计局"]


@pytest.fixture
def world(session):
    """Two batches of problems whose measures relate to the users in every way and every mix of
    ways, some deleted, some under a deleted problem; people without accounts named beside them."""
    rng = random.Random(20230620)
    units = {name: Department(name=name) for name in UNITS}
    users, people = {}, []
    for name, (role, unit, has_person) in USERS.items():
        user = User(username=name, name=f"{role.label}{name}", role=role, password_hash="x",
                    department=units[unit] if unit else None)
        users[name] = user
        if has_person:
            people.append(Person(name=user.name, user=user, department=user.department))
    people += [Person(name="无账号甲", department=units["组织人事部"]), Person(name="无账号乙")]
    session.add_all([*units.values(), *users.values(), *people])
    session.flush()
    person = {p.user.username: p for p in people if p.user is not None}
    unit_choices = [None, *units.values()]

    batches = [Batch(kind=SourceKind.XUNCHA, title="巡察反馈"), Batch(kind=SourceKind.AUDIT, title="审计整改"),
               Batch(kind=SourceKind.SUPERVISION, title="只有已删除措施的批次")]
    measures = []
    for index in range(24):
        problem = Problem(batch=batches[index % 2], description=f"问题{index}", position=index,
                          leaders=rng.sample(people, rng.choice([0, 0, 1, 2])),
                          lead_unit=rng.choice(unit_choices),
                          deleted_at=GONE if index % 11 == 10 else None)
        for position in range(rng.randint(1, 4)):
            measures.append(Measure(
                problem=problem, position=position, text=f"措施{index}-{position}",
                lead_unit=rng.choice(unit_choices),
                owners=rng.sample(people, rng.choice([0, 1, 1, 2])),
                leaders=rng.sample(people, rng.choice([0, 0, 1, 2])),
                cooperating_units=rng.sample(list(units.values()), rng.choice([0, 0, 1, 2])),
                deleted_at=GONE if rng.random() < 0.15 else None))

    def problem(description, **fields):
        return Problem(batch=batches[0], description=description, **fields)

    ours, theirs = units["组织人事部"], units["规划建设局"]
    measures += [
        # Named every way at once: one measure, one row on the list.
        Measure(problem=problem("都涉及的问题", leaders=[person["leader"], person["leader_of_problems_only"]]),
                text="处处点名", lead_unit=ours, cooperating_units=[ours, theirs],
                owners=[person["owner"], person["leader"], person["owner_without_unit"]],
                leaders=[person["leader"], person["owner"], person["leader_of_problems_only"]]),
        # Only the problem names the leader.
        Measure(problem=problem("领导牵头的问题", leaders=[person["leader_of_problems_only"]]),
                text="只因问题而见", lead_unit=units["审计局"]),
        # Only cooperating.
        Measure(problem=problem("配合的问题"), text="配合", lead_unit=units["审计局"], cooperating_units=[ours]),
        # Only named as 责任人, by someone without a unit.
        Measure(problem=problem("无单位责任人的问题"), text="点名无单位", lead_unit=None,
                owners=[person["owner_without_unit"]]),
        # Visible measures, all gone: their batch and unit must not be offered.
        Measure(problem=Problem(batch=batches[2], description="已删除措施的问题"), text="已删除",
                lead_unit=units["财政局"], owners=[person["owner"], person["leader"]], deleted_at=GONE),
        Measure(problem=Problem(batch=batches[2], description="已删除的问题", deleted_at=GONE,
                                leaders=[person["leader_of_problems_only"]]),
                text="问题已删除", lead_unit=units["审计局"], owners=[person["owner"]]),
    ]
    session.add_all(measures)
    session.commit()
    return users, measures


def _ids(session, column, condition) -> set[int]:
    return set(session.scalars(sa.select(column).where(condition)))


@pytest.mark.parametrize("name", USERS)
def test_scopes_select_what_the_rules_allow(session, world, name):
    users, measures = world
    user = users[name]
    all_batches = set(session.scalars(sa.select(Batch.id)))
    all_units = set(session.scalars(sa.select(Department.id)))
    visible = {m.id for m in measures if can_view_measure(user, m)}
    workable = {m.id for m in measures if can_work_on(user, m)}
    live = [m for m in measures if is_live(m) and m.id in visible]

    assert _ids(session, Measure.id, measure_scope(user)) == _ids(session, Measure.id, old_measure_scope(user)) == visible
    assert _ids(session, Measure.id, work_scope(user)) == _ids(session, Measure.id, old_work_scope(user)) == workable
    batches = all_batches if sees_everything(user) else {m.problem.batch_id for m in live}
    assert _ids(session, Batch.id, batch_scope(user)) == _ids(session, Batch.id, old_batch_scope(user)) == batches
    units = all_units if sees_everything(user) else (
        {m.lead_unit_id for m in live} | {user.department_id}) - {None}
    assert _ids(session, Department.id, unit_scope(user)) == _ids(session, Department.id, old_unit_scope(user)) == units

    figures = figures_by([live_clause(), measure_scope(user)], None, TODAY, False).get(None)
    counted = (figures.measures, figures.problems) if figures else (0, 0)
    assert counted == (len(live), len({m.problem_id for m in live}))


def test_the_world_relates_users_in_every_way(session, world):
    """Each way of seeing a measure is, for someone, the only way they see it (so that leaving one
    out of the scopes fails the test above), and nobody sees everything or nothing by accident."""
    users, measures = world
    owner, leader, problems_only = users["owner"], users["leader"], users["leader_of_problems_only"]

    def named(people, user):
        return any(p.user_id == user.id for p in people)

    def only(user, way, m):
        ways = {"owner": named(m.owners, user), "unit": m.lead_unit_id == user.department_id,
                "cooperating": any(u.id == user.department_id for u in m.cooperating_units),
                "leader": named(m.leaders, user), "problem": named(m.problem.leaders, user)}
        return ways[way] and not any(v for k, v in ways.items() if k != way)

    for user, ways in ((owner, ["owner", "unit", "cooperating"]),
                       (leader, ["owner", "unit", "cooperating", "leader", "problem"]),
                       (problems_only, ["owner", "leader", "problem"])):
        for way in ways:
            assert any(only(user, way, m) and is_live(m) for m in measures), (user.username, way)
    for name in USERS:
        if not sees_everything(users[name]):
            assert 0 < sum(can_view_measure(users[name], m) for m in measures) < len(measures), name


@pytest.mark.parametrize("name", ["owner", "leader", "leader_of_problems_only", "owner_without_unit"])
def test_a_measure_named_many_ways_is_one_row_of_the_list(client, session, login, world, name):
    users, measures = world
    user = users[name]
    live = [m for m in measures if is_live(m) and can_view_measure(user, m)]
    login(user)

    listing = client.get("/list").get_data(as_text=True)
    everywhere = client.get("/list?q=处处点名").get_data(as_text=True)
    board = client.get("/board").get_data(as_text=True)

    assert re.search(r"共 (\d+) 项", listing).group(1) == str(len(live))
    assert "共 1 项" in everywhere and everywhere.count("处处点名</a>") == 1
    assert board.count("处处点名") == 1
