"""整改方案: a problem listed without measures is drafted by its unit, returned, redrafted, approved;
its measures go live and their people are asked to 签收; changes to a live plan; the plan's
deadline reminded; the API; who may do what."""
import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from rectify.models import AuditLog, Event, Measure, MeasureStatus, Notification, Plan, Role

from conftest import PASSWORD, page_queries  # noqa: F401  (PASSWORD: the fixtures' password)


@pytest.fixture
def listed(session, make_user, make_measure, make_department):
    """A problem from a problem list: one measure that is the problem itself, for 组织人事部."""
    unit = make_department("组织人事部")
    owner = make_user(Role.OWNER, name="周洁", department="组织人事部", person=True)
    leader = make_user(Role.LEADER, name="李明", department="组织人事部", person=True)
    supervisor = make_user(Role.SUPERVISOR, name="孙丽")
    itself = make_measure(text="流动党员管理不规范，台账不全。", unit="组织人事部", is_problem_itself=True,
                          assigned_at=datetime(2026, 11, 2, 1, 0))
    itself.problem.lead_unit = unit
    itself.problem.leaders = [leader.person]
    itself.problem.batch.feedback_on = date(2026, 11, 1)
    make_user(Role.OWNER, name="王强", department="组织人事部", person=True)  # another of the unit
    session.commit()
    return dict(problem=itself.problem, itself=itself, owner=owner, leader=leader, supervisor=supervisor)


def rows(*measures):
    data = {}
    for index, (text, deadline, people) in enumerate(measures):
        data.update({f"rows-{index}-text": text, f"rows-{index}-deadline": deadline, f"rows-{index}-people": people})
    return data


def page(client, problem):
    return client.get(f"/problems/{problem.id}").get_data(as_text=True)


def titles(session, user):
    session.expire_all()
    return [n.title for n in session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                                               .order_by(Notification.id))]


def test_a_unit_drafts_a_supervisor_returns_then_approves(app, client, session, login, listed):
    problem, owner, supervisor = listed["problem"], listed["owner"], listed["supervisor"]
    login(owner)
    ticket = page(client, problem)
    assert 'id="plan-state">待制定措施<' in ticket and "请于 2026年11月17日 前提交" in ticket
    assert 'id="plan-form"' in ticket
    home = client.get("/").get_data(as_text=True)
    assert 'id="plans-waiting"' in home and "流动党员管理不规范" in home  # 待我处理 → 待制定措施

    draft = client.post(f"/problems/{problem.id}/plan", data={**rows(("建立流动党员台账。", "30日内", "周洁")), "save": "保存草稿"})
    assert draft.status_code == 302
    assert 'id="plan-state">整改方案草稿<' in page(client, problem) and titles(session, supervisor) == []

    sent = client.post(f"/problems/{problem.id}/plan", data={
        **rows(("建立流动党员台账，逐人登记。", "30日内", "周洁"), ("每季度联系一次流动党员。", "长期坚持", "周洁、王强")),
        "submit": "提交审核"})
    assert sent.status_code == 302
    assert titles(session, supervisor) == ["【提交整改方案】流动党员管理不规范。"]  # the problem's words
    assert client.post(f"/problems/{problem.id}/plan/approve").status_code == 403  # not the unit's to approve

    other = app.test_client()
    login(supervisor, on=other)
    assert "待审核方案" in other.get("/").get_data(as_text=True)
    nothing = other.post(f"/problems/{problem.id}/plan/return", data={"reason": ""})
    assert nothing.status_code == 400 and "请填写退回理由" in nothing.get_data(as_text=True)
    assert other.post(f"/problems/{problem.id}/plan/return", data={"reason": "措施不够具体，请写明完成标志。"}).status_code == 302
    assert titles(session, owner)[-1] == "【整改方案退回】流动党员管理不规范。"
    ticket = page(client, problem)
    assert 'id="plan-state">方案被退回<' in ticket and "措施不够具体，请写明完成标志。" in ticket
    assert "建立流动党员台账，逐人登记。" in ticket  # the form holds the returned proposal to rework

    assert client.post(f"/problems/{problem.id}/plan", data={
        **rows(("建立流动党员台账，逐人登记，12月底前完成。", "2026年12月底前", "周洁"),
               ("每季度联系一次流动党员。", "长期坚持", "周洁、王强")), "submit": "提交审核"}).status_code == 302
    approved = other.post(f"/problems/{problem.id}/plan/approve")
    assert approved.status_code == 302

    session.expire_all()
    live = session.scalars(sa.select(Measure).where(Measure.problem_id == problem.id, Measure.deleted_at.is_(None))
                           .order_by(Measure.position)).all()
    assert [m.text for m in live] == ["建立流动党员台账，逐人登记，12月底前完成。", "每季度联系一次流动党员。"]
    assert live[0].due_on == date(2026, 12, 31) and live[0].deadline_text == "2026年12月底前"
    assert live[1].is_long_term and [p.name for p in live[1].owners] == ["周洁", "王强"]
    assert all(m.status is MeasureStatus.NOT_STARTED and m.acknowledged_at is None for m in live)
    assert all(m.lead_unit.name == "组织人事部" for m in live)
    assert session.get(Measure, listed["itself"].id).deleted_at is not None  # retired, restorable
    told = session.scalars(sa.select(Notification).where(Notification.user_id == owner.id)
                           .order_by(Notification.id.desc())).first()
    assert told.title == "您有 3 条新的整改事项通知"  # one notice for the approval and both assignments
    assert sorted(item["kind"] for item in told.items) == ["assigned", "assigned", "plan_approved"]
    assert {e.kind for e in session.scalars(sa.select(Event))} >= {"plan_submitted", "plan_returned", "plan_approved",
                                                                   "assigned"}
    actions = {a.action for a in session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "Problem"))}
    assert {"submit_plan", "return_plan", "approve_plan"} <= actions
    ticket = page(client, problem)
    assert 'id="plan"' not in ticket.split('id="audit-trail"')[0] or "提出措施调整" in ticket
    assert f'/measures/{live[0].id}/acknowledge"' in ticket  # the owner is asked to 签收


def test_an_unreadable_proposal_is_refused_and_nothing_is_saved(client, session, login, listed):
    login(listed["owner"])
    refused = client.post(f"/problems/{listed['problem'].id}/plan",
                          data={**rows(("建立台账。", "下下个月吧", "周洁")), "submit": "提交审核"})
    assert refused.status_code == 400 and "第 1 项的整改时限“下下个月吧”无法识别" in refused.get_data(as_text=True)
    empty = client.post(f"/problems/{listed['problem'].id}/plan", data={**rows(("", "", "")), "submit": "提交审核"})
    assert empty.status_code == 400 and "请至少填写一项整改措施" in empty.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


@pytest.mark.parametrize("who", ["another unit's owner", "viewer"])
def test_only_the_unit_and_supervisors_draft(client, session, login, make_user, listed, who):
    user = make_user(Role.OWNER, department="规划建设局") if who != "viewer" else make_user(Role.VIEWER)
    login(user)
    refused = client.post(f"/problems/{listed['problem'].id}/plan", data={**rows(("建立台账。", "", "")), "submit": "1"})
    assert refused.status_code in (403, 404)
    assert session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


def test_a_unit_proposes_a_change_to_a_live_plan(app, client, session, login, listed, make_measure):
    problem, owner, supervisor = listed["problem"], listed["owner"], listed["supervisor"]
    session.get(Measure, listed["itself"].id).deleted_at = datetime(2026, 11, 20)
    broad = make_measure(problem=problem, text="规范流动党员管理。", unit="组织人事部", owners=[owner.person])
    session.commit()
    login(owner)
    assert "提出措施调整" in page(client, problem)
    assert client.post(f"/problems/{problem.id}/plan", data={
        **rows(("登记流动党员信息。", "", "周洁"), ("建立联系制度。", "", "周洁")),
        "rows-0-replaces": str(broad.id), "submit": "提交审核"}).status_code == 302
    other = app.test_client()
    login(supervisor, on=other)
    assert other.post(f"/problems/{problem.id}/plan/approve").status_code == 302
    session.expire_all()
    assert session.get(Measure, broad.id).deleted_at is not None  # split into the two
    assert sorted(m.text for m in session.scalars(sa.select(Measure).where(
        Measure.problem_id == problem.id, Measure.deleted_at.is_(None)))) == ["建立联系制度。", "登记流动党员信息。"]


def test_the_plan_deadline_is_reminded_then_escalated(app, session, listed):
    from rectify.reminders.run import run_reminders

    app.config["SMTP_HOST"] = ""
    with app.app_context():
        soon = run_reminders(date(2026, 11, 16), datetime(2026, 11, 16, 1, 0))  # due 11-17: one day left
        late = run_reminders(date(2026, 11, 30), datetime(2026, 11, 30, 1, 0))  # 13 days late
    assert soon["notices"].get("plan_due_1") == 2  # the unit's two owners
    assert late["notices"]["plan_overdue"] >= 3 and late["notices"]["plan_overdue_supervisor"] == 1
    body = [n.items for n in session.scalars(sa.select(Notification).where(Notification.user_id == listed["leader"].id))]
    assert any("整改方案已超期13天未提交" in item["note"] for items in body for item in items)


def test_a_plan_through_the_api(client, session, listed):
    from rectify.accounts.tokens import create_token

    _, owner = create_token(listed["owner"], "脚本")
    _, supervisor = create_token(listed["supervisor"], "OA")
    session.commit()
    problem = listed["problem"]
    url = f"/api/v1/problems/{problem.id}"
    assert client.get(url, headers={"Authorization": f"Bearer {owner}"}).json["plan"]["state"] == "needed"
    bad = client.post(url + "/plan", json={"measures": [{"text": "建立台账", "owner": "周洁"}]},
                      headers={"Authorization": f"Bearer {owner}"})
    assert bad.status_code == 400
    sent = client.post(url + "/plan", json={"measures": [{"text": "建立台账。", "deadline": "30日内", "people": "周洁"}]},
                       headers={"Authorization": f"Bearer {owner}"})
    assert sent.status_code == 200 and sent.json["plan"]["state"] == "submitted"
    assert sent.json["plan"]["proposal"][0]["text"] == "建立台账。"
    assert client.post(url + "/plan/approve", headers={"Authorization": f"Bearer {owner}"}).status_code == 403
    done = client.post(url + "/plan/approve", headers={"Authorization": f"Bearer {supervisor}"})
    assert done.status_code == 200 and done.json["plan"]["state"] is None
    assert [m["text"] for m in done.json["measures"]] == ["建立台账。"]
    assert done.json["measures"][0]["due_on"] == "2026-12-01"  # 30 days from the feedback date


def test_a_supervisor_adds_a_problem_for_the_unit_to_plan(app, client, session, login_as, make_department, listed):
    unit = make_department("组织人事部")
    login_as(Role.SUPERVISOR)
    batch_id = listed["problem"].batch_id
    response = client.post(f"/batches/{batch_id}/problems/new", data={
        "description": "党建工作责任制落实不到位。", "lead_unit_id": unit.id, "unit_plans": "y"})
    assert response.status_code == 302
    problem_id = int(re.search(r"/problems/(\d+)", response.location).group(1))
    assert "待制定措施" in client.get(f"/problems/{problem_id}").get_data(as_text=True)
    assert "【分派】党建工作责任制落实不到位。" in titles(session, listed["owner"])
    nothing = client.post(f"/batches/{batch_id}/problems/new", data={"description": "问题", "lead_unit_id": 0,
                                                                     "unit_plans": "y"})
    assert nothing.status_code == 400 and "请选择牵头单位" in nothing.get_data(as_text=True)
    assert timedelta  # imported for the reader's arithmetic above


def test_a_plan_on_the_ticket_page_issues_a_fixed_number_of_queries(app, client, session, login, listed, make_measure):
    """A supervisor opening a submitted plan: however many measures it proposes, and however many
    people each names, the page reads them in the same number of queries."""
    owner, supervisor = listed["owner"], listed["supervisor"]
    other = make_measure(text="发展党员程序不规范。", unit="组织人事部", is_problem_itself=True,
                         assigned_at=datetime(2026, 11, 2, 1, 0))
    other.problem.lead_unit, other.problem.batch = listed["problem"].lead_unit, listed["problem"].batch
    session.commit()
    login(owner)
    proposals = {listed["problem"].id: [("建立流动党员台账。", "30日内", "周洁")],
                 other.problem_id: [(f"第{i}项措施。", "2026年12月底前", "周洁、王强") for i in range(25)]}
    for problem_id, measures in proposals.items():
        sent = client.post(f"/problems/{problem_id}/plan", data={**rows(*measures), "submit": "提交审核"})
        assert sent.status_code == 302

    reviewer = app.test_client()
    login(supervisor, on=reviewer)
    counts = {}
    for problem_id, measures in proposals.items():
        reviewer.get(f"/problems/{problem_id}")  # notices about it read, once
        counts[len(measures)], page = page_queries(app, reviewer, f"/problems/{problem_id}")
        assert 'id="plan-state">待审核方案<' in page and measures[-1][0] in page
    assert counts[25] == counts[1]
