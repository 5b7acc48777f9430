"""The scheduler: APScheduler 3 calls the jobs; the jobs poll the database and are idempotent.

One process runs jobs. ``python app.py`` embeds the scheduler (one process, the default);
with several app processes set ``RECTIFY_SCHEDULER=off`` in them and run one
``flask --app app scheduler run``. A lock makes sure a second scheduler started by mistake
runs nothing: a PostgreSQL advisory lock held by the scheduler's own connection, or on SQLite
a lock row whose heartbeat the holder renews every 30 seconds on its own timer, whatever the
jobs do (taken over when it is older than two minutes: the holder has died).
Even then, the notices' unique keys make double sends impossible.
"""
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import IntegrityError

from rectify.extensions import db
from rectify.models import JobRun, SchedulerLock
from rectify.timeutil import local_date, utcnow

log = logging.getLogger("rectify.scheduler")
LOCK_NAME = "scheduler"
ADVISORY_CLASS = 73_104_202  # Rectify's; the second key, ADVISORY_KEY, is the database and schema
# Advisory locks are per database, not per schema: key on both, so that installations (or test
# runs) sharing a database in different schemas do not block each other.
ADVISORY_KEY = "hashtext(current_database() || '.' || current_schema())"
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_EVERY = timedelta(seconds=30)  # well inside STALE_AFTER: a busy or slow holder keeps its lock


def job_reminders(now: datetime) -> dict:
    from rectify.reminders import run_reminders

    return run_reminders(local_date(now), now)


def job_outbox(now: datetime) -> dict:
    from rectify.reminders import send_outbox

    sent, failed = send_outbox(now)
    return {"sent": sent, "failed": failed}


def job_weekly_ledger(now: datetime) -> dict:
    from rectify.ledger.scheduled import make_scheduled_ledger

    return make_scheduled_ledger("weekly", local_date(now), now)


def job_monthly_ledger(now: datetime) -> dict:
    from rectify.ledger.scheduled import make_scheduled_ledger

    return make_scheduled_ledger("monthly", local_date(now), now)


def job_cleanup(now: datetime) -> dict:
    """Files nothing refers to any more: evidence of a transaction that rolled back, leftovers."""
    from rectify.evidence import sweep
    from rectify.models import Evidence

    referenced = set(db.session.scalars(sa.select(Evidence.sha256).distinct()))
    return {"evidence_removed": sweep(referenced, now.replace(tzinfo=timezone.utc).timestamp())}


def job_backup(now: datetime) -> dict:
    from rectify.backup import scheduled_backup

    return scheduled_backup(now)


JOBS: dict[str, tuple[str, Callable]] = {
    "reminders": ("每日提醒", job_reminders),
    "outbox": ("发送待发消息", job_outbox),
    "weekly_ledger": ("每周台账（周一 08:00）", job_weekly_ledger),
    "monthly_ledger": ("每月台账（1日 08:00）", job_monthly_ledger),
    "backup": ("每日备份", job_backup),
    "cleanup": ("清理无用文件（每日 03:15）", job_cleanup),
}


class Lock:
    """The one-scheduler lock, on whichever database is configured."""

    def __init__(self, app, stale_after: timedelta = STALE_AFTER):
        self.app = app
        self.stale_after = stale_after
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.connection = None
        self.held = False

    def acquire(self) -> bool:
        with self.app.app_context():
            engine = db.engine
            if engine.dialect.name == "postgresql":
                if self.held:  # advisory locks count re-entries; hold it once
                    return True
                if self.connection is None:
                    self.connection = engine.connect()
                got = self.connection.execute(sa.text(
                    f"SELECT pg_try_advisory_lock(:class, {ADVISORY_KEY})"), {"class": ADVISORY_CLASS}).scalar()
                self.connection.commit()
                self.held = bool(got)
                return self.held
            return self._sqlite_acquire()

    def _sqlite_acquire(self) -> bool:
        now = utcnow()
        row = db.session.get(SchedulerLock, LOCK_NAME)
        try:
            if row is None:
                db.session.add(SchedulerLock(name=LOCK_NAME, holder=self.holder, heartbeat_at=now))
            elif row.holder == self.holder or row.heartbeat_at < now - self.stale_after:
                updated = db.session.execute(
                    sa.update(SchedulerLock).where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == row.holder,
                                                   SchedulerLock.heartbeat_at == row.heartbeat_at)
                    .values(holder=self.holder, heartbeat_at=now))
                if updated.rowcount != 1:
                    db.session.rollback()
                    return False
            else:
                db.session.rollback()
                return False
            db.session.commit()
            return True
        except IntegrityError:
            db.session.rollback()
            return False

    def heartbeat(self) -> None:
        """Renew the lock if held, take it if its holder has died: called on a timer of its own."""
        try:
            self.acquire()
        except sa.exc.SQLAlchemyError:  # the database is away for a moment: the next beat tries again
            log.warning("调度锁心跳失败", exc_info=True)

    def release(self) -> None:
        with self.app.app_context():
            if self.connection is not None:
                if self.held:
                    # Unlock first: the server ends a closed session's backend (and frees its
                    # locks) a moment after the client hangs up, and another scheduler asking
                    # in that moment would be refused.
                    try:
                        self.connection.execute(sa.text(f"SELECT pg_advisory_unlock(:class, {ADVISORY_KEY})"),
                                                {"class": ADVISORY_CLASS})
                    except sa.exc.DBAPIError:
                        pass  # the connection is gone, and the lock with it
                # End the database session itself: a pooled connection would keep the lock.
                self.connection.invalidate()
                self.connection.close()
                self.connection, self.held = None, False
            else:
                db.session.execute(sa.delete(SchedulerLock).where(SchedulerLock.name == LOCK_NAME,
                                                                  SchedulerLock.holder == self.holder))
                db.session.commit()


def run_job(app, lock: Lock, name: str) -> dict | None:
    """Run one job if this process holds the lock; record the run. Returns its summary."""
    if not lock.acquire():  # also the SQLite heartbeat
        log.info("另一个调度进程正在运行，跳过任务 %s", name)
        return None
    with app.app_context():
        return run_recorded(name).summary


def run_recorded(name: str) -> JobRun:
    """Run job ``name`` now and record the run; a failure is logged and recorded, never raised.

    The scheduler calls it under its lock; the 定时任务 page's "run now" calls it directly (the
    jobs are idempotent, so running one beside the scheduler sends nothing twice).
    """
    run = JobRun(job=name, started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    try:
        summary = JOBS[name][1](utcnow())
    except Exception as error:  # a failed job must not stop the scheduler; it is logged and shown
        db.session.rollback()
        log.exception("任务 %s 失败", name)
        run = db.session.merge(run)
        run.ok, run.finished_at, run.summary = False, utcnow(), {"error": str(error)[:500]}
    else:
        run = db.session.merge(run)
        run.ok, run.finished_at, run.summary = True, utcnow(), summary
    db.session.commit()
    return run


def triggers(config) -> dict:
    """When each job runs (local time), from the settings: one table for the scheduler and the page."""
    zone = config["TIMEZONE"]
    hour, minute = (int(part) for part in config["RECTIFY_REMIND_AT"].split(":"))
    found = {
        "reminders": CronTrigger(hour=hour, minute=minute, timezone=zone),
        "outbox": IntervalTrigger(minutes=10),
        "weekly_ledger": CronTrigger(day_of_week="mon", hour=8, timezone=zone),
        "monthly_ledger": CronTrigger(day=1, hour=8, timezone=zone),
        "cleanup": CronTrigger(hour=3, minute=15, timezone=zone),
    }
    if config["RECTIFY_BACKUP_AT"] != "off":
        hour, minute = (int(part) for part in config["RECTIFY_BACKUP_AT"].split(":"))
        found["backup"] = CronTrigger(hour=hour, minute=minute, timezone=zone)
    return found


def build(app, blocking: bool = False, heartbeat: timedelta = HEARTBEAT_EVERY, stale_after: timedelta = STALE_AFTER):
    """A scheduler with Rectify's jobs, coalescing missed runs and catching up at start."""
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
        timezone=app.config["TIMEZONE"],
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 12 * 3600})
    lock = Lock(app, stale_after)
    scheduler.add_job(lock.heartbeat, IntervalTrigger(seconds=heartbeat.total_seconds()), id="heartbeat",
                      name="调度锁心跳")
    for name, trigger in triggers(app.config).items():
        scheduler.add_job(run_job, trigger, args=(app, lock, name), id=name, name=JOBS[name][0])
    # A catch-up run at start: reminders are idempotent, so a run already made today adds nothing.
    scheduler.add_job(run_job, args=(app, lock, "reminders"), id="catch-up", name="启动补发")
    scheduler.rectify_lock = lock
    return scheduler


def next_runs(app) -> dict[str, datetime | None]:
    """When each job will next run, computed from its trigger (the web process has no scheduler);
    None for a job that runs every few minutes or is switched off."""
    now = datetime.now(app.config["TIMEZONE"])
    return {name: trigger.get_next_fire_time(None, now) if isinstance(trigger, CronTrigger) else None
            for name, trigger in triggers(app.config).items()}
