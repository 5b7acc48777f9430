"""Reminders: due-soon, overdue, escalation, unacknowledged and monthly-report notices, exactly once.

``run_reminders(today)`` is the whole job; the scheduler and ``flask reminders run`` only call it:

1. plan the notices due today (rules.py), drop those whose key is already recorded;
2. write the new notices, one in-app digest per recipient and one e-mail per recipient into the
   outbox, and commit — before anything leaves the machine;
3. send the outbox (this run's and any earlier one's that failed), one SMTP connection per run,
   retrying failures later with back-off.

A crash after step 2 loses nothing (the next run sends the outbox); a second run, or a second
scheduler, finds every key recorded and adds nothing. Nothing is sent on non-working days
(official calendar with 调休, via chinese-calendar); the next working day catches up.
"""
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from rectify.core import mail
from rectify.core.extensions import db
from rectify.models import Delivery, Department, Notice, Notification
from rectify.reminders.events import queue_daily_summaries
from rectify.reminders.links import base_url
from rectify.reminders.outbox import send_outbox
from rectify.reminders.rules import LEVELS, Planned, Settings, plan
from rectify.reminders.settings import effective


def is_workday(day: date) -> bool:
    import chinese_calendar  # its tables of holidays load on the first working-day question

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not know yet: weekdays
        return day.weekday() < 5


def run_reminders(today: date, now: datetime, dry_run: bool = False) -> dict:
    """Plan, record and send today's reminders; return what was done, by rule and channel.

    ``now`` (naive UTC) stamps everything recorded and decides what may be sent: callers pass
    the clock, nothing below reads it.
    """
    summary = {"today": today.isoformat(), "workday": True, "notices": {}, "recipients": 0, "messages": {},
               "sent": 0, "failed": 0, "dry_run": dry_run}
    if current_app.config["RECTIFY_REMIND_WORKDAYS_ONLY"] and not is_workday(today):
        summary["workday"] = False
        return summary
    for attempt in (1, 2):
        try:
            _record(today, now, summary)
            if dry_run:
                db.session.rollback()
                return summary
            db.session.commit()
            break
        except IntegrityError:  # another run recorded some of the same notices first: plan again
            db.session.rollback()
            summary.update(notices={}, recipients=0, messages={})
            if attempt == 2:
                raise
    sent, failed = send_outbox(now)
    summary["sent"], summary["failed"] = sent, failed
    return summary


def _record(today: date, now: datetime, summary: dict) -> None:
    """Write the notices due today that no run has recorded, with their digests and outbox rows."""
    config = current_app.config
    values = effective()
    planned = plan(today, Settings.from_config({**values, "RECTIFY_PLAN_DUE_DAYS": config["RECTIFY_PLAN_DUE_DAYS"]}))
    known = _known_keys([p.key for p in planned])
    fresh = [p for p in planned if p.key not in known]
    by_user = defaultdict(list)
    for item in fresh:
        by_user[item.user].append(item)
    for item in fresh:
        summary["notices"][item.rule] = summary["notices"].get(item.rule, 0) + 1
    if summary["dry_run"]:  # who would be reminded of what, for the command to list
        summary["reminders"] = [
            {"user": item.user.username, "name": item.user.name, "rule": item.rule, "level": item.level,
             "measure_id": item.measure.id, "measure": item.measure.text, "reason": item.reason}
            for item in sorted(fresh, key=lambda p: (p.user.name, -LEVELS.index(p.level), p.measure.id))]
    summary["recipients"] = len(by_user)
    smtp_on = bool(config["SMTP_HOST"])
    pending = []  # (notice row, the Notification or Delivery it belongs to)
    for user, items in by_user.items():
        items.sort(key=lambda p: (-LEVELS.index(p.level), p.measure.due_on or date.max))
        subject, text, html = _digest(user, items, values["RECTIFY_REMIND_MAX_ITEMS"])
        notification = Notification(  # written for the page: each item a line with its link
            user=user, title=subject, url="/notifications/", created_at=now,
            items=[{"text": p.measure.text, "note": f"[{p.level}] {p.reason}", "url": _path(p.measure)} for p in items],
            problem_ids=sorted({p.measure.problem_id for p in items}))
        db.session.add(notification)
        channels = [("inapp", notification)]
        summary["messages"]["inapp"] = summary["messages"].get("inapp", 0) + 1
        if smtp_on and user.email:
            delivery = Delivery(user=user, channel="email", subject=subject, body=text, html=html,
                                created_at=now, next_attempt_at=now)
            db.session.add(delivery)
            channels.append(("email", delivery))
            summary["messages"]["email"] = summary["messages"].get("email", 0) + 1
        for channel, message in channels:
            for item in items:
                pending.append((dict(key=f"{item.key}:{channel}", measure_id=item.measure.id, user_id=user.id,
                                     rule=item.rule, level=item.level, channel=channel), message))
    pending += _record_robots(planned, now, summary)
    daily = queue_daily_summaries(today, now) if smtp_on else 0
    if daily:
        summary["messages"]["daily_events"] = daily
    db.session.flush()  # the few digests and outbox rows get their ids
    _insert_notices(pending, now)


def _insert_notices(pending, now: datetime) -> None:
    """All notice rows in one executemany (the ORM would insert them one by one, with RETURNING)."""
    rows = []
    for row, message in pending:
        row["created_at"] = now
        row["notification_id"] = message.id if isinstance(message, Notification) else None
        row["delivery_id"] = message.id if isinstance(message, Delivery) else None
        rows.append(row)
    if rows:
        db.session.execute(sa.insert(Notice.__table__), rows)


def _record_robots(planned: list[Planned], now: datetime, summary: dict) -> list:
    """One digest per unit with a work-chat robot, about that unit's measures (each notice once)."""
    units = {u.id: u for u in db.session.scalars(sa.select(Department).where(Department.robot_url.is_not(None)))}
    by_unit: dict[int, dict[str, Planned]] = defaultdict(dict)
    for item in planned:
        unit_id = item.measure.lead_unit_id
        if unit_id in units:
            by_unit[unit_id].setdefault(f"{item.rule}:{item.measure.id}:unit{unit_id}:{item.period}:robot", item)
    if not by_unit:
        return []
    wanted = [key for items in by_unit.values() for key in items]
    known = set(db.session.scalars(sa.select(Notice.key).where(Notice.key.in_(wanted))))
    pending = []
    for unit_id, items in by_unit.items():
        fresh = {key: item for key, item in items.items() if key not in known}
        if not fresh:
            continue
        ordered = sorted(fresh.values(), key=lambda p: (-LEVELS.index(p.level), p.measure.due_on or date.max))
        subject, text, _ = _digest(units[unit_id], ordered, effective()["RECTIFY_REMIND_MAX_ITEMS"])
        delivery = Delivery(department=units[unit_id], channel="robot", subject=subject, body=text, html="",
                            created_at=now, next_attempt_at=now)
        db.session.add(delivery)
        summary["messages"]["robot"] = summary["messages"].get("robot", 0) + 1
        for key, item in fresh.items():
            pending.append((dict(key=key, measure_id=item.measure.id, user_id=None, rule=item.rule, level=item.level,
                                 channel="robot"), delivery))
    return pending


def _known_keys(keys: list[str]) -> set[str]:
    """Planned keys already recorded on any channel (the in-app key stands for the notice)."""
    known = set()
    for start in range(0, len(keys), 20000):  # under SQLite's 32,766 parameters
        chunk = [f"{key}:inapp" for key in keys[start:start + 20000]]
        known.update(k.rsplit(":", 1)[0] for k in db.session.scalars(sa.select(Notice.key).where(Notice.key.in_(chunk))))
    return known


def _path(measure) -> str:
    return f"/problems/{measure.problem_id}#measure-{measure.id}"


def _digest(user, items: list[Planned], limit: int) -> tuple[str, str, str]:
    """One message listing all of a recipient's items (at most ``limit``, then a count)."""
    worst = max(LEVELS.index(p.level) for p in items)
    subject = f"【整改{LEVELS[worst]}】您有 {len(items)} 项整改措施需要处理"
    base = base_url()
    listed = [{"level": item.level, "text": item.measure.text, "reason": item.reason,
               "link": base + _path(item.measure)} for item in items[:limit]]
    text, html = mail.render("digest", name=user.name, total=len(items), items=listed, more=max(len(items) - limit, 0))
    return subject, text, html
