"""The home page (工作台)."""
from datetime import timedelta

from conftest import count_queries
from rectify.extensions import db
from rectify.models import MeasureStatus, Person, Role
from rectify.timeutil import local_today


def home_queries(app, client):
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return queries()


def test_home_page_issues_a_fixed_number_of_queries(app, client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    people = [Person(name=f"责任人{i}") for i in range(3)]
    first = make_measure(owners=people)
    few = home_queries(app, client)
    for i in range(40):
        make_measure(problem=first.problem, owners=people[: i % 3 + 1], text=f"措施{i}")
    assert home_queries(app, client) == few


def test_home_page_lists_open_work_first_with_warnings(app, client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    with app.app_context():
        today = local_today()
    done = make_measure(text="早已完成的措施", status=MeasureStatus.DONE, due_on=today - timedelta(days=30))
    make_measure(problem=done.problem, text="逾期的措施", status=MeasureStatus.IN_PROGRESS, due_on=today - timedelta(days=2))
    make_measure(problem=done.problem, text="临期的措施", status=MeasureStatus.NOT_STARTED, due_on=today + timedelta(days=1))
    page = client.get("/").get_data(as_text=True)
    assert page.index("逾期的措施") < page.index("临期的措施") < page.index("早已完成的措施")
    assert "逾期2天" in page and "剩余1天" in page
    assert 'data-count="red">1<' in page and 'data-count="yellow">1<' in page and 'data-count="grey">1<' in page


def test_owner_sees_only_their_scope(client, session, login_as, make_measure):
    owner = login_as(Role.OWNER, department="招商服务局", person=True)
    mine = make_measure(text="我的措施", unit="规划建设局", owners=[owner.person])
    make_measure(problem=mine.problem, text="别人的措施", unit="规划建设局")
    page = client.get("/").get_data(as_text=True)
    assert "我的措施" in page and "别人的措施" not in page
    assert 'data-count="total">1<' in page
