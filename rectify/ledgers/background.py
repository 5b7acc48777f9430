"""Large ledgers, made in the background with their progress shown.

A ledger of more than ``RECTIFY_LEDGER_BACKGROUND_ROWS`` measures (100,000 take about half a
minute) is not made inside the request: a LedgerExport row is written and a worker thread of
this process makes the file, recording every 2,000 measures how far it has got. The
progress page reads that row, so whichever web process serves it can show it; the finished
file lands in the user's ledger folder like any other export.

One worker per process: ledgers queue behind one another rather than share the cores with
the pages people are waiting for. A user has at most one ledger queued or being made. A
job whose heartbeat (``updated_at``) is older than ``STALE`` was cut off by a stopped
process and is shown as interrupted.
"""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import MultiDict

from rectify.core.extensions import db
from rectify.core.timeutil import local_today, utcnow
from rectify.ledgers.export import export_ledger, ledger_title
from rectify.models import ExportState, LedgerExport, User
from rectify.tracking.filters import MeasureFilters

STALE = timedelta(minutes=10)
ACTIVE = (ExportState.QUEUED, ExportState.RUNNING)
FAILED = "生成台账时出错，请重新导出；如仍失败，请联系管理员查看日志。"
INTERRUPTED = "生成被中断（服务可能已重启），请重新导出。"


def init_app(app) -> None:
    app.extensions["rectify.ledger_worker"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")


def is_stale(job: LedgerExport) -> bool:
    return job.state in ACTIVE and job.updated_at < utcnow() - STALE


def active_job(user: User) -> Optional[LedgerExport]:
    """The user's ledger still queued or being made, if any."""
    jobs = db.session.scalars(
        sa.select(LedgerExport).where(LedgerExport.user_id == user.id, LedgerExport.state.in_(ACTIVE))
        .order_by(LedgerExport.id.desc())
    ).all()
    return next((job for job in jobs if not is_stale(job)), None)


def start(user: User, filters: MeasureFilters, total: int, folder: Path, filename: str) -> LedgerExport:
    """Record the job and hand it to this process's worker."""
    job = LedgerExport(user_id=user.id, query=urlencode(filters.to_args()), title=ledger_title(filters),
                       filename=filename, total=total)
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    app.extensions["rectify.ledger_worker"].submit(_run, app, job.id, folder / filename)
    return job


def _run(app, job_id: int, path: Path) -> None:
    with app.app_context():
        try:
            job = db.session.get(LedgerExport, job_id)
            filters = MeasureFilters.from_args(MultiDict(parse_qsl(job.query)))
            _record(job_id, state=ExportState.RUNNING)
            summary = export_ledger(filters, job.user, path, as_of=local_today(),
                                    progress=lambda written: _record(job_id, done=written))
        except Exception:
            app.logger.exception("ledger export %s failed", job_id)
            db.session.rollback()
            _record(job_id, state=ExportState.FAILED, error=FAILED, finished_at=utcnow())
        else:
            _record(job_id, state=ExportState.DONE, done=summary.measures, total=summary.measures,
                    finished_at=utcnow())
        finally:
            db.session.remove()


def _record(job_id: int, **values) -> None:
    """Write the job's state in a short transaction of its own, beside the export's reads."""
    with db.engine.begin() as connection:
        connection.execute(sa.update(LedgerExport).where(LedgerExport.id == job_id)
                           .values(updated_at=utcnow(), **values))


def describe(job: LedgerExport) -> dict:
    """What the progress page shows, as JSON for its script."""
    state, error = job.state, job.error
    if is_stale(job):
        state, error = ExportState.FAILED, INTERRUPTED
    percent = 100 if state is ExportState.DONE else (int(100 * job.done / job.total) if job.total else 0)
    if state is ExportState.QUEUED:
        message = "排队中，前面的台账生成后即开始。"
    elif state is ExportState.RUNNING:
        message = (f"已写入 {job.done} / {job.total} 项措施" if job.done < job.total
                   else "措施已全部写入，正在生成统计汇总并打包文件……")
    elif state is ExportState.DONE:
        message = f"已完成：共 {job.total} 项措施。"
    else:
        message = error or FAILED
    return {"id": job.id, "state": state.value, "label": state.label, "done": job.done, "total": job.total,
            "percent": percent, "message": message, "filename": job.filename}
