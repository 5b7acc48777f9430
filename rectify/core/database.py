"""The schema: brought up to date by the migrations (rectify/migrations), at start and by ``flask db upgrade``.

Alembic and Flask-Migrate take a tenth of a second to import, more than the rest of a command's
start-up: they load only when a migration runs or a ``flask db`` command is given. Every start
first compares the revision stored in the database with the newest migration's, named by its
file (``0018_plans.py`` holds revision ``0018``, checked by tests/test_migrations.py).
"""
import logging
import sys
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

QUIET = "rectify.quiet_migrations"  # app.extensions key: rectify/migrations/env.py keeps Alembic's log to itself
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def head_revision() -> str:
    """The newest migration's revision, from the file names alone."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))


def stored_revision(engine) -> str | None:
    """The revision the database is at; None when it has no schema yet (or several heads)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        stored = connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
    return stored[0] if len(stored) == 1 else None


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
    from rectify.core.extensions import db

    if stored_revision(db.engine) == head_revision():
        return
    import flask_migrate

    bind_migrations(current_app)
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


def bind_migrations(app):
    """Bind Flask-Migrate to ``app`` (it then holds the real ``db`` command); return its state."""
    from flask_migrate import Migrate

    from rectify.core.extensions import db

    state = app.extensions.get("migrate")
    if not isinstance(state, PendingMigrations):
        return state
    Migrate().init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    return app.extensions["migrate"]


class PendingMigrations:
    """``app.extensions["migrate"]`` until Flask-Migrate is needed: whoever reads it (a
    ``flask_migrate.upgrade()`` call, the migrations' env.py) binds Flask-Migrate first."""

    def __init__(self, app):
        self.app = app

    def __getattr__(self, name):
        return getattr(bind_migrations(self.app), name)
