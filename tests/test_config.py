"""Settings: defaults, then instance/config.py, then the environment."""
import os
import subprocess
import sys

import pytest

from rectify import create_app
from rectify.core.config import PROJECT_DIR, ConfigError


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("RECTIFY_INSTANCE", "DATABASE_URL", "SECRET_KEY", "RECTIFY_TIMEZONE", "RECTIFY_DUE_SOON_DAYS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_use_sqlite_and_a_kept_secret_in_the_instance_folder(tmp_path, clean_env):
    clean_env.setenv("RECTIFY_INSTANCE", str(tmp_path / "inst"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "inst")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'rectify.db'}"
    assert app.config["RECTIFY_TIMEZONE"] == "Asia/Shanghai"
    secret = app.config["SECRET_KEY"]
    assert len(secret) == 64
    assert (tmp_path / "inst" / "secret_key").read_text() == secret
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app().config["SECRET_KEY"] == secret  # kept, not regenerated


def test_environment_overrides_instance_config(tmp_path, clean_env):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text(
        "RECTIFY_DUE_SOON_DAYS = 10\nRECTIFY_TIMEZONE = 'Asia/Urumqi'\nSECRET_KEY = 'from-file'\n",
        encoding="utf-8",
    )
    clean_env.setenv("RECTIFY_INSTANCE", str(instance))
    clean_env.setenv("RECTIFY_DUE_SOON_DAYS", "3")
    clean_env.setenv("DATABASE_URL", "postgresql+psycopg://u@db.example/rectify")
    clean_env.setenv("RECTIFY_LONG_TERM_CLOSES_PROBLEM", "false")
    app = create_app()
    assert app.config["RECTIFY_DUE_SOON_DAYS"] == 3
    assert app.config["RECTIFY_TIMEZONE"] == "Asia/Urumqi"
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/rectify"
    assert app.config["RECTIFY_LONG_TERM_CLOSES_PROBLEM"] is False
    assert not (instance / "secret_key").exists()


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("RECTIFY_DUE_SOON_DAYS", "七天", "应为整数"),
        ("RECTIFY_LONG_TERM_CLOSES_PROBLEM", "maybe", "应为 true 或 false"),
        ("RECTIFY_TIMEZONE", "Beijing", "不是有效的时区"),
        ("RECTIFY_MAX_REQUEST_MB", "-1", "不能为负数"),
        ("RECTIFY_IMPORT_MAX_COLUMNS", "20000", "RECTIFY_IMPORT_MAX_COLUMNS 应为 1 至 16384 之间的整数（列），实际为 20000"),
        ("RECTIFY_IMPORT_MAX_ROWS", "0", "RECTIFY_IMPORT_MAX_ROWS 应为 1 至 1048576 之间的整数（行）"),
        ("RECTIFY_IMPORT_MEMORY_MB", "32", "RECTIFY_IMPORT_MEMORY_MB 应为不小于 64 的整数（MB），实际为 32"),
        ("RECTIFY_IMPORT_TIMEOUT", "0", "RECTIFY_IMPORT_TIMEOUT 应为不小于 1 的整数（秒）"),
        ("RECTIFY_LOGIN_RATE_LIMIT", "10 per fortnight", "RECTIFY_LOGIN_RATE_LIMIT 应为“次数 per 时长”"),
        ("RECTIFY_LOGIN_RATE_LIMIT", "0 per minute", "RECTIFY_LOGIN_RATE_LIMIT"),
        ("RECTIFY_LOGIN_RATE_LIMIT", "10 per 0 minutes", "RECTIFY_LOGIN_RATE_LIMIT"),
        ("RECTIFY_LOGIN_RATE_LIMIT", "10 per 00 minutes", "RECTIFY_LOGIN_RATE_LIMIT"),
    ],
)
def test_bad_settings_are_named(tmp_path, clean_env, name, value, message):
    clean_env.setenv("RECTIFY_INSTANCE", str(tmp_path))
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_empty_secret_file_is_an_error(tmp_path, clean_env):
    (tmp_path / "secret_key").write_text("")
    clean_env.setenv("RECTIFY_INSTANCE", str(tmp_path))
    with pytest.raises(ConfigError, match="密钥文件为空"):
        create_app()


def test_request_size_limit_follows_the_setting(tmp_path, clean_env):
    app = create_app({"RECTIFY_INSTANCE": str(tmp_path), "RECTIFY_MAX_REQUEST_MB": 2})
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024


BAD_TIMES = [
    ("RECTIFY_REMIND_AT", "25:00"),
    ("RECTIFY_REMIND_AT", "8.30"),
    ("RECTIFY_REMIND_AT", "08:30:00"),
    ("RECTIFY_SEND_HOURS", "08:00"),
    ("RECTIFY_SEND_HOURS", "08:00-18:00-20:00"),
    ("RECTIFY_SEND_HOURS", "18:00-08:00"),
    ("RECTIFY_SEND_HOURS", "08:00-18:75"),
]


@pytest.mark.parametrize("name, value", BAD_TIMES)
def test_bad_times_are_refused(tmp_path, clean_env, name, value):
    clean_env.setenv("RECTIFY_INSTANCE", str(tmp_path))
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        create_app()


@pytest.mark.parametrize("value, window", [("08:00-18:00", ((8, 0), (18, 0))), ("00:00-24:00", ((0, 0), (24, 0))),
                                           (" 7:30 - 19:05 ", ((7, 30), (19, 5)))])
def test_send_hours_are_read(tmp_path, clean_env, value, window):
    app = create_app({"RECTIFY_INSTANCE": str(tmp_path), "RECTIFY_SEND_HOURS": value})
    assert app.config["SEND_WINDOW"] == window


def test_bad_times_are_refused_under_python_optimised(tmp_path, clean_env):
    """``python -O`` strips assert statements: the checks must not be asserts."""
    script = "\n".join([
        "import os, sys",
        "from rectify import create_app",
        "from rectify.core.config import ConfigError",
        "assert not __debug__, 'not optimised'",
        "for name, value in " + repr(BAD_TIMES) + ":",
        "    os.environ[name] = value",
        "    try:",
        "        create_app()",
        "    except ConfigError:",
        "        print('refused', name, value)",
        "    else:",
        "        print('accepted', name, value)",
        "    del os.environ[name]",
    ])
    env = {**os.environ, "RECTIFY_INSTANCE": str(tmp_path)}
    env.pop("RECTIFY_REMIND_AT", None)
    env.pop("RECTIFY_SEND_HOURS", None)
    result = subprocess.run([sys.executable, "-O", "-c", script], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"refused {name} {value}" for name, value in BAD_TIMES]
