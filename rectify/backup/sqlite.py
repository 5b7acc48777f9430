"""SQLite: snapshots and restores through the online backup API.

Copying rectify.db while the server runs misses what is still in rectify.db-wal, and copying
a file over a database that others have open corrupts it. The backup API does neither: it
copies pages inside one read transaction (writers carry on, WAL) and writes the restore
through SQLite's own locking and journal.
"""
import sqlite3
from pathlib import Path

from rectify.backup.archive import BackupError

TIMEOUT = 30  # seconds to wait for a writer, as the app does


def facts(connection: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    """The database's migration revision and the row count of each table."""
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    counts = {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}
    revision = None
    if "alembic_version" in counts:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return revision, counts


def snapshot(database: Path, out: Path) -> tuple[str | None, dict[str, int]]:
    """Copy ``database`` to ``out`` as of one moment, while others keep writing; return its facts."""
    source = sqlite3.connect(database, timeout=TIMEOUT)
    target = sqlite3.connect(out)
    try:
        # All pages in one step: one read transaction, so the copy is of one moment, and it
        # never restarts because someone wrote in between steps.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        return facts(target)
    except sqlite3.Error as error:
        raise BackupError(f"无法读取 SQLite 数据库 {database}：{error}") from None
    finally:
        target.close()
        source.close()


def restore(snapshot_file: Path, database: Path) -> dict[str, int]:
    """Replace the content of ``database`` with the snapshot; return the restored row counts."""
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(snapshot_file)
    target = sqlite3.connect(database, timeout=TIMEOUT)
    try:
        source.backup(target, pages=-1)
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # nothing of the old content left in a -wal file
        return facts(target)[1]
    except sqlite3.Error as error:
        raise BackupError(f"无法写入 SQLite 数据库 {database}：{error}（请先停止 Rectify 服务再恢复）") from None
    finally:
        target.close()
        source.close()
