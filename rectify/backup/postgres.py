"""PostgreSQL: pg_dump of the app's schema, restored by pg_restore and psql into the configured one.

The dump and the row counts of the manifest see the same moment: a REPEATABLE READ
transaction exports its snapshot, counts the rows, and pg_dump runs in that snapshot
(``--snapshot``). Only the schema the app works in (the first of its search_path) is dumped.

A restore may go to another schema (a second installation in the same database, or the
tests): pg_dump qualifies every name with its schema and pg_restore cannot rename it, so the
restore streams pg_restore's SQL to psql and rewrites the schema in the statements, never in
the table data (the COPY blocks). psql runs it in one transaction: on any error nothing changes.
"""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Iterable

import sqlalchemy as sa

from rectify.backup.archive import CHUNK, BackupError

VERSION_NOTE = "pg_dump、pg_restore、psql 的主版本须不低于数据库服务器的主版本"
FUNCTIONS = ("rectify_bump_revision()",)  # made by migration 0010; tables take their triggers along


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"未找到 {name}。备份和恢复 PostgreSQL 数据库需要 PostgreSQL 客户端工具"
                          f"（如 apt-get install postgresql-client），且{VERSION_NOTE}。")
    return found


def _connection(url: sa.URL) -> tuple[str, dict]:
    """libpq connection string and environment for ``url``; the password goes in the environment,
    where other users' ``ps`` cannot see it."""
    from psycopg.conninfo import make_conninfo  # psycopg: loaded when PostgreSQL is used

    params = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username}
    params.update({key: value for key, value in url.query.items() if isinstance(value, str)})
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return make_conninfo(**{key: value for key, value in params.items() if value is not None}), environment


def _failed(tool: str, process: subprocess.Popen, errors, outcome: str = "") -> BackupError:
    """The tool's own error lines (or its last words), and the version rule when they name versions."""
    errors.seek(0)
    lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    said = [line for line in lines if re.search(r"\b(ERROR|FATAL|error):", line)] or lines[-3:]
    message = "\n".join(said)[-800:] or "无输出"
    note = f"。注意：{VERSION_NOTE}" if "version" in message else ""
    return BackupError(f"{tool} 执行失败（退出码 {process.returncode}）{outcome}：{message}{note}")


def current_schema(connection) -> str:
    schema = connection.execute(sa.text("SELECT current_schema()")).scalar()
    if not schema:
        raise BackupError("数据库连接的 search_path 中没有已存在的模式（schema），请先创建该模式。")
    return schema


def table_counts(connection, tables: Iterable[str]) -> dict[str, int]:
    quote = connection.dialect.identifier_preparer.quote
    return {table: connection.execute(sa.text(f"SELECT count(*) FROM {quote(table)}")).scalar() for table in tables}


def dump(engine: sa.Engine, sink: Callable[[Iterable[bytes]], None]) -> tuple[str | None, dict[str, int], str]:
    """Feed ``sink`` pg_dump's custom-format archive of the app's schema; return the revision,
    the row counts (of the same snapshot) and the schema's name."""
    pg_dump = _tool("pg_dump")
    conninfo, environment = _connection(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as connection:
        snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
        schema = current_schema(connection)
        tables = connection.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' ORDER BY table_name")).scalars().all()
        counts = table_counts(connection, tables)
        revision = None
        if "alembic_version" in counts:
            revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        quoted = '"' + schema.replace('"', '""') + '"'  # a pattern matching this one name exactly
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                [pg_dump, "--format=custom", f"--schema={quoted}", "--no-privileges",
                 f"--snapshot={snapshot}", f"--dbname={conninfo}"],
                stdout=subprocess.PIPE, stderr=errors, env=environment)
            try:
                sink(iter(lambda: process.stdout.read(CHUNK), b""))
            finally:
                process.stdout.close()
                process.wait()
            if process.returncode != 0:
                raise _failed("pg_dump", process, errors)
    return revision, counts, schema


def _renamer(source: str, target: str) -> Callable[[bytes], bytes]:
    """Rewrite ``source.`` qualified names (as pg_dump writes them, quoted or not) to ``target``."""
    forms = [re.escape('"' + source.replace('"', '""') + '"')]
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", source):
        forms.append(re.escape(source))
    pattern = re.compile(rb'(?<![\w$".])(?:' + "|".join(forms).encode() + rb")\.")
    replacement = ('"' + target.replace('"', '""') + '".').encode().replace(b"\\", b"\\\\")
    return lambda line: pattern.sub(replacement, line)


def restore(engine: sa.Engine, archive_file: Path, source_schema: str, tables: Iterable[str]) -> None:
    """Replace ``tables`` (dropped first, if there) and the rest of the app's schema in the configured
    schema by the archive's. The engine must hold no connections: a DROP waits for every user of the table."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    conninfo, environment = _connection(engine.url)
    with engine.connect() as connection:
        schema = current_schema(connection)
    engine.dispose()
    quote = engine.dialect.identifier_preparer.quote
    target = '"' + schema.replace('"', '""') + '"'
    prelude = ("SET client_min_messages = warning;\n"
               f"DROP TABLE IF EXISTS {', '.join(f'{target}.{quote(table)}' for table in sorted(tables))} CASCADE;\n"
               + "".join(f"DROP FUNCTION IF EXISTS {target}.{function} CASCADE;\n" for function in FUNCTIONS))
    with tempfile.TemporaryDirectory(prefix="rectify-restore-") as folder, \
            tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        listing = subprocess.run([pg_restore, "--list", str(archive_file)], capture_output=True, env=environment)
        if listing.returncode != 0:
            raise BackupError(f"pg_restore 无法读取备份中的数据库：{listing.stderr.decode('utf-8', 'replace')[-800:]}")
        # Everything but the schema and its comment: it exists (it is the one configured), maybe not ours.
        entries = Path(folder) / "entries.list"
        entries.write_bytes(b"".join(line for line in listing.stdout.splitlines(keepends=True)
                                     if not re.match(rb"^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA )", line)))
        reader = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", f"--use-list={entries}", "--file=-",
                                   str(archive_file)], stdout=subprocess.PIPE, stderr=restore_errors, env=environment)
        writer = subprocess.Popen([psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
                                   "--file=-", f"--dbname={conninfo}"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors, env=environment)
        psql_stopped = False
        try:
            _pipe(reader.stdout, writer.stdin, prelude.encode(), _renamer(source_schema, schema))
        except BrokenPipeError:
            psql_stopped = True  # at an error, which it wrote to its errors
        finally:
            reader.stdout.close()
            reader.wait()
            # psql commits when its input ends: end it only after pg_restore wrote everything.
            if reader.returncode == 0 and not writer.stdin.closed:
                try:
                    writer.stdin.close()
                except BrokenPipeError:
                    pass
            else:
                writer.kill()
            writer.wait()
        unchanged = "，数据库未做任何更改"  # psql ran it all in one transaction, not committed
        if reader.returncode != 0 and not psql_stopped:
            raise _failed("pg_restore", reader, restore_errors, unchanged)
        if writer.returncode != 0 or psql_stopped:
            raise _failed("psql", writer, psql_errors, unchanged)


def _pipe(sql, psql, prelude: bytes, rename: Callable[[bytes], bytes]) -> None:
    """Copy pg_restore's SQL to psql after ``prelude``, renaming the schema outside the table data."""
    psql.write(prelude)
    in_data = False
    for line in sql:
        if in_data:
            in_data = line.rstrip(b"\r\n") != b"\\."
        else:
            in_data = line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;")
            line = rename(line)
        psql.write(line)
