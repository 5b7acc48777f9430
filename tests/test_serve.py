"""`python app.py` as a newcomer runs it: migrate, create the admin, serve, on SQLite and PostgreSQL."""
import os
import re

import pytest

from conftest import make_app, postgres_schema
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
        assert server.lines[0] == "整改台账系统正在启动……" and "alembic" not in server.output  # migrations quiet
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


@pytest.fixture
def bare_app(tmp_path):
    """An app on an empty SQLite file (this module's database_url is an unmigrated schema)."""
    return make_app(f"sqlite:///{tmp_path / 'bare.db'}", tmp_path / "instance")


def test_serving_the_office_network_prints_its_addresses_and_asks_for_the_base_url(bare_app, monkeypatch):
    from rectify import serve

    app = bare_app
    monkeypatch.setattr(serve, "lan_addresses", lambda: ["192.168.1.23"])
    lines = serve.address_lines(app, "0.0.0.0", 5000)
    assert lines[0] == "Rectify 已启动：http://127.0.0.1:5000/ （按 Ctrl+C 停止）"
    assert lines[1] == "局域网内的其他电脑请访问：http://192.168.1.23:5000/"
    assert "RECTIFY_BASE_URL（如 http://192.168.1.23:5000）" in lines[2]
    app.config["RECTIFY_BASE_URL"] = "http://rectify.example"
    assert len(serve.address_lines(app, "0.0.0.0", 5000)) == 2
    assert serve.address_lines(app, "127.0.0.1", 5000) == ["Rectify 已启动：http://127.0.0.1:5000/ （按 Ctrl+C 停止）"]


def test_a_failing_migration_prints_what_alembic_said(bare_app, capsys, monkeypatch):
    import logging

    import flask_migrate

    from rectify.core.database import upgrade_database

    def failing():
        logging.getLogger("alembic.runtime.migration").info("Running upgrade 0018 -> 0020, something")
        raise RuntimeError("disk full")

    monkeypatch.setattr(flask_migrate, "upgrade", failing)
    with bare_app.app_context(), pytest.raises(RuntimeError):
        upgrade_database(quiet=True)
    printed = capsys.readouterr().err
    assert "数据库升级失败" in printed and "Running upgrade 0018 -> 0020, something" in printed
