"""看板 and 列表: filters in the URL, bulk assignment, and a fixed number of queries per page."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from rectify.core.timeutil import local_today
from rectify.models import AuditLog, Batch, Measure, MeasureStatus, Person, Problem, Role, SourceKind

from conftest import page_queries

S = MeasureStatus


@pytest.fixture
def ledger(app, session, make_measure, make_department):
    """Two batches, three units, measures in every state."""
    with app.app_context():
        today = local_today()
    li, zhou, wu, zhang = Person(name="李明"), Person(name="周洁"), Person(name="吴刚"), Person(name="张伟")
    xuncha = Batch(kind=SourceKind.XUNCHA, title="县委第三巡察组反馈意见整改")
    audit = Batch(kind=SourceKind.AUDIT, title="经济责任审计整改")
    p1 = Problem(batch=xuncha, number="（一）1", description="流动党员管理不规范", leaders=[li])
    p2 = Problem(batch=audit, number="1", description="专项资金使用不规范")
    session.add_all([p1, p2])
    made = {
        "overdue": make_measure(problem=p1, text="完善流动党员台账", owners=[zhou], status=S.IN_PROGRESS,
                                due_on=today - timedelta(days=3)),
        "soon": make_measure(problem=p1, text="建立联系制度", owners=[zhou], status=S.NOT_STARTED,
                             due_on=today + timedelta(days=2)),
        "green": make_measure(problem=p2, text="清理专项资金", owners=[wu], leaders=[zhang], unit="财政局",
                              status=S.IN_PROGRESS, due_on=today + timedelta(days=60)),
        "done": make_measure(problem=p2, text="追回违规资金100%", owners=[wu], unit="财政局", status=S.DONE),
    }
    return made


def texts(page):
    return set(re.findall(r"data-measure=\"\d+\"[^>]*>\s*<div[^>]*>\s*<div[^>]*>[^<]*</div>\s*<div class=\"fw-semibold\">([^<]+)<", page))


def board_texts(client, **args):
    response = client.get("/board", query_string=args)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {text for text in ["完善流动党员台账", "建立联系制度", "清理专项资金", "追回违规资金100%"] if text in page}


@pytest.mark.parametrize(
    "args, expected",
    [
        ({}, {"完善流动党员台账", "建立联系制度", "清理专项资金", "追回违规资金100%"}),
        ({"kind": "audit"}, {"清理专项资金", "追回违规资金100%"}),
        ({"person": "周洁"}, {"完善流动党员台账", "建立联系制度"}),
        ({"leader": "李明"}, {"完善流动党员台账", "建立联系制度"}),  # the problem's leader
        ({"leader": "张伟"}, {"清理专项资金"}),  # the measure's own leader
        ({"leader": "周洁"}, set()),  # a 责任人, not a leader
        ({"person": "李明"}, set()),
        ({"status": "done"}, {"追回违规资金100%"}),
        ({"colour": "yellow"}, {"建立联系制度"}),
        ({"colour": "green"}, {"清理专项资金"}),
        ({"overdue": "1"}, {"完善流动党员台账"}),
        ({"q": "流动党员"}, {"完善流动党员台账", "建立联系制度"}),  # matches the problem's text
        ({"q": "资金100%"}, {"追回违规资金100%"}),  # % is a character, not a wildcard
        ({"q": "100%", "status": "in_progress"}, set()),
    ],
)
def test_board_filters(client, login_as, ledger, args, expected):
    login_as(Role.SUPERVISOR)
    assert board_texts(client, **args) == expected


def test_filters_by_batch_and_unit_ids(client, session, login_as, ledger):
    login_as(Role.SUPERVISOR)
    audit_batch = session.scalar(sa.select(Batch.id).where(Batch.kind == SourceKind.AUDIT))
    assert board_texts(client, batch=audit_batch) == {"清理专项资金", "追回违规资金100%"}
    unit = ledger["green"].lead_unit_id
    assert board_texts(client, unit=unit) == {"清理专项资金", "追回违规资金100%"}


@pytest.mark.parametrize("args", [{"batch": "abc"}, {"status": "finished"}, {"colour": "purple"}])
def test_malformed_filters_are_a_400_naming_them(client, login_as, args):
    login_as(Role.OWNER)
    response = client.get("/board", query_string=args)
    assert response.status_code == 400
    assert next(iter(args)) in response.get_data(as_text=True)


def test_list_sorts_paginates_and_keeps_filters_in_links(client, login_as, ledger, make_measure):
    login_as(Role.SUPERVISOR)
    for i in range(60):
        make_measure(problem=ledger["green"].problem, text=f"批量措施{i:02d}", unit="财政局")
    first = client.get("/list", query_string={"unit": ledger["green"].lead_unit_id, "sort": "number"}).get_data(as_text=True)
    assert "共 62 项" in first
    assert f"unit={ledger['green'].lead_unit_id}" in first and "page=2" in first
    second = client.get("/list", query_string={"unit": ledger["green"].lead_unit_id, "sort": "number", "page": 2})
    assert second.get_data(as_text=True).count('data-warning="') == 12
    beyond = client.get("/list", query_string={"page": 99})
    assert beyond.status_code == 200 and "没有符合条件的措施" in beyond.get_data(as_text=True)


def test_bulk_assignment(client, session, login_as, ledger):
    login_as(Role.SUPERVISOR)
    ids = [ledger["overdue"].id, ledger["green"].id]
    response = client.post("/list/assign", data={"ids": ids, "owners": "黄磊", "new_people": "黄磊", "lead_unit_id": 0,
                                                 "next": "/list?q=x"})
    assert response.status_code == 302 and response.location == "/list?q=x"
    session.expire_all()
    for measure_id in ids:
        assert [p.name for p in session.get(Measure, measure_id).owners] == ["黄磊"]
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "update")) == 2
    assert [p.name for p in session.get(Measure, ledger["soon"].id).owners] == ["周洁"]


def test_bulk_assignment_needs_a_selection_and_a_target(client, session, login_as, ledger):
    login_as(Role.SUPERVISOR)
    client.post("/list/assign", data={"owners": "黄磊", "lead_unit_id": 0})
    client.post("/list/assign", data={"ids": [ledger["soon"].id], "owners": "", "lead_unit_id": 0})
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0


def queries_for(app, client, url):
    return page_queries(app, client, url)[0]


@pytest.mark.parametrize("url", ["/", "/board", "/list", "/list?page=2&sort=-due", "/batches/", "/problems/{problem}"])
def test_pages_issue_a_fixed_number_of_queries(app, client, session, login_as, make_measure, url):
    login_as(Role.SUPERVISOR)
    people = [Person(name=f"责任人{i}") for i in range(4)]
    first = make_measure(owners=people[:1])
    url = url.format(problem=first.problem_id)

    def grow(count):
        with app.app_context():
            today = local_today()
        session.add_all(
            Measure(problem=first.problem, lead_unit=first.lead_unit, owners=people[: i % 4 + 1], leaders=people[:2],
                    text=f"措施{i}", status=list(S)[i % 5], due_on=today + timedelta(days=i - 20))
            for i in range(count)
        )
        session.commit()

    grow(60)
    small = queries_for(app, client, url)
    grow(140)
    assert queries_for(app, client, url) == small


@pytest.mark.parametrize("sort", ["due", "-due"])
def test_list_pages_by_deadline_cross_from_dated_to_undated(client, login_as, make_measure, monkeypatch, sort):
    """Pages of 3 over 5 dated and 3 undated measures: the boundary falls inside page 2."""
    monkeypatch.setattr("rectify.tracking.board.PAGE_SIZE", 3)
    login_as(Role.SUPERVISOR)
    first = make_measure(text="无时限0")
    undated = ["无时限0"] + [make_measure(problem=first.problem, text=f"无时限{i}").text for i in (1, 2)]
    dated = [make_measure(problem=first.problem, text=f"时限{day}", due_on=date(2024, 6, day)).text
             for day in (5, 1, 4, 2, 3)]
    by_date = sorted(dated, key=lambda text: int(text[2:]))
    expected = by_date + undated if sort == "due" else by_date[::-1] + undated[::-1]
    seen = []
    for page in (1, 2, 3):
        html = client.get(f"/list?sort={sort}&page={page}").get_data(as_text=True)
        seen += re.findall(r'#measure-\d+">([^<]+)</a>', html)
    assert seen == expected


@pytest.mark.parametrize("raw", ["²", "٣x", "9" * 5000, "99999999999"])
def test_a_filter_id_that_is_not_a_database_id_is_a_clear_400(client, login_as, raw):
    """"²" passes str.isdigit but not int(); 5,000 digits pass neither int() nor the database."""
    login_as(Role.SUPERVISOR)
    response = client.get("/list", query_string={"batch": raw})
    assert response.status_code == 400 and "筛选条件“batch”应为编号" in response.get_data(as_text=True)
