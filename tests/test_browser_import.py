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

    page.set_viewport_size({"width": 390, "height": 844})  # on a phone the import records are cards
    page.goto(server.url + "/imports/")
    row = page.locator("#import-records tbody tr").first
    assert row.evaluate("row => getComputedStyle(row).display") == "block"
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert problems == []


def test_a_column_corrected_in_the_preview_and_offered_again_next_time(watched, server, tmp_path):
    from test_import_mapping import ROWS, workbook

    page, problems = watched
    sign_in(page, server, "duban", server.printed(r"演示账号.*的密码：(\S+)"))
    page.wait_for_url(server.url + "/")
    path = tmp_path / "财政局反馈问题清单.xlsx"
    path.write_bytes(workbook(ROWS))
    page.goto(server.url + "/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.fill("input[name=title]", "浏览器列设置的反馈问题")
    page.click("#upload-form input[type=submit]")
    first_row = page.locator("#import-rows tbody tr").first
    assert "周洁" not in first_row.inner_text()  # 承办人 read as a note at first

    page.get_by_label("“承办人”列导入为").select_option("owner")
    page.get_by_label("“完成节点”列导入为").select_option("deadline")
    page.click("#remap")
    first_row = page.locator("#import-rows tbody tr").first
    assert "周洁" in first_row.inner_text() and "2026年12月31日" in first_row.inner_text()
    assert page.get_by_label("“承办人”列导入为").input_value() == "owner"
    page.click("#confirm-form input[type=submit]")
    page.wait_for_url(re.compile(r"/board\?batch=\d+$"))

    second = tmp_path / "第二批.xlsx"
    second.write_bytes(workbook(ROWS[1:], title="第二批反馈问题"))
    page.goto(server.url + "/imports/")
    page.set_input_files("input[name=file]", str(second))
    page.fill("input[name=title]", "浏览器列设置的反馈问题（第二批）")
    page.click("#upload-form input[type=submit]")
    assert "已按上次对相同表头所做的列设置读取" in page.locator("#mapping-remembered").inner_text()
    assert "黄磊" in page.locator("#import-rows tbody tr").first.inner_text()
    assert problems == []


def test_a_new_name_in_the_preview_is_taken_for_a_known_person_and_unit_found_by_pinyin(watched, server, tmp_path):
    """小周 and 组织部 match nobody (not even one character apart): the preview's 导入为 search finds
    周洁 by zj and 组织人事部 by zzrs, and the import names them instead of creating new ones."""
    from test_browser_county import axe_problems

    page, problems = watched
    sign_in(page, server, "duban", server.printed(r"演示账号.*的密码：(\S+)"))
    page.wait_for_url(server.url + "/")
    path = tmp_path / "档案检查反馈.xlsx"
    path.write_bytes(ledgers.simple_ledger([[1, "干部档案材料归档不及时。", "按月归档干部档案材料。", "组织部", "小周",
                                             "2026年12月31日"]]))
    page.goto(server.url + "/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.fill("input[name=title]", "浏览器导入时改选已有人员")
    page.click("#upload-form input[type=submit]")

    person = page.get_by_label("表中的“小周”导入为", exact=True)
    assert person.locator("option:checked").inner_text() == "新建人员“小周”"
    page.get_by_label("查找表中的“小周”导入为").press_sequentially("zj")
    option = page.locator(".picker-option", has_text="周洁").first
    assert "组织人事部" in option.inner_text() and "有账号" in option.inner_text()
    option.click()
    assert person.input_value() == "周洁" and "即已有的“周洁”（组织人事部，有账号）" in person.inner_text()
    page.get_by_label("查找表中的“组织部”导入为").press_sequentially("zzrs")
    page.locator(".picker-list:not([hidden]) .picker-option", has_text="组织人事部").first.click()
    assert page.get_by_label("表中的“组织部”导入为", exact=True).input_value() == "组织人事部"
    assert axe_problems(page) == []  # the preview, with its search boxes, passes axe as every page does

    page.click("#confirm-form input[type=submit]")
    page.wait_for_url(re.compile(r"/board\?batch=\d+$"))
    assert "新建问题 1 个" in page.locator(".alert-success").inner_text()
    page.locator(".card-measure", has_text="按月归档干部档案材料").click()
    measure = page.locator("[id^=measure-]", has_text="按月归档干部档案材料").inner_text()
    assert "周洁" in measure and "小周" not in measure and "组织人事部" in measure
    assert problems == []
