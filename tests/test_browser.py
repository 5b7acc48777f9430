"""The web UI in a real browser: Playwright driving Debian's chromium against `python app.py`."""
import json
import os
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest

from conftest import unavailable
from live_server import LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("RECTIFY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        unavailable("browser", f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Chromium keeps the machine's clock when the suite runs under libfaketime (which it does not survive).
        env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD" and not key.startswith("FAKETIME")}
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=env)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("browser") / "instance"
    instance.mkdir()
    # The demo's ledger is small: make any export of more than 5 measures a background one.
    (instance / "config.py").write_text("RECTIFY_LEDGER_BACKGROUND_ROWS = 5\n", encoding="utf-8")
    with LiveServer(instance, "--demo") as live:
        yield live


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def watched(browser):
    """A page that notes every Content-Security-Policy violation, script error and failed request."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    problems = []
    context.expose_binding("reportViolation", lambda source, text: problems.append(f"{source['frame'].url}: {text}"))
    context.add_init_script("""document.addEventListener("securitypolicyviolation", function (event) {
      window.reportViolation("violates " + event.violatedDirective + ": " + event.blockedURI + " " + event.sample);
    });""")
    page = context.new_page()
    page.on("console", lambda message: "Content Security Policy" in message.text
            and problems.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error {error}"))
    # A request cut short by leaving the page (a progress poll) is no failure.
    page.on("requestfailed", lambda request: request.failure != "net::ERR_ABORTED"
            and problems.append(f"{page.url}: {request.url} failed ({request.failure})"))
    page.on("response", lambda response: response.status >= 400 and not response.request.is_navigation_request()
            and problems.append(f"{page.url}: {response.url} answered {response.status}"))
    yield page, problems
    context.close()


def sign_in(page, server, username, password):
    page.goto(server.url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")


def test_new_admin_signs_in_changes_password_and_sees_the_board(page, server):
    password = server.printed(r"初始密码：(\S+)")
    sign_in(page, server, "admin", "not-the-password")
    assert page.locator("#login-error").inner_text() == "用户名或密码错误。"
    sign_in(page, server, "admin", password)
    page.wait_for_url(re.compile(r"/account/password$"))
    page.fill("input[name=current]", password)
    page.fill("input[name=new]", "Xinmima2024")
    page.fill("input[name=confirm]", "Xinmima2024")
    page.click("input[type=submit]")
    page.wait_for_url(server.url + "/")
    assert page.locator(".alert-success").inner_text().strip() == "密码已修改，其他设备上的登录和 API 访问令牌已失效。"
    assert page.locator('[data-count="total"]').inner_text() == "20"
    assert int(page.locator('[data-count="red"]').inner_text()) >= 1
    page.click("text=看板")
    assert page.locator(".card-measure").count() == 20
    screenshots = os.environ.get("RECTIFY_SCREENSHOT_DIR")
    if screenshots:
        Path(screenshots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(screenshots) / "board.png"))
    page.click("#user-menu")
    page.click("text=退出登录")
    page.wait_for_url(re.compile(r"/login$"))


def test_owner_sees_only_their_own_work(page, server):
    password = server.printed(r"演示账号.*的密码：(\S+)")
    sign_in(page, server, "zeren2", password)
    page.wait_for_url(server.url + "/")
    page.click("text=看板")
    cards = page.locator(".card-measure")
    assert cards.count() == 3
    for text in cards.all_inner_texts():
        assert "招商服务局" in text
    assert page.locator("text=用户管理").count() == 0
    page.goto(server.url + "/admin/users")
    assert "没有权限" in page.locator("h1").inner_text()


MEASURE = "开展主题党日创新案例评选，形成可复制经验。"


def measure_card(page):
    return page.locator("[id^=measure-]", has_text=MEASURE)


def open_measure(page, server):
    page.goto(server.url + "/board")
    page.locator(".card-measure", has_text=MEASURE[:20]).click()
    card = measure_card(page)
    card.wait_for()
    return card


def act(card, pane, fields=None, files=None, choice=None):
    """Open an action pane of the measure, fill it in and submit it."""
    card.get_by_role("button", name=pane, exact=True).click()
    form = card.locator(".collapse.show form")
    if choice:
        form.get_by_label(choice).check()
    for name, value in (fields or {}).items():
        form.locator(f"textarea[name$='-{name}']").fill(value)
    if files:
        form.locator("input[type=file]:not([capture])").set_input_files(files)  # not the camera
    form.locator("input[type=submit]").click()
    # The answer is in when the open pane has gone: a new page, or (an upload, sent with its progress) a new body.
    form.locator("input[type=submit]").wait_for(state="detached")


def test_a_measure_goes_through_review_return_and_sign_off(browser, server, tmp_path):
    password = server.printed(r"演示账号.*的密码：(\S+)")
    evidence = tmp_path / "评选方案.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    owner = browser.new_context(locale="zh-CN").new_page()
    supervisor = browser.new_context(locale="zh-CN").new_page()
    sign_in(supervisor, server, "duban", password)
    supervisor.wait_for_url(server.url + "/")
    rate_before = supervisor.locator("#completion-rate").inner_text()

    sign_in(owner, server, "zeren1", password)
    owner.wait_for_url(server.url + "/")
    assert MEASURE[:20] in owner.locator("#todo").inner_text()
    card = open_measure(owner, server)
    card.get_by_role("button", name="签收").click()
    assert owner.locator(".alert-success").inner_text().strip() == "已签收。"
    act(measure_card(owner), "填报进展", {"text": "已制定评选方案，正在征集案例。"})
    assert measure_card(owner).locator(".measure-status").inner_text() == "整改中"
    act(measure_card(owner), "申请销号", {"note": "已完成评选。"}, files=[str(evidence)])
    assert measure_card(owner).locator(".measure-status").inner_text() == "待审核"
    assert "评选方案.pdf" in measure_card(owner).locator(".evidence-list").inner_text()

    supervisor.reload()
    assert MEASURE[:20] in supervisor.locator("#todo").inner_text()
    card = open_measure(supervisor, server)
    act(card, "审核", {"note": "请补充获奖案例汇编。"}, choice="退回整改")
    assert measure_card(supervisor).locator(".measure-status").inner_text() == "整改中"

    card = open_measure(owner, server)
    assert "请补充获奖案例汇编。" in card.locator(".timeline").inner_text()
    act(card, "申请销号", {"note": "已补充案例汇编。"}, files=[str(evidence)])
    assert measure_card(owner).locator(".measure-status").inner_text() == "待审核"

    card = open_measure(supervisor, server)
    act(card, "审核", choice="同意销号")
    assert measure_card(supervisor).locator(".measure-status").inner_text() == "已完成"
    supervisor.goto(server.url + "/board")
    assert supervisor.locator("#column-done .card-measure", has_text=MEASURE[:20]).count() == 1
    supervisor.goto(server.url + "/")
    assert supervisor.locator("#completion-rate").inner_text() != rate_before


def test_supervisor_imports_a_ledger_through_the_page(watched, server, tmp_path):
    import ledgers

    page, problems = watched
    password = server.printed(r"演示账号.*的密码：(\S+)")
    workbook = tmp_path / "县委巡察反馈台账.xlsx"
    workbook.write_bytes(ledgers.messy_ledger())
    sign_in(page, server, "duban", password)
    page.wait_for_url(server.url + "/")
    page.click("text=导入")
    page.set_input_files("input[name=file]", str(workbook))
    page.fill("input[name=title]", "浏览器导入的巡察反馈")
    page.select_option("select[name=kind]", "xuncha")
    page.fill("input[name=feedback_on]", "2023-03-15")
    page.click("#upload-form input[type=submit]")
    summary = page.locator("#import-summary")
    assert "将新建问题 3 个、措施 5 项" in summary.inner_text()
    assert "未写年份" in page.locator("#import-warnings").inner_text()
    page.click("#confirm-form input[type=submit]")
    page.wait_for_url(re.compile(r"/board\?batch=\d+$"))
    assert "已导入" in page.locator(".alert-success").inner_text()
    assert page.locator(".card-measure").count() == 5
    assert problems == []


def test_a_large_ledger_is_made_in_the_background_with_its_progress_shown(watched, server):
    page, problems = watched
    password = server.printed(r"演示账号.*的密码：(\S+)")
    sign_in(page, server, "duban", password)
    page.wait_for_url(server.url + "/")
    page.goto(server.url + "/board")
    page.click("#export-ledger")
    assert "将在后台生成" in page.locator("#export-start").inner_text()
    with page.expect_download(timeout=60_000) as download:
        page.click("#start-export input[type=submit]")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert download.value.path().read_bytes()[:2] == b"PK"
    assert page.locator("#export-job").get_attribute("data-state") == "done"
    assert page.locator("#export-bar").get_attribute("aria-valuenow") == "100"
    assert page.locator("#export-message").inner_text().startswith("已完成：共 ")
    assert page.locator("#export-download").is_visible()
    assert problems == []


# Links that download a file or serve one, rather than a page to look at.
NOT_PAGES = re.compile(r"^/(api/|static/|evidence/|ledger/(files|scheduled)/|ledger/export$|imports/(template|marked))")
DEMO_ACCOUNTS = {"supervisor": "duban", "leader": "lingdao", "owner": "zeren1", "viewer": "chakan"}
CHART_PIXELS = """id => {
  const canvas = document.querySelector("#" + id + " canvas");
  if (!canvas) return 0;
  const alpha = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < alpha.length; i += 4) if (alpha[i]) drawn++;
  return drawn;
}"""


def visit_every_page(page, server, limit=60) -> dict:
    """Follow the links from the 工作台, opening one page of each kind (ids aside); their statuses."""
    queue, seen, statuses = ["/"], set(), {}
    while queue and len(statuses) < limit:
        path = queue.pop(0)
        kind = re.sub(r"\d+", "N", urllib.parse.urlsplit(path).path)
        if kind in seen or NOT_PAGES.match(path):
            continue
        seen.add(kind)
        statuses[path] = page.goto(server.url + path).status
        for href in page.eval_on_selector_all("a[href]:not([download])", "links => links.map(a => a.href)"):
            target = urllib.parse.urlsplit(href)
            if f"{target.scheme}://{target.netloc}" == server.url:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return statuses


@pytest.mark.parametrize("role", ["anonymous", "admin", *DEMO_ACCOUNTS])
def test_every_page_keeps_to_the_content_security_policy(watched, server, role):
    page, problems = watched
    page.goto(server.url + "/no/such/page")
    assert "页面不存在" in page.locator("h1").inner_text()
    if role == "anonymous":
        sign_in(page, server, "nobody", "not-the-password")
        assert page.locator("#login-error").inner_text() == "用户名或密码错误。"
        assert problems == []
        return
    if role == "admin":
        username, password = "csp-admin", "Anquan-2024"
        if "csp-admin" not in server.flask("users", "list"):
            server.flask("users", "add", username, "--name", "安全检查员", "--role", "admin", "--password", password)
    else:
        username, password = DEMO_ACCOUNTS[role], server.printed(r"演示账号.*的密码：(\S+)")
    sign_in(page, server, username, password)
    page.wait_for_url(server.url + "/")

    # The dashboard's charts are drawn, and their tooltips (drawn on the canvas) show.
    for chart in ("chart-warnings", "chart-units"):
        assert page.evaluate(CHART_PIXELS, chart) > 1000, chart
        page.locator(f"#{chart}").hover()
    units = len(json.loads(page.locator("#chart-units").get_attribute("data-units")))
    assert page.locator("#chart-units").evaluate("chart => chart.style.height") == f"{80 + 28 * units}px"
    page.click("#user-menu")
    assert page.locator(".dropdown-menu.show").is_visible()

    statuses = visit_every_page(page, server)
    assert len(statuses) >= 10 and all(status < 400 for status in statuses.values()), statuses
    assert problems == []

    # Scripts that act on the pages: select-all on the list, the action panes of a measure.
    page.goto(server.url + "/list")
    if page.locator("[data-check-all]").count():
        page.check("[data-check-all]")
        assert page.locator("input[name=ids]:checked").count() == page.locator("input[name=ids]").count() > 0
    page.goto(server.url + "/board")
    page.locator(".card-measure").first.click()
    page.wait_for_url(re.compile(r"/problems/\d+"))
    toggle = page.locator("button[data-bs-target^='#pane-']").first
    if toggle.count():
        toggle.click()
        page.locator(".collapse.show").first.wait_for()
    assert problems == []


def test_the_ticket_and_the_signoff_form_print_without_the_screens_furniture(watched, server):
    page, problems = watched
    password = server.printed(r"演示账号.*的密码：(\S+)")
    sign_in(page, server, "duban", password)
    page.wait_for_url(server.url + "/")
    page.goto(server.url + "/board")
    page.locator(".card-measure").first.click()
    page.wait_for_url(re.compile(r"/problems/\d+"))
    page.locator("#audit-trail summary").click()  # opened on screen: still collapsed on paper
    page.emulate_media(media="print")
    for hidden in (".navbar", ".actions", "form", "#audit-trail .list-group", "#signoff-link"):
        assert all(not box.is_visible() for box in page.locator(hidden).all()), hidden
    assert page.locator("#problem").is_visible() and page.locator("#audit-trail summary").is_visible()
    page.emulate_media(media="screen")
    page.click("#signoff-link")
    page.wait_for_url(re.compile(r"/problems/\d+/signoff$"))
    page.emulate_media(media="print")
    assert page.locator("#signoff").is_visible() and not page.locator("[data-print]").is_visible()
    assert "问题整改销号审批表" in page.locator("#signoff h1").inner_text()
    assert problems == []
