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
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.models import SchedulerLock

log = logging.getLogger(__name__)
LOCK_NAME = "scheduler"
ADVISORY_CLASS = 73_104_202  # Rectify's; the second key, ADVISORY_KEY, is the database and schema
# Advisory locks are per database, not per schema: key on both, so that installations (or test
# runs) sharing a database in different schemas do not block each other.
ADVISORY_KEY = "hashtext(current_database() || '.' || current_schema())"
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_EVERY = timedelta(seconds=30)  # well inside STALE_AFTER: a busy or slow holder keeps its lock


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
