"""Backup and restore (备份与恢复): one file holding a consistent snapshot of the database, the
evidence files and the generated ledgers, with a manifest of row counts and SHA-256 hashes.

The commands ``flask --app app backup`` and ``restore``, the scheduler's daily backup and the
定时任务 page call these functions; the time comes from their caller. The file format is in
archive.py, the databases' own tools in sqlite.py and postgres.py.
"""
import os
import re
import secrets
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask import current_app

from rectify.backup import archive, postgres, sqlite
from rectify.backup.archive import BackupError
from rectify.core.database import MIGRATIONS_DIR, upgrade_database
from rectify.core.extensions import db
from rectify.core.timeutil import to_local

__all__ = ["BackupError", "make_backup", "restore_backup", "scheduled_backup", "listing", "folder"]

NAME = re.compile(r"^rectify-backup-(\d{8}-\d{6})(?:-(\d+))?\.zip$")
KIND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
FILLED_BY_MIGRATIONS = {"alembic_version", "data_revision"}
TABLE_LABELS = {
    "user": "用户", "department": "部门", "person": "人员", "batch": "批次", "problem": "问题", "measure": "措施",
    "progress_update": "整改进展", "evidence": "佐证材料", "audit_log": "操作记录", "job_run": "定时任务运行记录",
}


def instance() -> Path:
    return Path(current_app.instance_path)


def folder() -> Path:
    """Where the scheduled backups go (RECTIFY_BACKUP_DIR; relative to the instance folder)."""
    return instance() / (current_app.config["RECTIFY_BACKUP_DIR"] or "backups")


def make_backup(out: Path, now: datetime) -> dict:
    """Write a backup of this instance to ``out``: the database as of one moment (the server
    keeps writing meanwhile), the evidence files and ledgers, and the manifest."""
    started = time.perf_counter()
    out = Path(out).resolve()
    if out.exists():
        raise BackupError(f"文件已存在：{out}（请换一个文件名）")
    kind = db.engine.dialect.name
    if kind not in archive.DATABASE_MEMBERS:
        raise BackupError(f"不支持备份 {kind} 数据库。")
    try:
        return _write_backup(out, now, kind, started)
    except OSError as error:  # a full disk, a folder that cannot be written
        raise BackupError(f"无法写入备份文件 {out}：{error.strerror or error}") from None


def _write_backup(out: Path, now: datetime, kind: str, started: float) -> dict:
    member = archive.DATABASE_MEMBERS[kind]
    out.parent.mkdir(parents=True, exist_ok=True)
    schema = None
    with archive.Writer(out, to_local(now)) as writer:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix=".rectify-backup-", dir=out.parent) as temp:
                snapshot = Path(temp) / "rectify.sqlite3"
                revision, tables = sqlite.snapshot(Path(db.engine.url.database), snapshot)
                writer.add(member, archive.read_chunks(snapshot), compress=True)
        else:
            revision, tables, schema = postgres.dump(db.engine, lambda chunks: writer.add(member, chunks))
        # After the snapshot, so every file it names is there: evidence is stored before its row
        # is committed and never removed, and a ledger is renamed into place when complete.
        evidence = _add_files(writer, "evidence", lambda name: archive.EVIDENCE_MEMBER.match(name))
        ledgers = _add_files(writer, "ledgers", lambda name: not name.endswith(".part"))
        writer.finish({"created_at": now.isoformat(timespec="seconds") + "Z", "database": kind, "schema": schema,
                       "revision": revision, "tables": tables})
    return {"path": str(out), "size": out.stat().st_size, "database": kind, "revision": revision,
            "tables": tables, "evidence": evidence, "ledgers": ledgers,
            "seconds": round(time.perf_counter() - started, 2)}


def _add_files(writer: archive.Writer, name: str, wanted) -> int:
    root = instance() / name
    added = 0
    for path in sorted(root.rglob("*")) if root.is_dir() else ():
        member = path.relative_to(instance()).as_posix()
        if path.is_symlink() or not path.is_file() or not wanted(member) or not archive.safe_member(member):
            continue  # a restore would refuse a name it does not know
        try:
            handle = path.open("rb")
        except FileNotFoundError:  # a ledger deleted meanwhile
            continue
        with handle:
            writer.add(member, iter(lambda: handle.read(archive.CHUNK), b""))
        added += 1
    return added


def restore_backup(path: Path, now: datetime, force: bool = False) -> dict:
    """Restore a backup into this instance, which must hold no data unless ``force``.

    Every check comes before the first change: the file is a backup, of this kind of database,
    from this version or an older one, the target is empty, and every member has its hash.
    Then the database, the row counts, the evidence files, the ledgers, and the migrations."""
    started = time.perf_counter()
    path = Path(path)
    bundle, manifest = archive.open_backup(path)
    with bundle:
        kind = db.engine.dialect.name
        if manifest["database"] != kind:
            raise BackupError(f"这是 {KIND_LABELS[manifest['database']]} 数据库的备份，而本实例使用 "
                              f"{KIND_LABELS.get(kind, kind)}：不支持在两种数据库之间恢复。")
        _check_revision(manifest.get("revision"))
        present = data_present()
        if present and not force:
            named = [f"{TABLE_LABELS[table]} {rows} 行" for table, rows in present.items() if table in TABLE_LABELS]
            others = [table for table in present if table not in TABLE_LABELS]
            listed = "、".join(named + ([f"另有 {len(others)} 张表（{'、'.join(others)}）有数据"] if others else []))
            raise BackupError(f"目标数据库不是空的：{listed}。恢复会替换这些数据；确认无误后加 --force 重新运行。")
        archive.verify(bundle, manifest, path.name)

        db.session.remove()
        db.engine.dispose()  # this process holds no connection while the database is replaced
        member = archive.DATABASE_MEMBERS[kind]
        with tempfile.TemporaryDirectory(prefix=".rectify-restore-", dir=instance()) as temp:
            snapshot = Path(temp) / PurePosixPath(member).name
            archive.extract(bundle, member, snapshot)
            if kind == "sqlite":
                sqlite.restore(snapshot, Path(db.engine.url.database))
            else:
                ours = set(manifest["tables"]) | set(db.metadata.tables) | {"alembic_version"}
                postgres.restore(db.engine, snapshot, manifest.get("schema") or "public", ours)
        # Counted before the migrations, which may change rows.
        counts = row_counts(manifest["tables"])
        differing = [f"{table} 应为 {rows} 行，实为 {counts.get(table)} 行"
                     for table, rows in manifest["tables"].items() if counts.get(table) != rows]
        if differing:
            raise BackupError("恢复后的数据库与备份清单不符：" + "；".join(differing))
        evidence = _restore_evidence(bundle, manifest)
        ledgers, set_aside = _restore_ledgers(bundle, manifest, now)
    upgrade_database()
    revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    db.session.remove()
    return {"path": str(path.resolve()), "database": kind, "created_at": manifest.get("created_at"),
            "backup_revision": manifest.get("revision"), "revision": revision, "tables": manifest["tables"],
            "evidence": evidence, "ledgers": ledgers, "set_aside": str(set_aside) if set_aside else None,
            "seconds": round(time.perf_counter() - started, 2)}


def _check_revision(revision: str | None) -> None:
    """A backup from this version or an older one restores (the migrations bring it up to date)."""
    if revision is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise BackupError(f"备份来自较新版本的 Rectify（数据库版本 {revision}，本程序最高为 {scripts.get_current_head()}），"
                          "请先升级 Rectify 再恢复。") from None


def data_present() -> dict[str, int]:
    """The app's tables that hold rows, besides those the migrations fill themselves."""
    existing = set(sa.inspect(db.engine).get_table_names())
    tables = [table.name for table in db.metadata.sorted_tables
              if table.name in existing and table.name not in FILLED_BY_MIGRATIONS]
    return {table: rows for table, rows in row_counts(tables).items() if rows}


def row_counts(tables) -> dict[str, int]:
    existing = set(sa.inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        return {table: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))
                for table in tables if table in existing}


def _restore_evidence(bundle, manifest: dict) -> int:
    """Add the backup's evidence files; those already here are the same content (named by it)."""
    restored = 0
    for member in manifest["files"]:
        if not archive.EVIDENCE_MEMBER.match(member):
            continue
        target = instance() / member
        if not target.exists():
            partial = instance() / "evidence" / "tmp" / f"restore-{secrets.token_hex(4)}"
            archive.extract(bundle, member, partial)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, target)
        restored += 1
    return restored


def _restore_ledgers(bundle, manifest: dict, now: datetime) -> tuple[int, Path | None]:
    """Put the backup's ledgers in place of the folder here, which is set aside if it holds files:
    ledgers are kept per user id, and another database's user with that id must not see them."""
    members = [member for member in manifest["files"] if member.startswith("ledgers/")]
    incoming = instance() / f".ledgers-restoring-{secrets.token_hex(4)}"
    for member in members:
        archive.extract(bundle, member, incoming / member.removeprefix("ledgers/"))
    current, set_aside = instance() / "ledgers", None
    if current.exists():
        if any(path.is_file() for path in current.rglob("*")):
            set_aside = instance() / f"ledgers-before-restore-{to_local(now):%Y%m%d-%H%M%S}"
            current.rename(set_aside)
        else:
            shutil.rmtree(current)
    if members:
        incoming.rename(current)
    return len(members), set_aside


def scheduled_backup(now: datetime) -> dict:
    """The daily backup: a new file in the backup folder, then all but the newest
    RECTIFY_BACKUP_KEEP of them removed (only files named as this function names them)."""
    target = folder()
    stamp = f"{to_local(now):%Y%m%d-%H%M%S}"
    name, n = f"rectify-backup-{stamp}.zip", 1
    while (target / name).exists():
        n += 1
        name = f"rectify-backup-{stamp}-{n}.zip"
    summary = make_backup(target / name, now)
    removed = []
    for old in _backups(target)[current_app.config["RECTIFY_BACKUP_KEEP"]:]:
        old.unlink(missing_ok=True)
        removed.append(old.name)
    return {"file": name, "size": summary["size"], "seconds": summary["seconds"], "removed": removed}


def _backups(target: Path) -> list[Path]:
    """The scheduled backups in ``target``, newest first."""
    found = []
    for path in target.iterdir() if target.is_dir() else ():
        match = NAME.match(path.name)
        if match and path.is_file():
            found.append(((match[1], int(match[2] or 1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def listing() -> list[dict]:
    """The scheduled backups for the 定时任务 page: name, size and when made (local time)."""
    zone = current_app.config["TIMEZONE"]
    found = []
    for path in _backups(folder()):
        stat = path.stat()
        found.append({"name": path.name, "size": stat.st_size, "made": datetime.fromtimestamp(stat.st_mtime, zone)})
    return found
