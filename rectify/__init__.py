"""Rectify (整改台账系统): tracking the rectification of inspection findings."""
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from rectify import config, logs
from rectify.extensions import csrf, db, limiter, login_manager, migrate
from rectify.numbers import DATABASE_MAX

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(test_config=None):
    """Build the application; nothing here touches the database or starts a scheduler."""
    app = Flask(
        __name__,
        instance_path=_instance_path(test_config),
        instance_relative_config=True,
        template_folder=str(config.PROJECT_DIR / "templates"),
        static_folder=str(config.PROJECT_DIR / "static"),
    )
    config.load(app, test_config)
    logs.init_app(app)
    app.url_map.converters["int"] = DatabaseId
    _bind_extensions(app)
    _register_blueprints(app)

    from rectify import cli, errors, revision, security, templating

    errors.register(app)
    security.init_app(app)
    revision.init_app(app)
    from rectify.ledger import background

    background.init_app(app)
    templating.register(app)
    cli.register(app)
    return app


class DatabaseId(IntegerConverter):
    """``<int:…>`` in routes: ids the database can hold; a larger number matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", DATABASE_MAX)
        super().__init__(url_map, *args, **kwargs)


def _instance_path(test_config) -> str:
    chosen = (test_config or {}).get("RECTIFY_INSTANCE") or os.environ.get("RECTIFY_INSTANCE")
    return str(Path(chosen or config.PROJECT_DIR / "instance").resolve())


def _bind_extensions(app):
    if app.config["RECTIFY_PROXY_COUNT"]:
        hops = app.config["RECTIFY_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)


def _register_blueprints(app):
    from rectify import admin, api, auth, batches, board, imports, ledgers, main, notifications, tickets

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(tickets.bp)
    app.register_blueprint(batches.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(ledgers.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
