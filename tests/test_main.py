"""The home page (工作台)."""
import re
from datetime import timedelta

from rectify.core.timeutil import local_today, utcnow
from rectify.models import MeasureStatus, Person, Role

from conftest import page_queries


def home_queries(app, client):
    return page_queries(app, client, "/")[0]


def test_home_page_issues_a_fixed_number_of_queries(app, client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    people = [Person(name=f"责任人{i}") for i in range(3)]
    first = make_measure(owners=people)
    few = home_queries(app, client)
    for i in range(40):
        make_measure(problem=first.problem, owners=people[: i % 3 + 1], text=f"措施{i}")
    assert home_queries(app, client) == few


def todo_texts(page):
    section = page[page.index('id="todo"'):page.index("</table>", page.index('id="todo"'))]
    return re.findall(r'#measure-\d+">([^<]+)</a>', section)


def test_owner_todo_lists_urgent_and_unacknowledged_work(app, client, session, login_as, make_measure):
    owner = login_as(Role.OWNER, department="组织人事部", person=True)
    with app.app_context():
        today = local_today()
    mine = dict(owners=[owner.person], unit="组织人事部", acknowledged_at=utcnow())
    first = make_measure(text="逾期的措施", status=MeasureStatus.IN_PROGRESS, due_on=today - timedelta(days=2), **mine)
    make_measure(problem=first.problem, text="临期的措施", status=MeasureStatus.IN_PROGRESS, due_on=today + timedelta(days=1), **mine)
    make_measure(problem=first.problem, text="宽裕的措施", status=MeasureStatus.IN_PROGRESS, due_on=today + timedelta(days=60), **mine)
    make_measure(problem=first.problem, text="新分派未签收", due_on=today + timedelta(days=60), owners=[owner.person], unit="组织人事部")
    make_measure(problem=first.problem, text="已完成的措施", status=MeasureStatus.DONE, due_on=today - timedelta(days=9), **mine)
    page = client.get("/").get_data(as_text=True)
    assert todo_texts(page) == ["逾期的措施", "临期的措施", "新分派未签收"]
    assert "逾期2天" in page and "剩余1天" in page and "未签收" in page
    assert 'data-count="total">5<' in page and 'id="completion-rate">20.0%<' in page


def test_supervisor_todo_is_the_review_queue(client, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    first = make_measure(text="待审核的措施", status=MeasureStatus.PENDING_REVIEW)
    make_measure(problem=first.problem, text="整改中的措施", status=MeasureStatus.IN_PROGRESS)
    page = client.get("/").get_data(as_text=True)
    assert todo_texts(page) == ["待审核的措施"]
    assert "待我审核" in page


def test_owner_sees_only_their_scope(client, session, login_as, make_measure):
    owner = login_as(Role.OWNER, department="招商服务局", person=True)
    mine = make_measure(text="我的措施", unit="规划建设局", owners=[owner.person])
    make_measure(problem=mine.problem, text="别人的措施", unit="规划建设局")
    page = client.get("/").get_data(as_text=True)
    assert "我的措施" in page and "别人的措施" not in page
    assert 'data-count="total">1<' in page
