"""The migrations build exactly the schema the models describe, and can be undone."""
from pathlib import Path

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from rectify.core.database import MIGRATIONS_DIR, head_revision, stored_revision, upgrade_database
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


def test_the_newest_file_names_alembics_head():
    """The start-up check reads the head revision from the file names, without alembic."""
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_"), script.path
    assert head_revision() == scripts.get_current_head()


def test_a_database_at_the_head_is_left_alone(app):
    with app.app_context():
        assert stored_revision(db.engine) == head_revision()
        flask_migrate.downgrade(revision="0016")
        assert stored_revision(db.engine) == "0016"
        upgrade_database()
        assert stored_revision(db.engine) == head_revision()
        assert _differences() == []
