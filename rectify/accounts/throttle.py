"""The login throttle: after too many failed sign-ins for one user name from one address, that
pair is refused (429) until the oldest failure leaves the window.

Failures are rows in the database (``LoginFailure``), not counters in a process's memory: every
app process behind a load balancer counts the same failures, and restarting the server does not
hand an attacker a fresh allowance. (Flask-Limiter did this before; its storages are memory, Redis,
Memcached, MongoDB and etcd, none of which a county office runs, and memory counts per process.)
Two processes checking at the same instant may each let one more attempt through; a throttle
meant to stop guessing thousands of passwords can afford that.

The rate is the setting ``RECTIFY_LOGIN_RATE_LIMIT`` (``10 per 15 minutes``), which the configuration
reads into ``LOGIN_RATE``: (failures allowed, window).
"""
from datetime import datetime, timedelta

import sqlalchemy as sa

from rectify.accounts.models import LoginFailure
from rectify.core.extensions import db

Rate = tuple[int, timedelta]


def _who(address: str, username: str) -> dict:
    """The columns naming who failed, cut to their lengths (a typed user name may be any length)."""
    return {"address": address[:LoginFailure.address.type.length],
            "username": username[:LoginFailure.username.type.length]}


def retry_after(rate: Rate, address: str, username: str, now: datetime) -> int | None:
    """Seconds until ``username`` may be tried again from ``address``; None while it may be now."""
    allowed, window = rate
    who = _who(address, username)
    recent = db.session.scalars(
        sa.select(LoginFailure.failed_at)
        .where(LoginFailure.username == who["username"], LoginFailure.address == who["address"],
               LoginFailure.failed_at > now - window)
        .order_by(LoginFailure.failed_at.desc()).limit(allowed)).all()
    if len(recent) < allowed:
        return None
    return max(1, int((recent[-1] + window - now).total_seconds() + 0.999))


def record_failure(rate: Rate, address: str, username: str, now: datetime) -> None:
    """Count one failed sign-in, and forget the failures that no longer count for anybody."""
    _, window = rate
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at <= now - window))
    db.session.add(LoginFailure(**_who(address, username), failed_at=now))
