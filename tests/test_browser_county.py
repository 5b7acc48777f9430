# ruff: noqa: F811 - the fixtures imported from test_browser are taken as arguments by name
"""Fit for a county office, in a real browser (Debian's chromium through Playwright, `python app.py
--demo`): every page at phone width without sideways scrolling and with its lists as cards, axe-core
over every page for each role at desktop and phone width, no request answered 404, the picker by
pinyin initials, a supervisor's ticket, a form sent after the sign-in expired, the upload's progress."""
import re
import time
import urllib.parse

import pytest

# The browser and the demo server are test_browser.py's fixtures (tests take them by name).
from test_browser import DEMO_ACCOUNTS, NOT_PAGES, browser, server, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
# The pages whose lists turn into cards on a phone, and the table that does.
LISTS = {"/list": "#measures", "/batches/": "#batches", "/ledger/": "#ledger-files", "/notifications/": "#notices",
         "/admin/users": "#users", "/admin/departments": "#departments", "/imports/": "#import-records"}
ROLES = ["admin", *DEMO_ACCOUNTS]


@pytest.fixture(scope="module")
def accounts(server):
    """Username and password of each role (an administrator of our own: the demo's must change its password)."""
    if "county-admin" not in server.flask("users", "list"):
        server.flask("users", "add", "county-admin", "--name", "县办管理员", "--role", "admin", "--password", "Anquan-2024")
    demo = server.printed(r"演示账号.*的密码：(\S+)")
    return {"admin": ("county-admin", "Anquan-2024"), **{role: (name, demo) for role, name in DEMO_ACCOUNTS.items()}}


def signed_in(browser, server, accounts, role, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport, bypass_csp=False)
    page = context.new_page()
    failed = []
    page.on("response", lambda r: r.status == 404 and failed.append(f"{page.url}: {r.url}"))
    page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED" and failed.append(f"{page.url}: {r.url} {r.failure}"))
    username, password = accounts[role]
    sign_in(page, server, username, password)
    page.wait_for_url(server.url + "/")
    return context, page, failed


def pages_of(page, server, limit=40) -> list[str]:
    """One page of each kind reachable from the 工作台 (ids aside), as visit_every_page finds them."""
    queue, seen, found = ["/"], set(), []
    while queue and len(found) < limit:
        path = queue.pop(0)
        kind = re.sub(r"\d+", "N", urllib.parse.urlsplit(path).path)
        if kind in seen or NOT_PAGES.match(path) or kind in ("/logout",):
            continue
        seen.add(kind)
        response = page.goto(server.url + path)
        if response.status >= 400:
            continue
        found.append(path)
        for href in page.eval_on_selector_all("a[href]:not([download])", "links => links.map(a => a.href)"):
            target = urllib.parse.urlsplit(href)
            if f"{target.scheme}://{target.netloc}" == server.url:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return found


def axe_problems(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_passes_axe(browser, server, accounts, role):
    context, page, failed = signed_in(browser, server, accounts, role, PHONE)
    paths = pages_of(page, server)
    assert len(paths) >= 8, paths
    wide, problems = [], []
    for path in paths:
        page.goto(server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            wide.append(f"{path} (+{overflow}px)")
        problems += axe_problems(page)
        if path in LISTS and page.locator(LISTS[path] + " tbody tr").count():
            row = page.locator(LISTS[path] + " tbody tr").first
            assert row.evaluate("row => getComputedStyle(row).display") == "block", path  # a card
            assert not page.locator(LISTS[path] + " thead").is_visible(), path
    assert wide == [], wide
    assert problems == [], "\n".join(problems)
    assert failed == [], failed
    context.close()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_at_desktop_width(browser, server, accounts, role):
    context, page, failed = signed_in(browser, server, accounts, role, DESKTOP)
    problems = []
    for path in pages_of(page, server):
        page.goto(server.url + path)
        problems += axe_problems(page)
    assert problems == [], "\n".join(problems)
    assert failed == [], failed
    context.close()


def test_the_login_page_passes_axe_and_loads_everything(browser, server):
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        page = context.new_page()
        failed = []
        page.on("response", lambda r: r.status >= 400 and failed.append(r.url))
        page.goto(server.url + "/login")
        assert axe_problems(page) == []
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.evaluate("fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)") == 200
        assert failed == []
        context.close()


def test_filters_fold_behind_a_button_with_the_active_count_on_a_phone(browser, server, accounts):
    context, page, _ = signed_in(browser, server, accounts, "supervisor", PHONE)
    page.goto(server.url + "/list?status=in_progress&overdue=1")
    toggle = page.locator("#filters-toggle")
    assert toggle.is_visible() and "筛选" in toggle.inner_text()
    assert page.locator("#filters-count").inner_text() == "2"
    assert not page.locator("#filters").is_visible()
    toggle.click()
    page.locator("#filters select[name=status]").wait_for(state="visible")
    box = page.locator("#filters button[type=submit]").bounding_box()
    assert box["height"] >= 44  # thumb-sized
    page.set_viewport_size(DESKTOP)
    page.goto(server.url + "/list")
    assert page.locator("#filters").is_visible() and not page.locator("#filters-toggle").is_visible()
    context.close()


def test_the_picker_finds_people_by_pinyin_initials(browser, server, accounts):
    context, page, _ = signed_in(browser, server, accounts, "supervisor", DESKTOP)
    page.goto(server.url + "/list")
    page.locator("#measures a[href*='#measure-']").first.click()
    page.locator("a", has_text="编辑/分派").first.click()
    owners = page.locator("input[name=owners]")
    owners.fill("")
    owners.press_sequentially("zj")
    option = page.locator(".picker-option", has_text="周洁").first
    assert "组织人事部" in option.inner_text() and "有账号" in option.inner_text()
    option.click()
    assert owners.input_value() == "周洁、"
    owners.press_sequentially("周杰")
    new = page.locator(".picker-option.picker-new")
    assert "新建人员“周杰”" in new.inner_text() and "周洁（组织人事部）" in new.inner_text()
    owners.press("Escape")
    unit = page.locator(".picker-search").first
    unit.fill("zsfw")
    page.locator(".picker-option", has_text="招商服务局").click()
    assert page.locator("select[name=lead_unit_id] option:checked").inner_text() == "招商服务局"
    context.close()


def test_the_picker_answers_what_was_typed_before_the_directory_arrived(browser, server, accounts):
    """A cold server takes a moment for /directory.json (pinyin's dictionary loads on first use):
    what the user typed meanwhile is searched once it arrives."""
    context, page, _ = signed_in(browser, server, accounts, "supervisor", DESKTOP)
    held = []
    page.route("**/directory.json", lambda route: held.append(route))  # answered only after the typing
    page.goto(server.url + "/list")
    page.locator("#measures a[href*='#measure-']").first.click()
    page.locator("a", has_text="编辑/分派").first.click()
    owners = page.locator("input[name=owners]")
    owners.fill("")
    owners.press_sequentially("zj")
    page.wait_for_timeout(200)
    assert page.locator(".picker-option").count() == 0
    held[-1].continue_()  # this page's request (the list's picker asked too, before it was left)
    assert "周洁" in page.locator(".picker-option", has_text="周洁").first.inner_text()
    context.close()


def test_a_supervisors_ticket_keeps_the_units_steps_behind_daiweitianbao(browser, server, accounts):
    context, page, _ = signed_in(browser, server, accounts, "supervisor", DESKTOP)
    page.goto(server.url + "/board")
    page.locator(".card-measure").first.click()
    page.wait_for_url(re.compile(r"/problems/\d+"))
    actions = page.locator(".card-body > .actions").first
    for label in ("签收", "填报进展", "申请销号", "申请延期"):
        assert actions.get_by_role("button", name=label, exact=True).count() == 0, label
    assert page.title().startswith("问题 ")
    toggle = page.locator(".behalf-toggle").first
    toggle.click()
    pane = page.locator("#" + toggle.get_attribute("aria-controls"))
    pane.get_by_role("button", name="代为填报进展").wait_for()
    assert "代" in pane.inner_text() and "办理" in pane.inner_text()
    context.close()


def test_a_form_sent_after_signing_out_comes_back_filled_in(browser, server, accounts):
    context, page, _ = signed_in(browser, server, accounts, "owner", DESKTOP)
    page.goto(server.url + "/board")
    page.locator(".card-measure").first.click()
    page.wait_for_url(re.compile(r"/problems/\d+"))
    ticket = page.url
    page.get_by_role("button", name="填报进展", exact=True).first.click()
    text = page.locator(".collapse.show textarea").first
    text.fill("已召开专题会议，研究整改方案。")
    context.clear_cookies()  # the sign-in expired while the text was typed
    page.locator(".collapse.show input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/login\?next="))
    assert "登录已过期" in page.locator("#login-expired").inner_text()
    username, password = accounts["owner"]
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")
    page.wait_for_url(ticket.split("#")[0])
    assert page.locator(".collapse.show textarea").first.input_value() == "已召开专题会议，研究整改方案。"
    assert "已填回" in page.locator("#draft-restored").inner_text()
    context.close()


def test_evidence_upload_offers_the_camera_and_shows_its_progress(browser, server, accounts, tmp_path):
    context, page, _ = signed_in(browser, server, accounts, "owner", PHONE)
    page.goto(server.url + "/board")
    page.locator(".card-measure").first.click()
    page.wait_for_url(re.compile(r"/problems/\d+"))
    camera = page.locator("input[type=file][capture]").first
    assert camera.get_attribute("accept") == "image/*" and camera.get_attribute("capture") == "environment"
    assert "image/*" in page.locator("input[type=file]:not([capture])").first.get_attribute("accept")
    page.get_by_role("button", name="上传佐证材料", exact=True).first.click()
    evidence = tmp_path / "现场照片.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200_000)
    form = page.locator(".collapse.show form").first
    form.locator("input[type=file]:not([capture])").set_input_files(str(evidence))

    def slowly(route):
        time.sleep(0.8)  # long enough to see the bar
        route.continue_()

    page.route("**/evidence", slowly)
    form.locator("input[type=submit]").click()
    page.locator("#upload-progress").wait_for(state="visible")
    page.locator(".alert-success").wait_for(timeout=15_000)
    assert "佐证材料已上传" in page.locator(".alert-success").inner_text()
    assert "现场照片.png" in page.locator(".evidence-list").first.inner_text()
    context.close()
