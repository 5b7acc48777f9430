"""`python app.py` as a newcomer runs it: migrate, create the admin, serve, on SQLite and PostgreSQL."""
import os
import re

import pytest

from conftest import postgres_schema
from live_server import Browserless, LiveServer

PASSWORD_LINE = r"初始密码：(\S+)"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request):
    if request.param == "sqlite":
        yield None  # the default: SQLite in the instance folder
    else:
        with postgres_schema() as url:
            yield url


def test_first_start_creates_an_admin_who_logs_in_with_the_printed_password(tmp_path, database_url):
    with LiveServer(tmp_path / "instance", "--demo", database_url=database_url) as server:
        password = server.printed(PASSWORD_LINE)
        assert "用户名：admin" in server.output and "演示账号" in server.output
        assert "定时任务已启动：每日 08:30 发送提醒" in server.output
        browser = Browserless(server.url)
        status, headers, page = browser.get("/")
        assert status == 302 and "/login" in headers["Location"]
        status, _, page = browser.submit("/login", {"username": "admin", "password": "wrong-password"})
        assert status == 401 and "用户名或密码错误" in page
        status, headers, _ = browser.submit("/login", {"username": "admin", "password": password})
        assert status == 302
        assert browser.get("/")[1]["Location"] == "/account/password"
        status, _, _ = browser.submit(
            "/account/password", {"current": password, "new": "Xinmima2024", "confirm": "Xinmima2024"}
        )
        assert status == 302
        status, _, page = browser.get("/")
        assert status == 200 and "工作台" in page
        assert re.search(r'data-count="total">20<', page)
        assert browser.get("/no-such-page")[0] == 404

    with LiveServer(tmp_path / "instance", "--demo", database_url=database_url) as again:
        assert "初始密码" not in again.output
        assert "此前已载入" in again.output
        browser = Browserless(again.url)
        assert browser.submit("/login", {"username": "admin", "password": "Xinmima2024"})[0] == 302
    if database_url is None:
        assert (tmp_path / "instance" / "rectify.db").exists()
        assert (tmp_path / "instance" / "secret_key").exists()
    if os.name != "nt":  # only the owner may read what the server wrote (see test_instance_files.py)
        exposed = [p.name for p in [tmp_path / "instance", *(tmp_path / "instance").rglob("*")] if p.stat().st_mode & 0o077]
        assert exposed == []
