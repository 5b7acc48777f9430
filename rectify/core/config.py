"""Settings: defaults here, then ``instance/config.py``, then environment variables.

Every setting below may be given in ``instance/config.py`` under its own name or as an
environment variable of the same name; ``DATABASE_URL`` is the environment name of
``SQLALCHEMY_DATABASE_URI``. The README's configuration table mirrors this module.
"""
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rectify.core.files import private_folder

PROJECT_DIR = Path(__file__).resolve().parents[2]


class ConfigError(RuntimeError):
    """A setting has a value Rectify cannot use; the message says which and why."""


class Defaults:
    # Database URL; empty means SQLite at <instance>/rectify.db.
    SQLALCHEMY_DATABASE_URI = ""
    # Empty means: generate once and keep in <instance>/secret_key.
    SECRET_KEY = ""
    RECTIFY_TIMEZONE = "Asia/Shanghai"
    # The office using Rectify (e.g. 中共××县委巡察工作领导小组办公室, 某某局): named in ledgers
    # (填报单位), reports (落款), bulletins and e-mails. Empty leaves a blank to fill in by hand.
    RECTIFY_ORG_NAME = ""
    # Yellow warning when the deadline is this many days away or closer.
    RECTIFY_DUE_SOON_DAYS = 7
    # A unit has this many days from assignment to submit its 整改方案 for a problem listed without
    # measures; the plan's deadline is reminded and escalated like a measure's.
    RECTIFY_PLAN_DUE_DAYS = 15
    # Whether a problem whose measures are all 长期坚持 counts as 已销号 (已整改到位).
    RECTIFY_LONG_TERM_CLOSES_PROBLEM = True
    # Largest request body (uploads included), in megabytes.
    RECTIFY_MAX_REQUEST_MB = 100
    # Largest evidence file (佐证材料), in megabytes.
    RECTIFY_EVIDENCE_MAX_MB = 50
    # Largest workbook accepted for import, in megabytes, and most rows and columns any sheet may span.
    RECTIFY_IMPORT_MAX_MB = 20
    RECTIFY_IMPORT_MAX_ROWS = 50000
    RECTIFY_IMPORT_MAX_COLUMNS = 200
    # Reading a workbook happens in a child process with this much memory (Linux, macOS) and time.
    RECTIFY_IMPORT_MEMORY_MB = 2048
    RECTIFY_IMPORT_TIMEOUT = 60
    # A ledger export of more measures than this is made in the background, its progress shown.
    RECTIFY_LEDGER_BACKGROUND_ROWS = 5000
    # Reminders: days before the deadline for due-soon notices; overdue notices every N days;
    # escalation to the responsible leader (催办) and to all 督办员 (督办) after so many days overdue;
    # unacknowledged after N days; monthly report reminder for long-term measures from this day.
    RECTIFY_REMIND_DUE_DAYS = "7,3,1"
    RECTIFY_REMIND_OVERDUE_EVERY = 1
    RECTIFY_ESCALATE_LEADER_DAYS = 3
    RECTIFY_ESCALATE_SUPERVISORS_DAYS = 7
    RECTIFY_REMIND_UNACKNOWLEDGED_DAYS = 2
    RECTIFY_REMIND_MONTHLY_DAY = 20
    RECTIFY_REMIND_MAX_ITEMS = 50  # per message; a longer list ends with a count
    RECTIFY_REMIND_WORKDAYS_ONLY = True
    # When the daily reminder run starts (local time), and whether this process runs the scheduler
    # ("on" for python app.py; set "off" in web processes when one `flask scheduler run` does it).
    RECTIFY_REMIND_AT = "08:30"
    # Messages leave only within these local hours; outside them they wait in the outbox.
    RECTIFY_SEND_HOURS = "08:00-18:00"
    # A message being sent is claimed for this long; one left by a process that died is sent
    # again after it (a single message takes seconds: SMTP's timeout is 30 s).
    RECTIFY_OUTBOX_LEASE_MINUTES = 5
    RECTIFY_SCHEDULER = "on"
    # The daily backup (local time, or "off"), how many backups to keep, and where; an empty
    # folder means <instance>/backups, a relative one is taken from the instance folder.
    RECTIFY_BACKUP_AT = "02:30"
    RECTIFY_BACKUP_KEEP = 7
    RECTIFY_BACKUP_DIR = ""
    # The address people use to reach Rectify, for links in e-mails; empty: the address the server
    # is reached at from another machine (rectify.reminders.links).
    RECTIFY_BASE_URL = ""
    # E-mail (SMTP); no SMTP_HOST means in-app notices only. SMTP_TLS: none, starttls or ssl.
    SMTP_HOST = ""
    SMTP_PORT = 25
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_FROM = "整改台账系统 <rectify@localhost>"
    SMTP_TLS = "none"
    # Failed logins allowed per client address and user name in a window ("N per [M] second|minute|
    # hour|day"), counted in the database by every process (rectify/accounts/throttle.py).
    RECTIFY_LOGIN_RATE_LIMIT = "10 per 15 minutes"
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust.
    RECTIFY_PROXY_COUNT = 0
    # Mark the session cookie Secure (set when served over HTTPS).
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # The "在本机保持登录" cookie (Flask-Login); its Secure flag follows SESSION_COOKIE_SECURE.
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # Token validity of forms, in seconds (a long form may stay open for a working day).
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    # Form messages come from WTForms' bundled Chinese catalogue (see forms.Form), not Babel.
    WTF_I18N_ENABLED = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # The log file: its folder (empty: <instance>/logs; a relative path is taken from the instance
    # folder), the least severe level kept (DEBUG, INFO, WARNING, ERROR), the size in megabytes at
    # which it rolls over to rectify.log.1, and how many rolled-over files are kept.
    RECTIFY_LOG_DIR = ""
    RECTIFY_LOG_LEVEL = "INFO"
    RECTIFY_LOG_MAX_MB = 10
    RECTIFY_LOG_BACKUPS = 10


# Settings that may come from the environment (all names in Defaults plus these aliases).
ENV_ALIASES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def load(app, test_config=None):
    """Fill ``app.config`` in the documented order, then derive the computed settings."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    apply_environment(app.config, os.environ)
    if test_config:
        app.config.from_mapping(test_config)
    _derive(app)


def apply_environment(config, environ):
    """Override settings from environment variables, converting to each default's type."""
    names = {name: name for name in vars(Defaults) if name.isupper()}
    names.update(ENV_ALIASES)
    for env_name, key in names.items():
        if env_name not in environ:
            continue
        raw = environ[env_name]
        default = getattr(Defaults, key)
        if isinstance(default, bool):
            value = raw.strip().lower()
            if value not in _TRUE | _FALSE:
                raise ConfigError(f"环境变量 {env_name} 应为 true 或 false，实际为 {raw!r}")
            config[key] = value in _TRUE
        elif isinstance(default, int):
            try:
                config[key] = int(raw)
            except ValueError:
                raise ConfigError(f"环境变量 {env_name} 应为整数，实际为 {raw!r}") from None
        elif isinstance(default, str):
            config[key] = raw
        else:
            raise ConfigError(f"{env_name} 不能通过环境变量设置，请写入 instance/config.py")


def _derive(app):
    config = app.config
    instance = private_folder(app.instance_path)
    if not config["SQLALCHEMY_DATABASE_URI"]:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'rectify.db'}"
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
        # Wait for a writer instead of failing at once with "database is locked".
        options.setdefault("connect_args", {"timeout": 30})
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = read_or_create_secret(instance / "secret_key")
    try:
        config["TIMEZONE"] = ZoneInfo(config["RECTIFY_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"RECTIFY_TIMEZONE 不是有效的时区名称：{config['RECTIFY_TIMEZONE']!r}") from None
    for key in ("RECTIFY_DUE_SOON_DAYS", "RECTIFY_MAX_REQUEST_MB", "RECTIFY_PROXY_COUNT"):
        if config[key] < 0:
            raise ConfigError(f"{key} 不能为负数：{config[key]}")
    if config["RECTIFY_PLAN_DUE_DAYS"] < 1:
        raise ConfigError(f"RECTIFY_PLAN_DUE_DAYS 至少为 1（天）：{config['RECTIFY_PLAN_DUE_DAYS']}")
    if config["RECTIFY_OUTBOX_LEASE_MINUTES"] < 1:
        raise ConfigError(f"RECTIFY_OUTBOX_LEASE_MINUTES 至少为 1（分钟）：{config['RECTIFY_OUTBOX_LEASE_MINUTES']}")
    config["LOGIN_RATE"] = _rate(config["RECTIFY_LOGIN_RATE_LIMIT"])
    if config["LOGIN_RATE"] is None:
        raise ConfigError("RECTIFY_LOGIN_RATE_LIMIT 应为“次数 per 时长”，如 10 per 15 minutes、5 per minute，"
                          f"实际为 {config['RECTIFY_LOGIN_RATE_LIMIT']!r}")
    config["MAX_CONTENT_LENGTH"] = config["RECTIFY_MAX_REQUEST_MB"] * 1024 * 1024
    config.setdefault("REMEMBER_COOKIE_SECURE", config["SESSION_COOKIE_SECURE"])
    _check_import_limits(config)
    if config["RECTIFY_SCHEDULER"] not in ("on", "off"):
        raise ConfigError(f"RECTIFY_SCHEDULER 应为 on 或 off，实际为 {config['RECTIFY_SCHEDULER']!r}")
    # Checks raise, never assert: ``python -O`` strips asserts, and a bad time must still stop the start.
    if _clock_time(config["RECTIFY_REMIND_AT"]) is None:
        raise ConfigError(f"RECTIFY_REMIND_AT 应为 时:分，如 08:30，实际为 {config['RECTIFY_REMIND_AT']!r}")
    window = tuple(_clock_time(moment, day_end=True) for moment in str(config["RECTIFY_SEND_HOURS"]).split("-"))
    if len(window) != 2 or None in window or window[0] >= window[1]:
        raise ConfigError(f"RECTIFY_SEND_HOURS 应为 时:分-时:分（开始早于结束），如 08:00-18:00，实际为 {config['RECTIFY_SEND_HOURS']!r}")
    config["SEND_WINDOW"] = window
    config["LOG_FILE"] = instance / (config["RECTIFY_LOG_DIR"] or "logs") / "rectify.log"
    config["RECTIFY_LOG_LEVEL"] = str(config["RECTIFY_LOG_LEVEL"]).strip().upper()
    if config["RECTIFY_LOG_LEVEL"] not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"RECTIFY_LOG_LEVEL 应为 DEBUG、INFO、WARNING 或 ERROR，实际为 {config['RECTIFY_LOG_LEVEL']!r}")
    for key in ("RECTIFY_LOG_MAX_MB", "RECTIFY_LOG_BACKUPS"):  # 0 backups would mean: never roll over
        if config[key] < 1:
            raise ConfigError(f"{key} 至少为 1：{config[key]}")
    if config["RECTIFY_BACKUP_AT"] != "off" and _clock_time(config["RECTIFY_BACKUP_AT"]) is None:
        raise ConfigError(f"RECTIFY_BACKUP_AT 应为 时:分（如 02:30）或 off，实际为 {config['RECTIFY_BACKUP_AT']!r}")
    if config["RECTIFY_BACKUP_KEEP"] < 1:
        raise ConfigError(f"RECTIFY_BACKUP_KEEP 应为不小于 1 的整数，实际为 {config['RECTIFY_BACKUP_KEEP']}")
    if config["SMTP_TLS"] not in ("none", "starttls", "ssl"):
        raise ConfigError(f"SMTP_TLS 应为 none、starttls 或 ssl，实际为 {config['SMTP_TLS']!r}")
    try:
        [int(day) for day in str(config["RECTIFY_REMIND_DUE_DAYS"]).replace("，", ",").split(",") if day.strip()]
    except ValueError:
        raise ConfigError(f"RECTIFY_REMIND_DUE_DAYS 应为逗号分隔的天数，如 7,3,1，实际为 {config['RECTIFY_REMIND_DUE_DAYS']!r}") from None


_RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


def _rate(text) -> tuple[int, timedelta] | None:
    """(count, window) of a rate written as the ``limits`` library writes one (``10 per 15 minutes``,
    ``5 per minute``, ``20/hour``); None if the text is not one."""
    match = _RATE.match(str(text))
    if not match:
        return None
    count, units = int(match[1]), int(match[2] or 1)
    return (count, timedelta(seconds=units * _RATE_UNITS[match[3].lower()])) if count and units else None


def _clock_time(text, day_end: bool = False) -> tuple[int, int] | None:
    """(hour, minute) of a local time written ``HH:MM`` (``24:00`` too if ``day_end``), or None."""
    parts = [part.strip() for part in str(text).split(":")]
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() and len(part) <= 2 for part in parts):
        return None
    moment = (int(parts[0]), int(parts[1]))
    if day_end and moment == (24, 0):
        return moment
    return moment if moment[0] < 24 and moment[1] < 60 else None
# Each import limit's allowed range: Excel's own sheet size bounds the rows and columns; below
# 64 MB the reader process cannot even start.
IMPORT_LIMITS = {
    "RECTIFY_IMPORT_MAX_MB": (1, None, "MB"),
    "RECTIFY_IMPORT_MAX_ROWS": (1, 1048576, "行"),
    "RECTIFY_IMPORT_MAX_COLUMNS": (1, 16384, "列"),
    "RECTIFY_IMPORT_MEMORY_MB": (64, None, "MB"),
    "RECTIFY_IMPORT_TIMEOUT": (1, None, "秒"),
}


def _check_import_limits(config):
    for key, (low, high, unit) in IMPORT_LIMITS.items():
        value = config[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (high and value > high):
            allowed = f" {low} 至 {high} 之间的整数" if high else f"不小于 {low} 的整数"
            raise ConfigError(f"{key} 应为{allowed}（{unit}），实际为 {value!r}")


def read_or_create_secret(path: Path) -> str:
    """Return the key kept in ``path``, creating it once; safe when processes start together."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if not key:
            raise ConfigError(f"密钥文件为空：{path}（删除后重启即可重新生成）") from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key
