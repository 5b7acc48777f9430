"""Rectify (整改台账系统): tracking the rectification of inspection findings."""
import os
from pathlib import Path

from flask import Flask

from rectify import (
    accounts,
    api,
    backup,
    demo,
    imports,
    ledgers,
    plans,
    reminders,
    reports,
    scheduler,
    tracking,
)
from rectify.core import config, errors, extensions, logs, security, templating

# Each feature registers its blueprints, commands and template globals; the order is the menu's.
FEATURES = (accounts, tracking, plans, imports, ledgers, reports, reminders, scheduler, backup, demo, api)


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
    extensions.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    for feature in FEATURES:
        feature.init_app(app)
    return app


def _instance_path(test_config) -> str:
    chosen = (test_config or {}).get("RECTIFY_INSTANCE") or os.environ.get("RECTIFY_INSTANCE")
    return str(Path(chosen or config.PROJECT_DIR / "instance").resolve())
