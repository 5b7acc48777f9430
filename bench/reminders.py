"""Reminder run speed: time and queries of one run, against a bare count of the due measures.

    python bench/reminders.py [--measures 20000 100000] [--postgres]

For each size it builds a database (`flask demo generate`, not timed; about 2% of measures
fall in a reminder window each day), gives each unit a 责任人 account, then times one
`run_reminders` (planning, recording the notices, in-app digests; no SMTP) and counts its SQL
statements, and times a bare SELECT count(*) of the measures the rules look at, in the same
process. The query count must not grow with the number of measures. Not a test.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 30)  # a working day
POSTGRES = os.environ.get("RECTIFY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def measure(instance, database_url):
    import sqlalchemy as sa

    from rectify import create_app
    from rectify.accounts.operations import create_user
    from rectify.core.extensions import db
    from rectify.models import Department, Measure, MeasureStatus, Role
    from rectify.reminders.run import run_reminders

    config = {"RECTIFY_INSTANCE": instance, "SMTP_HOST": ""}
    if database_url:
        config["SQLALCHEMY_DATABASE_URI"] = database_url
    app = create_app(config)
    with app.app_context():
        for index, unit in enumerate(db.session.scalars(sa.select(Department)).all()):
            create_user(username=f"owner{index}", name=f"责任人{index}", password="Bench2023pass", role=Role.OWNER,
                        department_id=unit.id)
        db.session.commit()
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
        started = time.perf_counter()
        summary = run_reminders(TODAY, datetime(TODAY.year, TODAY.month, TODAY.day, 1))  # 09:00 in Beijing
        run_seconds = time.perf_counter() - started
        queries = len(statements)
        horizon = TODAY + timedelta(days=7)
        started = time.perf_counter()
        due = db.session.scalar(sa.select(sa.func.count()).select_from(Measure).where(sa.or_(
            sa.and_(Measure.status.in_([MeasureStatus.NOT_STARTED, MeasureStatus.IN_PROGRESS]), Measure.due_on <= horizon),
            sa.and_(Measure.status == MeasureStatus.NOT_STARTED, Measure.acknowledged_at.is_(None)),
            Measure.status == MeasureStatus.LONG_TERM)))
        count_seconds = time.perf_counter() - started
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Measure))
    notices = sum(summary["notices"].values())
    return total, due, notices, summary["recipients"], queries, run_seconds, count_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measures", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}: one reminder run on {TODAY} (no SMTP), against SELECT count(*) of the measures looked at")
    print(f"{'measures':>9} {'looked at':>9} {'notices':>8} {'recipients':>10} {'queries':>8} {'run s':>7} {'count s':>8} {'ratio':>7}")
    for size in args.measures:
        instance = tempfile.mkdtemp(prefix="rectify-remind-bench-")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECTIFY_")}, "RECTIFY_INSTANCE": instance}
        database_url, schema = None, None
        if args.postgres:
            import psycopg

            schema = f"rectify_bench_{uuid.uuid4().hex[:8]}"
            admin = psycopg.connect(POSTGRES.replace("+psycopg", ""), autocommit=True)
            admin.execute(f'CREATE SCHEMA "{schema}"')
            database_url = env["DATABASE_URL"] = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        try:
            for command in (["db", "upgrade"], ["demo", "generate", "--problems", str(size // 3)]):
                subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT, env=env, check=True,
                               capture_output=True)
            total, due, notices, recipients, queries, run_s, count_s = measure(instance, database_url)
            print(f"{total:>9} {due:>9} {notices:>8} {recipients:>10} {queries:>8} {run_s:>7.2f} {count_s:>8.3f} {run_s / count_s:>7.0f}")
        finally:
            shutil.rmtree(instance, ignore_errors=True)
            if schema:
                admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
