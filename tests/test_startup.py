"""Start-up stays light: making the app, running a command, migrating a database already at the
head and serving a page load none of the heavy libraries, which load where they are used."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each costs tens of milliseconds at every start; each is needed by a few pages or commands only.
HEAVY = ["openpyxl", "xlsxwriter", "python_calamine", "docx", "lxml", "apscheduler", "alembic", "flask_migrate",
         "chinese_calendar", "psycopg", "waitress", "pandas", "numpy", "PIL"]

SCRIPT = """
import json, sys
import app
from rectify.serve import prepare
from sqlalchemy.orm import configure_mappers

configure_mappers()
prepare(app.app)  # the migration check at every start: the database is at the head
result = app.app.test_cli_runner().invoke(args=["users", "list"])
assert result.exit_code == 0, result.output
assert app.app.test_client().get("/login").status_code == 200
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded_after(script: str, instance: Path) -> set[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECTIFY_") and k != "DATABASE_URL"},
           "RECTIFY_INSTANCE": str(instance)}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_starting_loads_no_heavy_library(tmp_path, sqlite_template):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(sqlite_template, instance / "rectify.db")
    loaded = loaded_after(SCRIPT, instance)
    assert {"flask", "sqlalchemy", "rectify"} <= loaded
    assert sorted(loaded & set(HEAVY)) == []


def test_a_command_that_needs_a_library_still_finds_it(tmp_path, sqlite_template):
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(sqlite_template, instance / "rectify.db")
    script = SCRIPT.replace('["users", "list"]', f'["ledger", "export", {str(tmp_path / "台账.xlsx")!r}]')
    assert "xlsxwriter" in loaded_after(script, instance)
    assert (tmp_path / "台账.xlsx").stat().st_size > 0


def test_making_the_app_leaves_the_mappers_for_the_first_query(tmp_path):
    """Naming a relationship at import (``joinedload(Measure.owners)`` in a module constant) configures
    every mapper, some 40 ms of each start, also for a command or page that never needs them."""
    script = ("import json, app\nfrom rectify.models import Measure\n"
              "print(json.dumps([Measure.__mapper__.configured]))")
    assert loaded_after(script, tmp_path) == {False}
