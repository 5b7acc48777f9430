"""The scheduled jobs: what each does, when it runs, and the record of every run.

A job is a function of the current time that polls the database and is idempotent; the
scheduler (process.py) and the 定时任务 page's "run now" both go through ``run_recorded``.
"""
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.core.timeutil import local_date, utcnow
from rectify.models import JobRun

log = logging.getLogger(__name__)


def job_reminders(now: datetime) -> dict:
    from rectify.reminders.run import run_reminders

    return run_reminders(local_date(now), now)


def job_outbox(now: datetime) -> dict:
    from rectify.reminders.outbox import send_outbox

    sent, failed = send_outbox(now)
    return {"sent": sent, "failed": failed}


def job_weekly_ledger(now: datetime) -> dict:
    from rectify.ledgers.scheduled import make_scheduled_ledger

    return make_scheduled_ledger("weekly", local_date(now), now)


def job_monthly_ledger(now: datetime) -> dict:
    from rectify.ledgers.scheduled import make_scheduled_ledger

    return make_scheduled_ledger("monthly", local_date(now), now)


def job_weekly_bulletin(now: datetime) -> dict:
    from rectify.reports.bulletin import make_weekly_bulletin

    return make_weekly_bulletin(local_date(now), now)


def job_cleanup(now: datetime) -> dict:
    """Files nothing refers to any more: evidence of a transaction that rolled back, leftovers."""
    from flask import current_app

    from rectify.models import Evidence
    from rectify.tracking.evidence import sweep

    referenced = set(db.session.scalars(sa.select(Evidence.sha256).distinct()))
    moment = now.replace(tzinfo=timezone.utc).timestamp()
    removed = sweep(referenced, moment)
    # Partial ledgers a stopped process left (a ledger being written is younger than a day).
    partials = [p for p in (Path(current_app.instance_path) / "ledgers").rglob("*.part")
                if p.is_file() and p.stat().st_mtime < moment - 24 * 3600]
    for partial in partials:
        partial.unlink(missing_ok=True)
    return {"evidence_removed": removed, **({"partial_ledgers_removed": len(partials)} if partials else {})}


def job_backup(now: datetime) -> dict:
    from rectify.backup.operations import scheduled_backup

    return scheduled_backup(now)


QUIET = {"outbox"}  # a run of these that did nothing is not kept
JOBS: dict[str, tuple[str, Callable]] = {
    "reminders": ("每日提醒", job_reminders),
    "outbox": ("发送待发消息", job_outbox),
    "weekly_ledger": ("每周台账（周一 08:00）", job_weekly_ledger),
    "monthly_ledger": ("每月台账（1日 08:00）", job_monthly_ledger),
    "weekly_bulletin": ("每周整改进展通报（周一 08:00）", job_weekly_bulletin),
    "backup": ("每日备份", job_backup),
    "cleanup": ("清理无用文件（每日 03:15）", job_cleanup),
}


def _count(words: str, n) -> str:
    return words.format(n) if n else ""


def run_in_words(name: str, summary: dict) -> str:
    """What a recorded run did, in a sentence an administrator reads (never the raw summary)."""
    from rectify.core.numbers import format_size
    from rectify.reminders.rules import rule_name

    summary = summary or {}
    if "error" in summary:
        return f"出错：{summary['error']}"
    if name == "reminders":
        if not summary.get("workday", True):
            return "非工作日，未发送提醒。"
        notices = summary.get("notices") or {}
        if not notices:
            return "今天没有需要提醒的事项。"
        parts = "、".join(f"{rule_name(rule)} {n} 条" for rule, n in notices.items())
        return f"提醒 {summary.get('recipients', 0)} 人（{parts}）" + _count("，发出邮件 {} 封", summary.get("sent")) + \
            _count("，{} 封未发出，稍后重试", summary.get("failed")) + "。"
    if name == "outbox":
        return f"发出 {summary.get('sent', 0)} 条" + _count("，{} 条未发出，稍后重试", summary.get("failed")) + "。"
    if name in ("weekly_ledger", "monthly_ledger", "weekly_bulletin"):
        made = f"已生成 {summary.get('file')}" if summary.get("made") else f"{summary.get('file')} 此前已生成，未重复生成"
        return made + _count("（{} 项措施）", summary.get("measures")) + _count("，发送邮件 {} 封", summary.get("emails")) + "。"
    if name == "backup":
        return (f"已备份到 {summary.get('file')}（{format_size(summary.get('size') or 0)}，用时 {summary.get('seconds')} 秒）"
                + _count("，删除较早的备份 {} 份", len(summary.get("removed") or [])) + "。")
    if name == "cleanup":
        removed = summary.get("evidence_removed") or 0
        words = f"删除无用的佐证文件 {removed} 个" if removed else "没有需要清理的文件"
        return words + _count("，删除未完成的台账文件 {} 个", summary.get("partial_ledgers_removed")) + "。"
    return "完成。"


def run_recorded(name: str) -> JobRun:
    """Run job ``name`` now and record the run; a failure is logged and recorded, never raised.

    The scheduler calls it under its lock; the 定时任务 page's "run now" calls it directly (the
    jobs are idempotent, so running one beside the scheduler sends nothing twice).
    """
    run = JobRun(job=name, started_at=utcnow())
    if name not in QUIET:  # shown as running while it runs
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
        if name in QUIET and not any(summary.values()):
            run.ok, run.finished_at, run.summary = True, utcnow(), summary
            return run  # every minute with nothing to send: not worth a line on the page
        run = db.session.merge(run)
        run.ok, run.finished_at, run.summary = True, utcnow(), summary
    db.session.commit()
    return run


def triggers(config) -> dict:
    """When each job runs (local time), from the settings: one table for the scheduler and the page."""
    # APScheduler loads in the scheduler and on the 定时任务 page only.
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    zone = config["TIMEZONE"]
    hour, minute = (int(part) for part in config["RECTIFY_REMIND_AT"].split(":"))
    found = {
        "reminders": CronTrigger(hour=hour, minute=minute, timezone=zone),
        "outbox": IntervalTrigger(minutes=1),
        "weekly_ledger": CronTrigger(day_of_week="mon", hour=8, timezone=zone),
        "monthly_ledger": CronTrigger(day=1, hour=8, timezone=zone),
        "weekly_bulletin": CronTrigger(day_of_week="mon", hour=8, timezone=zone),
        "cleanup": CronTrigger(hour=3, minute=15, timezone=zone),
    }
    if config["RECTIFY_BACKUP_AT"] != "off":
        hour, minute = (int(part) for part in config["RECTIFY_BACKUP_AT"].split(":"))
        found["backup"] = CronTrigger(hour=hour, minute=minute, timezone=zone)
    return found


def next_runs(app) -> dict[str, datetime | None]:
    """When each job will next run, computed from its trigger (the web process has no scheduler);
    None for a job that runs every few minutes or is switched off."""
    from apscheduler.triggers.cron import CronTrigger

    now = datetime.now(app.config["TIMEZONE"])
    return {name: trigger.get_next_fire_time(None, now) if isinstance(trigger, CronTrigger) else None
            for name, trigger in triggers(app.config).items()}
