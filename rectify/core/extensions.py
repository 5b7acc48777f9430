"""Extension objects, created unbound and bound to an app in the factory (``init_app``)."""
import os
import sqlite3

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from werkzeug.middleware.proxy_fix import ProxyFix

from rectify.core.commands import LazyGroup
from rectify.core.database import PendingMigrations, bind_migrations
from rectify.core.files import create_private_file

# Named constraints let Alembic alter them, on SQLite too (batch mode).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()


@event.listens_for(Engine, "do_connect")
def _sqlite_private_file(dialect, _record, cargs, _cparams):
    """SQLite: create the database file 0o600 before SQLite does; its -wal and -shm take that mode."""
    if dialect.name == "sqlite" and cargs and isinstance(cargs[0], str):
        name = cargs[0]
        if name and name != ":memory:" and not name.startswith("file:") and os.path.isdir(os.path.dirname(name) or "."):
            create_private_file(name)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: enforce foreign keys and use WAL so readers never block the writer."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA cache_size = -32000")  # 32 MB per connection, for whole-table counts
        cursor.close()


def init_app(app):
    """Bind the extensions to ``app``; trust ``RECTIFY_PROXY_COUNT`` proxies' X-Forwarded-* headers."""
    if app.config["RECTIFY_PROXY_COUNT"]:
        hops = app.config["RECTIFY_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    db.init_app(app)
    # Flask-Migrate (and alembic) load when a migration runs or a ``flask db`` command is given.
    app.extensions["migrate"] = PendingMigrations(app)
    app.cli.add_command(LazyGroup("db", lambda: _migrate_commands(app), help="Perform database migrations."))
    login_manager.init_app(app)
    csrf.init_app(app)


def _migrate_commands(app):
    from flask_migrate.cli import db as migrate_cli

    bind_migrations(app)
    return migrate_cli
