"""The office's loop in a real browser (Playwright, Debian's chromium) against `python app.py`:
a problem list is imported → the unit drafts its plan → returned → redrafted → approved → the
owner signs for the measure (签收) → submits → is returned (and sees it in 待我处理, in 通知, and
in an e-mail a real SMTP server receives) → resubmits → 销号."""
import io
import re

import pytest
from aiosmtpd.controller import Controller
from openpyxl import Workbook
from test_browser import browser, sign_in  # noqa: F401  (the browser fixture)
from test_reminders import Inbox

from conftest import PASSWORD
from live_server import LiveServer, free_port

pytestmark = pytest.mark.browser
PROBLEM = "流动党员教育管理不到位，部分流动党员长期未参加组织生活。"


def problem_list() -> bytes:
    """A 巡察反馈问题清单 as offices receive it: problems only, no measures."""
    book = Workbook()
    sheet = book.active
    sheet.append(["县委第一巡察组反馈问题清单"])
    sheet.append(["序号", "存在问题", "责任单位", "整改时限"])
    sheet.append([1, PROBLEM, "组织人事部", "3个月"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def inbox():
    handler = Inbox()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def office(tmp_path_factory, inbox):
    instance = tmp_path_factory.mktemp("loop") / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        f'SMTP_HOST = "127.0.0.1"\nSMTP_PORT = {inbox.port}\nRECTIFY_SEND_HOURS = "00:00-24:00"\n'
        'RECTIFY_SCHEDULER = "off"\n', encoding="utf-8")
    with LiveServer(instance) as live:
        for username, name, role, email in (("sunli", "孙丽", "supervisor", "sunli@example.gov.cn"),
                                           ("zhoujie", "周洁", "owner", "zhoujie@example.gov.cn"),
                                           ("guanli", "管理员甲", "admin", "guanli@example.gov.cn")):
            live.flask("users", "add", username, "--name", name, "--role", role, "--department", "组织人事部",
                       "--email", email, "--password", PASSWORD)
        yield live


def signed_in(browser, office, username):  # noqa: F811
    page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}).new_page()
    sign_in(page, office, username, PASSWORD)
    page.wait_for_url(office.url + "/")
    return page


def ticket(page, office):
    page.goto(office.url + "/")
    page.locator("#plans-waiting a, #returned a, #todo a").first.click()
    page.wait_for_url(re.compile(r"/problems/\d+"))


def fill_plan(page, text, deadline):
    form = page.locator("#plan-form")
    form.locator("textarea[name='rows-0-text']").fill(text)
    form.locator("input[name='rows-0-deadline']").fill(deadline)
    form.locator("input[name='rows-0-people']").fill("周洁")
    form.get_by_role("button", name="提交审核").click()


def live_card(page):
    """The plan's measure (a supervisor also sees the retired problem-itself measure, marked 已删除)."""
    return page.locator("[id^=measure-]").filter(has_not_text="已删除").first


def pane(page, name, fields, files=None, choice=None):
    card = live_card(page)
    card.get_by_role("button", name=name, exact=True).click()
    form = card.locator(".collapse.show form")
    if choice:
        form.get_by_label(choice).check()
    for field, value in fields.items():
        form.locator(f"textarea[name$='-{field}']").fill(value)
    if files:
        form.locator("input[type=file]:not([capture])").set_input_files(files)  # not the camera
    form.locator("input[type=submit]").click()
    # The answer is in when the open pane has gone: a new page, or (an upload, sent with its progress) a new body.
    form.locator("input[type=submit]").wait_for(state="detached")


def send_the_outbox(office, browser):  # noqa: F811
    admin = signed_in(browser, office, "guanli")
    admin.goto(office.url + "/admin/jobs")
    admin.locator("#jobs tr", has_text="发送待发消息").get_by_role("button", name="立即运行").click()
    admin.context.close()


def test_the_whole_loop(browser, office, inbox, tmp_path):  # noqa: F811
    supervisor = signed_in(browser, office, "sunli")
    supervisor.goto(office.url + "/imports/")
    listing = tmp_path / "巡察反馈问题清单.xlsx"
    listing.write_bytes(problem_list())
    supervisor.set_input_files("input[name=file]", str(listing))
    supervisor.fill("input[name=title]", "县委第一巡察组反馈意见整改")
    supervisor.fill("input[name=feedback_on]", "2026-11-20")
    supervisor.click("#upload-form input[type=submit]")
    supervisor.click("#confirm-form input[type=submit]")
    supervisor.wait_for_url(re.compile(r"/board"))

    owner = signed_in(browser, office, "zhoujie")
    assert PROBLEM[:10] in owner.locator("#plans-waiting").inner_text()  # 待我处理: 待制定措施
    ticket(owner, office)
    assert owner.locator("#plan-state").inner_text() == "待制定措施"
    fill_plan(owner, "逐一联系流动党员，建立联系台账。", "2026年12月底前")
    assert owner.locator("#plan-state").inner_text() == "待审核方案"

    supervisor.goto(office.url + "/")
    assert PROBLEM[:10] in supervisor.locator("#plans-waiting").inner_text()  # 待审核方案
    ticket(supervisor, office)
    supervisor.locator("#plan-return textarea").fill("请写明组织生活的补课安排。")
    supervisor.locator("#plan-return button").click()
    assert supervisor.locator("#plan-state").inner_text() == "方案被退回"

    ticket(owner, office)
    assert "请写明组织生活的补课安排。" in owner.locator("#plan-returned").inner_text()
    fill_plan(owner, "逐一联系流动党员，建立联系台账，12月底前组织补课。", "2026年12月底前")
    ticket(supervisor, office)
    supervisor.get_by_role("button", name="审核通过").click()
    assert supervisor.locator(".alert-success").inner_text().startswith("整改方案已通过")

    ticket(owner, office)
    card = live_card(owner)
    assert "12月底前组织补课" in card.inner_text()
    card.get_by_role("button", name="签收").click()
    assert owner.locator(".alert-success").inner_text().strip() == "已签收。"
    evidence = tmp_path / "补课签到表.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    pane(owner, "申请销号", {"note": "已联系全部流动党员并组织补课。"}, files=[str(evidence)])

    ticket(supervisor, office)
    pane(supervisor, "审核", {"note": "签到表不全，请补充。"}, choice="退回整改")

    owner.goto(office.url + "/")
    assert "逐一联系流动党员" in owner.locator("#returned").inner_text()  # 待我处理: 被退回待补充
    assert owner.locator("#unread-count").count() == 1
    owner.click("#bell")
    assert "签到表不全，请补充。" in owner.locator("#notifications").inner_text()
    send_the_outbox(office, browser)
    [mail] = [m for m in inbox.to("zhoujie") if "签到表不全，请补充。" in m.get_body(("plain",)).get_content()]
    assert mail["Subject"].startswith("【整改台账】【退回】")
    assert f"{office.url}/problems/" in mail.get_body(("plain",)).get_content()  # where this server is reached

    ticket(owner, office)
    pane(owner, "申请销号", {"note": "已补充全部签到表。"}, files=[str(evidence)])
    ticket(supervisor, office)
    pane(supervisor, "审核", {}, choice="同意销号")
    assert live_card(supervisor).locator(".measure-status").inner_text() == "已完成"
