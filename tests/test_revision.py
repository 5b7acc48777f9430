"""Counts kept until the data changes: the database's revision counter and the pages using it."""
import re
from datetime import timedelta

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.core.timeutil import local_today
from rectify.models import (
    Batch,
    DataRevision,
    Department,
    Measure,
    MeasureStatus,
    Person,
    Problem,
    Role,
    SourceKind,
)

from conftest import count_queries


def revision(session):
    session.expire_all()
    return session.scalar(sa.select(DataRevision.n))


def bumps(session, change):
    """Whether committing ``change(session)`` moved the revision on."""
    before = revision(session)
    change(session)
    session.commit()
    return revision(session) > before


def test_every_watched_table_bumps_the_revision_on_insert_update_and_delete(session):
    batch = Batch(kind=SourceKind.XUNCHA, title="第三巡察组")
    assert bumps(session, lambda s: s.add(batch))
    problem = Problem(batch=batch, description="台账不全。")
    assert bumps(session, lambda s: s.add(problem))
    person, unit = Person(name="张三"), Department(name="办公室")
    assert bumps(session, lambda s: s.add(person))
    measure = Measure(problem=problem, text="补齐台账。")
    assert bumps(session, lambda s: s.add(measure))
    assert bumps(session, lambda s: setattr(batch, "title", "第四巡察组"))
    assert bumps(session, lambda s: setattr(problem, "description", "台账不全面。"))
    assert bumps(session, lambda s: setattr(measure, "status", MeasureStatus.IN_PROGRESS))
    assert bumps(session, lambda s: setattr(person, "name", "张三丰"))
    # The link tables: owners, leaders (of a measure and of a problem), cooperating units.
    assert bumps(session, lambda s: measure.owners.append(person))
    assert bumps(session, lambda s: measure.leaders.append(person))
    assert bumps(session, lambda s: problem.leaders.append(person))
    assert bumps(session, lambda s: measure.cooperating_units.append(unit))
    for owner, links in ((measure, "owners"), (measure, "leaders"), (problem, "leaders"),
                         (measure, "cooperating_units")):
        assert bumps(session, lambda s: getattr(owner, links).clear())
    assert bumps(session, lambda s: s.delete(measure))
    assert bumps(session, lambda s: s.delete(problem))
    assert bumps(session, lambda s: s.delete(person))
    assert bumps(session, lambda s: s.delete(batch))
    # What the counts do not read leaves it alone.
    assert not bumps(session, lambda s: s.add(Department(name="财务科")))


def test_a_bulk_write_bumps_the_revision(session, make_measure):
    """PostgreSQL's deferred trigger bumps once per transaction; SQLite's once per row."""
    first = make_measure()
    for i in range(5):
        make_measure(problem=first.problem, text=f"措施{i}")
    before = revision(session)
    session.execute(sa.update(Measure).values(status=MeasureStatus.IN_PROGRESS))
    session.commit()
    expected = 1 if session.get_bind().dialect.name == "postgresql" else 6
    assert revision(session) == before + expected


def dashboard_total(client):
    page = client.get("/").get_data(as_text=True)
    return int(re.search(r'data-count="total">(\d+)<', page).group(1))


def list_total(client, url="/list"):
    return int(re.search(r"共 (\d+) 项", client.get(url).get_data(as_text=True)).group(1))


def board_count(client, status):
    page = client.get("/board").get_data(as_text=True)
    return int(re.search(rf'id="column-{status}" data-count="(\d+)"', page).group(1))


def test_counts_follow_a_write_committed_by_another_process(app, client, session, login_as, make_measure):
    """Another process is another connection that bypasses this app's session entirely."""
    login_as(Role.SUPERVISOR)
    first = make_measure()
    make_measure(problem=first.problem, text="第二项")
    assert (dashboard_total(client), list_total(client), board_count(client, "not_started")) == (2, 2, 2)
    with app.app_context(), db.engine.begin() as other:
        other.execute(sa.update(Measure).where(Measure.id == first.id).values(status="done"))
        problem_id = other.execute(sa.select(Problem.id)).scalar()
        other.execute(sa.insert(Measure).values(problem_id=problem_id, position=3, text="第三项", status="not_started",
                                                version=1, is_immediate=False, is_long_term=False))
    assert dashboard_total(client) == 3
    assert list_total(client) == 3
    assert list_total(client, "/list?status=done") == 1
    assert board_count(client, "not_started") == 2 and board_count(client, "done") == 1


def test_counts_are_not_counted_again_until_the_data_changes(app, client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    make_measure(due_on=local_today() - timedelta(days=1), status=MeasureStatus.IN_PROGRESS)
    with app.app_context():
        engine = db.engine

    with count_queries(engine) as first:
        client.get("/")
    with count_queries(engine) as second:
        client.get("/")
    assert second() < first()
    make_measure(text="又一项")
    with count_queries(engine) as after_write:
        client.get("/")
    assert after_write() == first()


def test_scopes_do_not_share_counts(app, client, session, login, make_user, make_measure):
    """An owner sees their unit's measures; a supervisor's cached totals must not leak to them."""
    supervisor = make_user(Role.SUPERVISOR)
    owner = make_user(Role.OWNER, department="办公室")
    first = make_measure(unit="办公室")
    make_measure(problem=first.problem, unit="组织人事部", text="别的单位的")
    login(supervisor)
    assert dashboard_total(client) == 2 and list_total(client) == 2
    login(owner)
    assert dashboard_total(client) == 1 and list_total(client) == 1
