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
    from live_server import free_port

    from rectify.models import Delivery
    from rectify.scheduler.jobs import run_recorded

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
