"""The log file: where it is, what it keeps, and the request id that ties a 500 page to its traceback."""
import logging
import os
import re
from pathlib import Path

import pytest
from flask import current_app

from rectify import create_app
from rectify.core.config import ConfigError
from rectify.core.logs import LogFile
from rectify.models import Role

GENERATED_ID = re.compile(r"[0-9a-f]{12}")


def log_text(app) -> str:
    return (Path(app.instance_path) / "logs" / "rectify.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_a_500_page_shows_the_id_that_finds_its_traceback_in_the_log(app, client, login_as):
    def broken():
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", "broken", broken)
    login_as(Role.OWNER)
    response = client.get("/broken")
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert GENERATED_ID.fullmatch(request_id)
    page = response.get_data(as_text=True)
    assert f"错误编号：<code>{request_id}</code>，请将此编号告知管理员" in page
    assert "secret internals" not in page and "Traceback" not in page

    log = log_text(app)
    entry = log[log.index(f"[{request_id}]"):]
    assert entry.startswith(f"[{request_id}] Unhandled error\nTraceback (most recent call last):")
    assert "RuntimeError: secret internals" in entry
    path = Path(app.instance_path) / "logs" / "rectify.log"
    if os.name != "nt":
        assert path.stat().st_mode & 0o077 == 0 and path.parent.stat().st_mode & 0o077 == 0


def test_other_error_pages_show_no_id(client, login_as):
    login_as(Role.OWNER)
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "X-Request-Id" in response.headers
    assert "错误编号" not in response.get_data(as_text=True)


@pytest.mark.parametrize("sent, kept", [
    ("3f9a1c0b-7e2d-4c55-9d7e-0a1b2c3d4e5f", True),
    ("nginx.req_42", True),
    ("x" * 65, False),
    ("两个字", False),
    ("a b", False),
    ("id] ERROR forged line", False),
    ("", False),
])
def test_an_incoming_request_id_is_kept_only_when_short_and_plain(client, sent, kept):
    response = client.get("/login", headers={"X-Request-Id": sent} if sent else {})
    answered = response.headers["X-Request-Id"]
    assert (answered == sent) is kept
    if not kept:
        assert GENERATED_ID.fullmatch(answered)


def test_every_request_gets_its_own_id(client):
    assert len({client.get("/login").headers["X-Request-Id"] for _ in range(5)}) == 5


def test_every_record_during_a_request_carries_its_id(app, client, login_as):
    def noisy():
        current_app.logger.warning("from the app logger")
        logging.getLogger("rectify.scheduler.process").warning("from a child logger")
        return "ok"

    app.add_url_rule("/noisy", "noisy", noisy)
    login_as(Role.OWNER)
    request_id = client.get("/noisy", headers={"X-Request-Id": "trace-7"}).headers["X-Request-Id"]
    assert request_id == "trace-7"
    with app.app_context():
        current_app.logger.warning("outside any request")
    lines = log_text(app).splitlines()
    assert [line.split(" ", 3)[3] for line in lines] == [
        "rectify [trace-7] from the app logger",
        "rectify.scheduler.process [trace-7] from a child logger",
        "rectify [-] outside any request",
    ]


def test_the_log_rolls_over_at_its_size_and_keeps_its_backups(tmp_path):
    app = create_app({"RECTIFY_INSTANCE": str(tmp_path), "SECRET_KEY": "x",
                      "RECTIFY_LOG_MAX_MB": 1, "RECTIFY_LOG_BACKUPS": 2})
    line = "整改" * 500
    with app.app_context():
        for _ in range(1200):  # about 3.6 MB
            app.logger.info(line)
    names = sorted(path.name for path in (tmp_path / "logs").iterdir())
    assert names == ["rectify.log", "rectify.log.1", "rectify.log.2"]
    for path in (tmp_path / "logs").iterdir():
        assert path.stat().st_size <= 1024 * 1024 + 2 * len(line.encode())  # rolls over before the record that does not fit (counted in characters)
        if os.name != "nt":
            assert path.stat().st_mode & 0o077 == 0


def test_the_level_setting_filters_records(tmp_path):
    app = create_app({"RECTIFY_INSTANCE": str(tmp_path), "SECRET_KEY": "x", "RECTIFY_LOG_LEVEL": "warning"})
    app.logger.info("routine")
    app.logger.warning("worth keeping")
    text = (tmp_path / "logs" / "rectify.log").read_text(encoding="utf-8")
    assert "worth keeping" in text and "routine" not in text


def test_apps_in_one_process_share_one_log_file_handler_at_a_time(tmp_path):
    logger = logging.getLogger("rectify")
    apps = [create_app({"RECTIFY_INSTANCE": str(tmp_path / str(n)), "SECRET_KEY": "x"}) for n in range(20)]
    [handler] = [h for h in logger.handlers if isinstance(h, LogFile)]
    assert handler.baseFilename == str(tmp_path / "19" / "logs" / "rectify.log")
    create_app({"RECTIFY_INSTANCE": str(tmp_path / "19"), "SECRET_KEY": "x"})  # the same file: kept
    assert [h for h in logger.handlers if isinstance(h, LogFile)] == [handler]
    apps[0].logger.error("the last app's file")
    assert "the last app's file" in (tmp_path / "19" / "logs" / "rectify.log").read_text(encoding="utf-8")
    assert not (tmp_path / "0" / "logs" / "rectify.log").exists()


def test_the_log_folder_setting(tmp_path):
    relative = create_app({"RECTIFY_INSTANCE": str(tmp_path / "a"), "SECRET_KEY": "x", "RECTIFY_LOG_DIR": "日志"})
    assert relative.config["LOG_FILE"] == tmp_path / "a" / "日志" / "rectify.log"
    elsewhere = tmp_path / "var" / "log" / "rectify"
    absolute = create_app({"RECTIFY_INSTANCE": str(tmp_path / "b"), "SECRET_KEY": "x", "RECTIFY_LOG_DIR": str(elsewhere)})
    assert absolute.config["LOG_FILE"] == elsewhere / "rectify.log" and elsewhere.is_dir()


@pytest.mark.parametrize("name, value, message", [
    ("RECTIFY_LOG_LEVEL", "LOUD", "RECTIFY_LOG_LEVEL 应为"),
    ("RECTIFY_LOG_MAX_MB", 0, "RECTIFY_LOG_MAX_MB 至少为 1"),
    ("RECTIFY_LOG_BACKUPS", 0, "RECTIFY_LOG_BACKUPS 至少为 1"),
])
def test_bad_log_settings_are_named(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"RECTIFY_INSTANCE": str(tmp_path), "SECRET_KEY": "x", name: value})
