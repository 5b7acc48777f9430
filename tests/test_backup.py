"""Backup and restore: one consistent file, taken while others write; a restore that checks
everything before it changes anything, into an empty instance on the same kind of database."""
import hashlib
import io
import json
import shutil
import sqlite3
import threading
import zipfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from rectify import create_app
from rectify.accounts.audit import record
from rectify.backup.operations import BackupError, make_backup, restore_backup, scheduled_backup
from rectify.core.config import ConfigError
from rectify.core.extensions import db
from rectify.demo.generate import generate
from rectify.demo.load import load_demo
from rectify.models import Evidence, JobRun, Measure, ProgressUpdate, Role, User
from rectify.scheduler.lock import Lock
from rectify.scheduler.process import build, run_job
from rectify.tracking.evidence import path_for, store

from conftest import make_app, postgres_schema

NOW = datetime(2023, 6, 30, 6, 30)  # UTC; 14:30 in Asia/Shanghai
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
LEDGER = "ledgers/users/1/组织人事部整改台账-20230630-143000.xlsx"


@contextmanager
def empty_instance(app, folder: Path):
    """A second instance with an empty database of the same kind as ``app``'s (a new schema on
    PostgreSQL), not migrated: what a new server holds before its first start."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        other = make_app(f"sqlite:///{folder / 'rectify.db'}", folder)
        yield other
        _close(other)
    else:
        with postgres_schema() as url:
            other = make_app(url, folder)
            yield other
            _close(other)


def _close(other):
    other.extensions["rectify.ledger_worker"].shutdown(wait=True)
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_config():
    """Every test here: two daily backups kept, in <instance>/saved."""
    return {"RECTIFY_BACKUP_KEEP": 2, "RECTIFY_BACKUP_DIR": "saved"}


@pytest.fixture
def target(app, tmp_path):
    with empty_instance(app, tmp_path / "target") as other:
        yield other


@pytest.fixture
def filled(app, session):
    """The demo data, an evidence file with its row, an audit entry and a ledger file."""
    load_demo(date(2023, 6, 1))
    measure = session.scalars(sa.select(Measure).order_by(Measure.id)).first()
    stored = store(io.BytesIO(PDF), "整改报告（第一批）.pdf")
    session.add(Evidence(measure=measure, filename=stored.filename, sha256=stored.sha256, size=stored.size,
                         content_type=stored.content_type))
    record(None, "update", measure, {"text": ["旧的措施", measure.text]})
    session.commit()
    ledger = Path(app.instance_path) / LEDGER
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(b"PK\x03\x04 a ledger")
    ledger.with_name(ledger.name + ".part").write_bytes(b"half a ledger")  # being written: left out
    return stored.sha256


def contents(app) -> dict:
    """Every row of every table of the app, by table, in id order."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            tables[table.name] = [tuple(row) for row in db.session.execute(sa.select(table).order_by(*order))]
        db.session.remove()
        return tables


def instance_files(app, folder: str) -> dict[str, str]:
    root = Path(app.instance_path) / folder
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in root.rglob("*") if path.is_file()} if root.exists() else {}


def manifest_of(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def restore_command(target, *args):
    """``flask restore`` on ``target`` (a test's own app context, pushed by its fixtures, would win)."""
    with target.app_context():
        return target.test_cli_runner().invoke(args=["restore", *map(str, args)])


def test_a_backup_restores_into_an_empty_instance_with_everything_the_same(app, filled, target, tmp_path):
    out = tmp_path / "备份" / "rectify.zip"
    with app.app_context():
        summary = make_backup(out, NOW)
    assert summary["evidence"] == 1 and summary["ledgers"] == 1
    assert out.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in out.parent.iterdir()] == ["rectify.zip"]  # no temporary file left
    manifest = manifest_of(out)
    assert manifest["format"] == "rectify-backup" and manifest["revision"] == _head()
    assert manifest["created_at"] == "2023-06-30T06:30:00Z"
    assert manifest["tables"]["measure"] == 20 and manifest["tables"]["evidence"] == 1
    assert manifest["files"][f"evidence/{filled[:2]}/{filled}"]["sha256"] == filled
    assert LEDGER in manifest["files"] and LEDGER + ".part" not in manifest["files"]

    with target.app_context():
        restored = restore_backup(out, NOW)
    assert restored["revision"] == _head() and restored["evidence"] == 1 and restored["ledgers"] == 1
    assert contents(target) == contents(app)
    assert instance_files(target, "evidence") == instance_files(app, "evidence")
    with target.app_context():
        assert path_for(filled).read_bytes() == PDF
    assert instance_files(target, "ledgers") == {LEDGER.removeprefix("ledgers/"): hashlib.sha256(
        b"PK\x03\x04 a ledger").hexdigest()}


def test_a_backup_taken_while_another_thread_writes_is_of_one_moment(app, session, target, tmp_path):
    generate(100, date(2023, 6, 1))
    session.commit()
    measure_id = session.scalar(sa.select(Measure.id).limit(1))

    def count():
        session.commit()  # a fresh look, not the snapshot of an open transaction
        return session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate))

    stop, written, errors = threading.Event(), [], []

    def keep_writing():
        with app.app_context():
            try:
                while not stop.is_set():
                    db.session.add(ProgressUpdate(measure_id=measure_id, text=f"第 {len(written) + 1} 次进展"))
                    db.session.commit()
                    written.append(1)
            except Exception as error:  # reported by the test below
                errors.append(error)
            finally:
                db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 5 and writer.is_alive():
            stop.wait(0.01)
        before, writes_before = count(), len(written)
        with app.app_context():
            make_backup(tmp_path / "live.zip", NOW)
        writes_during = len(written) - writes_before
    finally:
        stop.set()
        writer.join()
    assert not errors
    assert writes_during > 0  # the writer was not held up
    manifest = manifest_of(tmp_path / "live.zip")
    assert before <= manifest["tables"]["progress_update"] <= count()
    if manifest["database"] == "sqlite":
        with zipfile.ZipFile(tmp_path / "live.zip") as archive:
            (tmp_path / "snapshot.db").write_bytes(archive.read("database/rectify.sqlite3"))
        snapshot = sqlite3.connect(tmp_path / "snapshot.db")
        try:
            assert snapshot.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            for table, rows in manifest["tables"].items():
                assert snapshot.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == rows, table
        finally:
            snapshot.close()
    with target.app_context():
        restored = restore_backup(tmp_path / "live.zip", NOW)  # it compares every count with the manifest
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == \
            manifest["tables"]["progress_update"]
    assert restored["tables"] == manifest["tables"]


def test_a_non_empty_instance_is_refused_unless_forced(app, filled, target, tmp_path):
    with app.app_context():
        make_backup(tmp_path / "b.zip", NOW)
    with target.app_context():
        flask_migrate.upgrade()
        db.session.add(User(username="admin", name="系统管理员", role=Role.ADMIN, password_hash="x"))
        db.session.commit()
    old_ledger = Path(target.instance_path) / "ledgers" / "users" / "1" / "旧台账.xlsx"
    old_ledger.parent.mkdir(parents=True)
    old_ledger.write_bytes(b"the old instance's")
    refused = restore_command(target, tmp_path / "b.zip")
    assert refused.exit_code == 1
    assert "目标数据库不是空的：用户 1 行" in refused.output and "--force" in refused.output
    with target.app_context():
        assert db.session.scalars(sa.select(User.username)).all() == ["admin"]
        db.session.remove()
    assert old_ledger.exists()

    forced = restore_command(target, tmp_path / "b.zip", "--force")
    assert forced.exit_code == 0, forced.output
    assert "已恢复 2023年6月30日 14:30 的备份：用户 5 个，问题 9 个，措施 20 项，佐证材料 1 个，台账 1 个" in forced.output
    assert "原有的台账文件已移至" in forced.output
    assert contents(target) == contents(app)
    assert not old_ledger.exists()
    assert list(Path(target.instance_path).glob("ledgers-before-restore-*/users/1/旧台账.xlsx"))


def _rewritten(source: Path, out: Path, change) -> Path:
    """A copy of the backup ``source`` with ``change(name, data)`` applied to each member's data."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(info, change(info.filename, old.read(info.filename)))
    return out


def _untouched(target):
    with target.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        db.engine.dispose()
    assert instance_files(target, "evidence") == {} and instance_files(target, "ledgers") == {}


def test_a_tampered_or_cut_backup_is_refused_and_nothing_changes(app, filled, target, tmp_path):
    with app.app_context():
        make_backup(tmp_path / "b.zip", NOW)
    tampered = _rewritten(tmp_path / "b.zip", tmp_path / "tampered.zip",
                          lambda name, data: data.replace(b"%PDF-1.4", b"%PDF-1.5") if name.startswith("evidence/") else data)
    cut = tmp_path / "cut.zip"
    cut.write_bytes((tmp_path / "b.zip").read_bytes()[:-2000])
    result = restore_command(target, tampered)
    assert result.exit_code == 1
    assert f"“tampered.zip”中“evidence/{filled[:2]}/{filled}”的 SHA-256 与清单不符" in result.output
    assert "未做任何更改" in result.output
    result = restore_command(target, cut)
    assert result.exit_code == 1 and "已损坏或不完整" in result.output
    _untouched(target)


def test_a_postgresql_restore_that_fails_midway_changes_nothing(app, filled, target, tmp_path):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return  # SQLite's restore is one backup-API step
        make_backup(tmp_path / "b.zip", NOW)
    with target.app_context():
        with db.engine.begin() as connection:  # something of another program's, in the way
            connection.execute(sa.text("CREATE SEQUENCE batch_id_seq"))
            connection.execute(sa.text("CREATE TABLE their_notes (note text)"))
        with pytest.raises(BackupError, match='数据库未做任何更改：.*relation "batch_id_seq" already exists'):
            restore_backup(tmp_path / "b.zip", NOW)
        assert sorted(sa.inspect(db.engine).get_table_names()) == ["their_notes"]
        db.engine.dispose()
    assert instance_files(target, "evidence") == {} and instance_files(target, "ledgers") == {}


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(app, target, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("整改台账", encoding="utf-8")
    workbook = tmp_path / "台账.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    for path in (text, workbook):
        result = restore_command(target, path)
        assert result.exit_code == 1
        assert f"“{path.name}”不是 Rectify 备份文件" in result.output
    _untouched(target)


def test_a_backup_naming_a_path_outside_the_instance_is_refused(app, filled, target, tmp_path):
    with app.app_context():
        make_backup(tmp_path / "b.zip", NOW)
    crafted = tmp_path / "crafted.zip"
    with zipfile.ZipFile(tmp_path / "b.zip") as old, zipfile.ZipFile(crafted, "w") as new:
        manifest = json.loads(old.read("manifest.json"))
        for info in old.infolist():
            if info.filename != "manifest.json":
                new.writestr(info, old.read(info.filename))
        manifest["files"]["ledgers/../../escaped.txt"] = {"size": 1, "sha256": hashlib.sha256(b"x").hexdigest()}
        new.writestr("ledgers/../../escaped.txt", b"x")
        new.writestr("manifest.json", json.dumps(manifest))
    with target.app_context(), pytest.raises(BackupError, match="不应有的成员“ledgers/../../escaped.txt”"):
        restore_backup(crafted, NOW)
    assert not (tmp_path / "escaped.txt").exists()
    _untouched(target)


def _head() -> str:
    from alembic.script import ScriptDirectory

    from rectify.core.database import MIGRATIONS_DIR

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def test_a_backup_from_an_older_version_restores_and_is_brought_up_to_date(app, tmp_path):
    """Rows written by an older schema (0012, before sign-ins had their own table), restored into
    this version: the migrations bring them up to date."""
    with empty_instance(app, tmp_path / "old") as old, empty_instance(app, tmp_path / "new") as new:
        with old.app_context():
            flask_migrate.upgrade(revision="0012")
            for statement in (
                "INSERT INTO department (id, name, created_at) VALUES (1, '组织人事部', '2023-06-01')",
                'INSERT INTO "user" (id, username, name, department_id, role, is_active, password_hash, '
                "must_change_password, session_token, created_at) VALUES (1, 'duban', '孙丽', 1, 'supervisor', "
                "true, 'x', false, 'abc', '2023-06-01')",
                "INSERT INTO batch (id, kind, title, created_at) VALUES (1, 'xuncha', '巡察反馈', '2023-06-01')",
                "INSERT INTO problem (id, batch_id, position, description, created_at, updated_at) "
                "VALUES (1, 1, 1, '问题', '2023-06-01', '2023-06-01')",
                "INSERT INTO measure (id, problem_id, position, text, is_immediate, is_long_term, status, assigned_at, "
                "created_at, updated_at, version) VALUES (1, 1, 1, '措施', false, false, 'not_started', '2023-06-01', "
                "'2023-06-01', '2023-06-01', 1)",
            ):
                db.session.execute(sa.text(statement))
            db.session.commit()
            make_backup(tmp_path / "old.zip", NOW)
        assert manifest_of(tmp_path / "old.zip")["revision"] == "0012"
        result = restore_command(new, tmp_path / "old.zip", "--json")
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert (summary["backup_revision"], summary["revision"]) == ("0012", _head())
        with new.app_context():
            assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == _head()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Measure)) == 1
            assert db.session.scalar(sa.select(User.name)) == "孙丽"


def test_a_backup_of_the_other_kind_of_database_is_refused(app, sqlite_template, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return  # the PostgreSQL run tests both directions
    shutil.copy(sqlite_template, tmp_path / "rectify.db")
    lite = make_app(f"sqlite:///{tmp_path / 'rectify.db'}", tmp_path / "lite")
    with lite.app_context():
        make_backup(tmp_path / "lite.zip", NOW)
    with app.app_context():
        make_backup(tmp_path / "pg.zip", NOW)
        with pytest.raises(BackupError, match="这是 SQLite 数据库的备份，而本实例使用 PostgreSQL：不支持"):
            restore_backup(tmp_path / "lite.zip", NOW)
    with lite.app_context():
        with pytest.raises(BackupError, match="这是 PostgreSQL 数据库的备份，而本实例使用 SQLite"):
            restore_backup(tmp_path / "pg.zip", NOW)
    _close(lite)


def test_the_backup_command_prints_a_summary_and_refuses_an_existing_file(app, filled, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "b.zip")])
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output and "用户 5 个，问题 9 个，措施 20 项），佐证材料 1 个，台账 1 个" in result.output
    again = runner.invoke(args=["backup", str(tmp_path / "b.zip"), "--json"])
    assert again.exit_code == 1 and "文件已存在" in again.output
    into_folder = runner.invoke(args=["backup", str(tmp_path), "--json"])
    summary = json.loads(into_folder.stdout)
    assert Path(summary["path"]).parent == tmp_path and Path(summary["path"]).name.startswith("rectify-backup-")
    assert summary["tables"]["problem"] == 9


def test_without_pg_dump_the_backup_says_so_and_leaves_no_file(app, monkeypatch, tmp_path):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        with pytest.raises(BackupError, match="未找到 pg_dump"):
            make_backup(tmp_path / "out" / "b.zip", NOW)
    assert list((tmp_path / "out").iterdir()) == []


def test_the_daily_backup_keeps_the_newest_and_is_recorded(app, session, tmp_path):
    saved = Path(app.instance_path) / "saved"
    saved.mkdir()
    (saved / "before-upgrade.zip").write_bytes(b"an administrator's own copy")
    names = []
    for day in (27, 28, 29):
        names.append(scheduled_backup(datetime(2023, 6, day, 18, 30))["file"])
    assert names == ["rectify-backup-20230628-023000.zip", "rectify-backup-20230629-023000.zip",
                     "rectify-backup-20230630-023000.zip"]
    assert scheduled_backup(datetime(2023, 6, 29, 18, 30))["file"] == "rectify-backup-20230630-023000-2.zip"
    assert sorted(p.name for p in saved.iterdir()) == [
        "before-upgrade.zip", "rectify-backup-20230630-023000-2.zip", "rectify-backup-20230630-023000.zip"]

    lock = Lock(app)
    try:
        summary = run_job(app, lock, "backup")
    finally:
        lock.release()
    assert summary["removed"] == ["rectify-backup-20230630-023000.zip"]
    run = session.scalar(sa.select(JobRun).where(JobRun.job == "backup"))
    assert run.ok and run.summary["file"] == summary["file"]
    assert sorted(p.name for p in saved.iterdir()) == sorted(
        ["before-upgrade.zip", "rectify-backup-20230630-023000-2.zip", summary["file"]])


def test_the_jobs_page_lists_the_backups_to_administrators_only(app, client, login_as, make_user, login):
    with app.app_context():
        scheduled_backup(datetime(2023, 6, 29, 18, 30))
    login_as(Role.ADMIN)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "每日备份" in page and "02:30" in page
    assert "rectify-backup-20230630-023000.zip" in page and " KB</td>" in page
    assert 'href="' not in page.split('id="backups"')[1].split("</table>")[0]  # listed, never served
    assert client.post("/admin/jobs/backup/run").status_code == 302
    assert len(list((Path(app.instance_path) / "saved").glob("rectify-backup-*.zip"))) == 2
    (Path(app.instance_path) / "not-a-folder").write_text("")
    app.config["RECTIFY_BACKUP_DIR"] = "not-a-folder"
    assert client.post("/admin/jobs/backup/run").status_code == 302
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "“每日备份”失败：无法写入备份文件" in page and "失败</td>" in page
    login(make_user(Role.SUPERVISOR))
    assert client.get("/admin/jobs").status_code == 403


def test_the_backup_time_is_a_setting(app):
    app.config["RECTIFY_BACKUP_AT"] = "off"
    assert "backup" not in {job.id for job in build(app).get_jobs()}
    app.config["RECTIFY_BACKUP_AT"] = "23:05"
    assert str(build(app).get_job("backup").trigger) == "cron[hour='23', minute='5']"


@pytest.mark.parametrize("setting, value, message", [
    ("RECTIFY_BACKUP_AT", "2:30 am", "RECTIFY_BACKUP_AT 应为 时:分（如 02:30）或 off"),
    ("RECTIFY_BACKUP_AT", "24:00", "RECTIFY_BACKUP_AT 应为 时:分"),
    ("RECTIFY_BACKUP_KEEP", 0, "RECTIFY_BACKUP_KEEP 应为不小于 1 的整数"),
])
def test_bad_backup_settings_stop_the_start(tmp_path, setting, value, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"RECTIFY_INSTANCE": str(tmp_path), "SECRET_KEY": "x", setting: value})

