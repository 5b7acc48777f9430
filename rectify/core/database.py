"""The schema: brought up to date by the migrations (rectify/migrations), at start and by ``flask db upgrade``."""
import logging
import sys

import flask_migrate
from flask import current_app

QUIET = "rectify.quiet_migrations"  # app.extensions key: rectify/migrations/env.py keeps Alembic's log to itself


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(f"{record.levelname} [{record.name}] {record.getMessage()}")


def upgrade_database(quiet: bool = False) -> None:
    """Apply every pending migration (``flask db upgrade``); call inside an app context.

    ``quiet`` (``python app.py``): Alembic's lines are kept back and printed only if a migration fails,
    so a start-up speaks Chinese from its first line."""
    if not quiet:
        flask_migrate.upgrade()
        return
    alembic = logging.getLogger("alembic")
    kept, level, propagate = _Kept(), alembic.level, alembic.propagate
    alembic.addHandler(kept)
    alembic.setLevel(logging.INFO)
    alembic.propagate = False
    current_app.extensions[QUIET] = True
    try:
        flask_migrate.upgrade()
    except BaseException:
        print("数据库升级失败，迁移记录如下：", *kept.lines, sep="\n", file=sys.stderr, flush=True)
        raise
    finally:
        current_app.extensions.pop(QUIET, None)
        alembic.removeHandler(kept)
        alembic.setLevel(level)
        alembic.propagate = propagate
