"""Logs kept in a rotating file under the instance folder, every record with its request's id.

The ``rectify`` logger (``app.logger``) and its children (``rectify.scheduler.process``, ...) write at
RECTIFY_LOG_LEVEL and above to ``<instance>/logs/rectify.log`` (RECTIFY_LOG_DIR elsewhere),
mode 0600 like the rest of the instance, rolled over at RECTIFY_LOG_MAX_MB with
RECTIFY_LOG_BACKUPS old files kept; Flask's own handler goes on writing to stderr.

Every request has an id: the X-Request-Id that a proxy or the client sent if it is short and
plain (at most 64 letters, digits, ``.``, ``_`` or ``-``: nothing that could forge a log line),
else a new one. It is returned in the X-Request-Id response header, written into every record
logged while the request runs and shown on the 500 page, so that the number a user reads out
finds the traceback.

``app.logger`` is one logger per process, shared by every app the process creates (the test
suite creates hundreds): it holds one log file at a time. An app that logs to another file
replaces the handler (the old one is closed); one that logs to the same file keeps it. A process
serving one app, as every deployment does, logs all of it to that app's file.
"""
import logging
import re
import secrets
from logging.handlers import RotatingFileHandler
from pathlib import Path

from flask import has_request_context, request

from rectify.core.files import private_folder, private_opener

HEADER = "X-Request-Id"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ENVIRON_KEY = "rectify.request_id"


def init_app(app) -> None:
    logger = app.logger  # first, so that Flask adds its stderr handler exactly as it would without a file
    logger.setLevel(app.config["RECTIFY_LOG_LEVEL"])
    _use_file(logger, Path(app.config["LOG_FILE"]), app.config["RECTIFY_LOG_MAX_MB"] * 1024 * 1024,
              app.config["RECTIFY_LOG_BACKUPS"])
    app.after_request(_send_request_id)
    app.jinja_env.globals["request_id"] = request_id


def request_id() -> str:
    """The id of the request being served ("-" outside one), chosen on first use."""
    if not has_request_context():
        return "-"
    environ = request.environ
    if _ENVIRON_KEY not in environ:
        sent = request.headers.get(HEADER, "")
        environ[_ENVIRON_KEY] = sent if _PLAIN_ID.fullmatch(sent) else secrets.token_hex(6)
    return environ[_ENVIRON_KEY]


def _send_request_id(response):
    response.headers[HEADER] = request_id()
    return response


class _RequestId(logging.Filter):
    def filter(self, record):
        record.request_id = request_id()
        return True


class LogFile(RotatingFileHandler):
    """A rotating log file that only its owner may read; so are the files it rolls over to."""

    def __init__(self, path: Path, max_bytes: int, backups: int):
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True)
        self.settings = (str(path), max_bytes, backups)
        self.setFormatter(logging.Formatter(FORMAT))
        self.addFilter(_RequestId())

    def _open(self):
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors, opener=private_opener)


def _use_file(logger: logging.Logger, path: Path, max_bytes: int, backups: int) -> None:
    for handler in [h for h in logger.handlers if isinstance(h, LogFile)]:
        if handler.settings == (str(path), max_bytes, backups):
            return
        logger.removeHandler(handler)
        handler.close()
    private_folder(path.parent)
    logger.addHandler(LogFile(path, max_bytes, backups))
