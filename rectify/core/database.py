"""The schema: brought up to date by the migrations (rectify/migrations), at start and by ``flask db upgrade``."""
import flask_migrate


def upgrade_database() -> None:
    """Apply every pending migration (``flask db upgrade``); call inside an app context."""
    flask_migrate.upgrade()
