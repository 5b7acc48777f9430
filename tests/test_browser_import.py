"""A re-import in a real browser: a reassignment made on the page survives the same sheet again
(the preview names the conflict and keeps the system's value), and is replaced by the sheet's
value only when the user ticks it."""
import re

import pytest
import test_browser
from test_browser import browser, sign_in  # noqa: F401  (the browser fixture)

import ledgers

pytestmark = pytest.mark.browser
server = test_browser.server  # the demo office, started for this module
watched = test_browser.watched

SHEET = ledgers.simple_ledger([
    [1, "公务用车登记不全。", "补全公务用车使用登记。", "党政综合办公室", "周洁", "2026年12月31日"],
    [2, "会议记录不规范。", "规范会议记录格式。", "党政综合办公室", "刘芳", "2027年1月31日"],
])
TITLE = "浏览器再次导入的巡察反馈"


def upload(page, server, path):
    page.goto(server.url + "/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.fill("input[name=title]", TITLE)
    page.fill("input[name=feedback_on]", "2026-11-20")
    page.click("#upload-form input[type=submit]")


def owners_on_ticket(page, server, problem_url):
    page.goto(problem_url)
    return page.locator("text=责任人：").first.inner_text()


def test_a_reassignment_survives_a_reimport_unless_the_sheets_value_is_ticked(watched, server, tmp_path):
    page, problems = watched
    sign_in(page, server, "duban", server.printed(r"演示账号.*的密码：(\S+)"))
    page.wait_for_url(server.url + "/")
    path = tmp_path / "巡察反馈问题清单.xlsx"
    path.write_bytes(SHEET)
    upload(page, server, path)
    page.click("#confirm-form input[type=submit]")
    page.wait_for_url(re.compile(r"/board\?batch=\d+$"))

    page.locator(".card-measure", has_text="补全公务用车使用登记").click()
    problem_url = page.url.split("#")[0]
    page.locator("[id^=measure-]", has_text="补全公务用车使用登记").get_by_role("link", name="编辑/分派").click()
    page.fill("input[name=owners]", "黄磊")
    page.click("input[type=submit][value=保存措施]")
    assert "黄磊" in owners_on_ticket(page, server, problem_url)

    upload(page, server, path)  # the same sheet again
    conflicts = page.locator("#import-conflicts")
    row = conflicts.locator("tr", has_text="补全公务用车使用登记")
    assert row.locator("td").nth(2).inner_text() == "责任人"
    assert [row.locator("td").nth(i).inner_text() for i in (3, 4)] == ["黄磊", "周洁"]
    assert "系统中已修改的字段 1 处" in page.locator("#import-summary").inner_text()
    page.click("#confirm-form input[type=submit]")
    page.wait_for_url(re.compile(r"/board\?batch=\d+$"))
    assert "保留系统中已修改的字段 1 处" in page.locator(".alert-success").inner_text()
    assert "黄磊" in owners_on_ticket(page, server, problem_url)

    upload(page, server, path)
    page.locator("#import-conflicts tr", has_text="补全公务用车使用登记").locator("input[name=sheet]").check()
    page.click("#confirm-form input[type=submit]")
    page.wait_for_url(re.compile(r"/board\?batch=\d+$"))
    assert "更新措施 1 项" in page.locator(".alert-success").inner_text()
    owners = owners_on_ticket(page, server, problem_url)
    assert "周洁" in owners and "黄磊" not in owners
    page.click("#audit-trail summary")
    trail = page.locator("#audit-trail").inner_text()
    assert "导入更新" in trail and "黄磊" in trail and "周洁" in trail
    assert problems == []
