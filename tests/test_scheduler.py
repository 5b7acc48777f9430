"""The scheduler: one process runs jobs, whatever else is started; jobs are recorded."""
import threading
from datetime import timedelta

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.models import JobRun, Role, SchedulerLock
from rectify.scheduler.lock import Lock
from rectify.scheduler.process import build, run_job


def test_only_one_scheduler_holds_the_lock(app):
    first, second = Lock(app), Lock(app)
    try:
        assert first.acquire() is True
        assert first.acquire() is True  # the holder renews (heartbeat on SQLite)
        assert second.acquire() is False
        first.release()
        assert second.acquire() is True
    finally:
        first.release()
        second.release()


def test_a_stale_sqlite_lock_is_taken_over(app, session):
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL releases an advisory lock when its holder's connection dies
    crashed = Lock(app)
    assert crashed.acquire()
    session.execute(sa.update(SchedulerLock).values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    session.commit()
    assert Lock(app).acquire() is True


def test_a_second_scheduler_runs_no_job(app, session):
    running, mistaken = Lock(app), Lock(app)
    try:
        assert run_job(app, running, "cleanup") == {"evidence_removed": 0}
        assert run_job(app, mistaken, "reminders") is None
    finally:
        running.release()
        mistaken.release()
    session.expire_all()
    assert session.scalars(sa.select(JobRun.job)).all() == ["cleanup"]


def test_the_outbox_keeps_a_record_only_of_runs_that_sent_something(app, session, make_department):
    """It runs every minute: a run with nothing to send leaves no line on 定时任务; one that tried does."""
    from rectify.models import Delivery
    from rectify.scheduler.jobs import run_recorded

    from live_server import free_port

    app.config["SEND_WINDOW"] = ((0, 0), (24, 0))
    with app.app_context():
        assert run_recorded("outbox").summary == {"sent": 0, "failed": 0}
    session.expire_all()
    assert session.scalars(sa.select(JobRun.job)).all() == []
    unit = make_department("组织人事部", robot_kind="wecom", robot_url=f"http://127.0.0.1:{free_port()}/send")
    session.add(Delivery(channel="robot", subject="提醒", body="正文", department=unit,
                         next_attempt_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    with app.app_context():
        assert run_recorded("outbox").summary == {"sent": 0, "failed": 1}
    session.expire_all()
    assert session.scalars(sa.select(JobRun.job)).all() == ["outbox"]


def test_the_schedule_follows_the_settings(app):
    app.config["RECTIFY_REMIND_AT"] = "07:45"
    scheduler = build(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"reminders", "outbox", "weekly_ledger", "monthly_ledger", "weekly_bulletin", "backup", "cleanup", "catch-up",
                         "heartbeat"}
    assert str(jobs["reminders"].trigger) == "cron[hour='7', minute='45']"
    assert str(jobs["reminders"].trigger.timezone) == "Asia/Shanghai"


def test_admin_sees_jobs_and_runs_one_now(client, session, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "每日提醒" in page and "08:30" in page
    assert client.post("/admin/jobs/reminders/run").status_code == 302
    assert session.scalar(sa.select(JobRun)).ok is True
    assert client.post("/admin/jobs/nothing/run").status_code == 404


def test_two_schedulers_for_longer_than_the_stale_limit_run_jobs_once(app, session):
    """The holder renews its lock on its own timer: a second scheduler started beside it never
    takes over while it lives, however long it runs without a job; it does once the first dies."""
    quick = dict(heartbeat=timedelta(seconds=0.3), stale_after=timedelta(seconds=1.5))
    first, second = build(app, **quick), build(app, **quick)
    first.start()
    try:
        for _ in range(100):
            if session.scalar(sa.select(sa.func.count()).select_from(JobRun)):
                break
            threading.Event().wait(0.05)
        second.start()
        threading.Event().wait(4)  # well beyond the stale limit, with no job due
        held = second.rectify_lock.acquire()
        session.expire_all()
        runs = session.scalars(sa.select(JobRun.job)).all()
    finally:
        first.shutdown()
        first.rectify_lock.release()
    try:
        assert held is False
        assert runs == ["reminders"]  # the first's catch-up run; the second's was refused
        for _ in range(100):  # the first has gone: the second takes over on its next beat
            if second.rectify_lock.acquire():
                break
            threading.Event().wait(0.05)
        assert second.rectify_lock.acquire() is True
    finally:
        second.shutdown()
        second.rectify_lock.release()
