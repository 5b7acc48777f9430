"""The scheduler process: APScheduler calls the jobs (jobs.py) when their triggers fire, in the one
process that holds the lock (lock.py). ``python app.py`` embeds it; ``flask scheduler run`` is it."""
import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from rectify.scheduler.jobs import JOBS, run_recorded, triggers
from rectify.scheduler.lock import HEARTBEAT_EVERY, STALE_AFTER, Lock

log = logging.getLogger(__name__)


def run_job(app, lock: Lock, name: str) -> dict | None:
    """Run one job if this process holds the lock; record the run. Returns its summary."""
    if not lock.acquire():  # also the SQLite heartbeat
        log.info("另一个调度进程正在运行，跳过任务 %s", name)
        return None
    with app.app_context():
        return run_recorded(name).summary


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
