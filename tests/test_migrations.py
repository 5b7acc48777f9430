"""The migrations build exactly the schema the models describe, and can be undone."""
import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rectify.core.extensions import db


def _differences():
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def test_models_and_migrations_agree(app):
    with app.app_context():
        assert _differences() == []


def test_downgrade_to_nothing_and_back(app):
    with app.app_context():
        flask_migrate.downgrade(revision="base")
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
        flask_migrate.upgrade()
        assert _differences() == []
