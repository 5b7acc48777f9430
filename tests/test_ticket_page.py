"""The ticket page fits the role reading it: a supervisor's page, 代为填报, titles, the audit trail in sentences."""
import re
from datetime import date, timedelta

import sqlalchemy as sa
from test_workflow import action

from rectify.models import AuditLog, MeasureStatus, Role
from rectify.tracking import workflow

OWNER_BUTTONS = ("签收", "填报进展", "上传佐证材料", "申请销号", "申请延期")


def buttons(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"<button[^>]*>(.*?)</button>", page, re.S)]


def test_a_supervisor_sees_review_not_the_owners_buttons(client, login_as, make_measure):
    supervisor = login_as(Role.SUPERVISOR, department="党政综合办公室")
    measure = make_measure(unit="组织人事部", due_on=date.today() + timedelta(days=5))
    page = client.get(f"/problems/{measure.problem_id}").get_data(as_text=True)
    shown = buttons(page)
    assert "代为填报…" in shown
    # The owner's actions are only inside the 代为填报 group, each saying so.
    behalf = page.split(f'id="behalf-{measure.id}"')[1].split("</div>\n    </div>")[0]
    assert not any(label in shown for label in OWNER_BUTTONS), shown
    for label in OWNER_BUTTONS:
        assert "代为" + label in behalf
    assert supervisor.role is Role.SUPERVISOR


def test_an_owner_sees_their_buttons_plainly(client, login_as, make_measure):
    owner = login_as(Role.OWNER, department="组织人事部", person=True)
    measure = make_measure(owners=[owner.person], unit="组织人事部", due_on=date.today() + timedelta(days=5))
    shown = buttons(client.get(f"/problems/{measure.problem_id}").get_data(as_text=True))
    assert {"签收", "填报进展", "申请销号", "申请延期"} <= set(shown)
    assert "代为填报…" not in shown


def test_progress_a_supervisor_posts_for_a_unit_is_marked_and_audited(client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR, name="孙丽", department="党政综合办公室")
    measure = make_measure(unit="组织人事部", due_on=date.today() + timedelta(days=5))
    assert action(client, measure.id, "progress", text="电话了解：已召开专题会。", version=measure.version).status_code == 302
    entry = session.scalar(sa.select(AuditLog).where(AuditLog.action == "progress", AuditLog.object_id == measure.id))
    assert entry.changes["on_behalf"] == [None, "组织人事部"]
    page = client.get(f"/problems/{measure.problem_id}").get_data(as_text=True)
    assert "孙丽（代为填报）" in page
    assert "代组织人事部办理" in page


def test_no_extension_is_offered_on_long_term_measures(client, session, login_as, make_measure):
    owner = login_as(Role.OWNER, department="组织人事部", person=True)
    measure = make_measure(owners=[owner.person], unit="组织人事部", is_long_term=True,
                           due_on=date.today() + timedelta(days=30), status=MeasureStatus.IN_PROGRESS)
    assert "extension" not in workflow.available_actions(measure, owner)
    page = client.get(f"/problems/{measure.problem_id}").get_data(as_text=True)
    assert "申请延期" not in buttons(page)
    refused = action(client, measure.id, "extension", until=(date.today() + timedelta(days=90)).isoformat(), reason="再议")
    assert refused.status_code == 409 and "长期坚持事项持续推进，无需申请延期。" in refused.get_data(as_text=True)


def test_numbers_are_not_doubled_and_the_title_names_the_problem(client, login_as, make_measure):
    login_as(Role.VIEWER)
    measure = make_measure(text="1.制定流动党员管理办法。")
    page = client.get(f"/problems/{measure.problem_id}").get_data(as_text=True)
    assert "措施 1：制定流动党员管理办法。" in page and "1.制定" not in page
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert title == "问题 1：流动党员管理不规范。 - 整改台账系统"


def test_the_current_navigation_item_is_marked(client, login_as):
    login_as(Role.SUPERVISOR)
    for path, label in (("/", "工作台"), ("/list", "列表"), ("/batches/", "批次"), ("/ledger/", "台账")):
        page = client.get(path).get_data(as_text=True)
        current = re.findall(r'<a class="nav-link active"[^>]*aria-current="page">([^<]+)</a>', page)
        assert current == [label], (path, current)


def test_the_audit_trail_reads_as_sentences(client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    measure = make_measure(text="建立台账", due_on=date(2026, 12, 15))
    client.post(f"/measures/{measure.id}/edit", data={
        "text": "建立台账", "lead_unit_id": 0, "owners": "周洁", "due_on": "2027-01-31", "version": measure.version,
        "new_people": "周洁"})
    page = client.get(f"/problems/{measure.problem_id}").get_data(as_text=True)
    trail = page.split('id="audit-trail"')[1]
    assert "整改时限由 2026年12月15日 延至 2027年1月31日" in trail
    assert "责任人设为 周洁" in trail and "责任单位由 组织人事部 改为空" in trail
    assert "→" not in trail and "2027-01-31" not in trail
