"""What Rectify writes under the instance folder is its owner's alone: files 600, folders 700.

The instance holds the database (SQLite, with its -wal and -shm), evidence, exported ledgers,
uploads kept between preview and confirmation, and the logs. The process's umask is set to the
usual 022 here, so that only the modes Rectify asks for can keep other accounts out.
"""
import io
import os
import stat
from pathlib import Path

import pytest

from rectify.core.database import upgrade_database
from rectify.core.extensions import db
from rectify.models import Role

import ledgers
from conftest import make_app

pytestmark = pytest.mark.skipif(os.name == "nt", reason="on Windows a file's mode is only its read-only flag")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def database_url(tmp_path):
    """The default database, SQLite in the instance folder, made by the migrations as on a first start."""
    first_start = make_app("", tmp_path / "instance")
    with first_start.app_context():
        upgrade_database()
        db.engine.dispose()
    return ""


def exposed(instance: Path) -> list[str]:
    """Files and folders under ``instance`` (itself included) that anyone but the owner may use."""
    return [f"{path.relative_to(instance.parent)} {stat.filemode(path.stat().st_mode)}"
            for path in [instance, *instance.rglob("*")] if path.stat().st_mode & 0o077]


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_everything_written_under_the_instance_folder_is_private(app, client, session, make_user, make_measure, login):
    def broken():
        raise RuntimeError("for the log")

    app.add_url_rule("/broken", "broken", broken)
    instance = Path(app.instance_path)
    owner = make_user(Role.OWNER, person=True)
    measure = make_measure(owners=[owner.person])
    login(owner)
    prefix = f"m{measure.id}-progress-"
    report = {f"{prefix}text": "已召开专题会议。", f"{prefix}version": 1, f"{prefix}files": [(io.BytesIO(PDF), "会议纪要.pdf")]}
    assert client.post(f"/measures/{measure.id}/progress", data=report, content_type="multipart/form-data").status_code == 302

    supervisor = login(make_user(Role.SUPERVISOR))
    exported = client.get("/ledger/export")
    assert exported.status_code == 200 and exported.data.startswith(b"PK")
    exported.close()
    upload = {"title": "县委第三巡察组反馈意见整改", "kind": "xuncha", "feedback_on": "2023-03-15",
              "file": (io.BytesIO(ledgers.messy_ledger()), "巡察反馈台账.xlsx")}
    assert client.post("/imports/", data=upload, content_type="multipart/form-data").status_code == 200
    assert client.get("/broken").status_code == 500

    written = {path.relative_to(instance).parts[0] for path in instance.rglob("*") if path.is_file()}
    assert {"rectify.db", "rectify.db-wal", "rectify.db-shm", "evidence", "ledgers", "uploads", "logs"} <= written
    assert list((instance / "ledgers" / "users" / str(supervisor.id)).glob("*.xlsx"))
    assert exposed(instance) == []
