"""The web UI in a real browser: Playwright driving Debian's chromium against `python app.py`."""
import os
import re
import shutil
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
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("browser") / "instance", "--demo") as live:
        yield live


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    yield context.new_page()
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
    assert page.locator(".alert-success").inner_text().strip() == "密码已修改。"
    assert page.locator('[data-count="total"]').inner_text() == "20"
    assert int(page.locator('[data-count="red"]').inner_text()) >= 1
    assert page.locator("#measures tbody tr").count() == 20
    screenshots = os.environ.get("RECTIFY_SCREENSHOT_DIR")
    if screenshots:
        Path(screenshots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(screenshots) / "board.png"), full_page=True)
    page.click("#user-menu")
    page.click("text=退出登录")
    page.wait_for_url(re.compile(r"/login$"))


def test_owner_sees_only_their_own_work(page, server):
    password = server.printed(r"演示账号.*的密码：(\S+)")
    sign_in(page, server, "zeren2", password)
    page.wait_for_url(server.url + "/")
    rows = page.locator("#measures tbody tr")
    assert rows.count() == 3
    for text in rows.all_inner_texts():
        assert "招商服务局" in text
    assert page.locator("text=用户管理").count() == 0
    page.goto(server.url + "/admin/users")
    assert "没有权限" in page.locator("h1").inner_text()
