"""整改进展通报: how the work went over a period (a week by default), per batch or for everything.

The figures (rectify.tracking.counts, as the dashboard counts them), the units ranked by overdue
and then unfinished measures, the measures signed off in the period, those that fell overdue in
it, and the extensions granted in it. ``bulletin_data`` reads it in a fixed number of statements
whatever the data; ``build_bulletin`` writes it as Word; the page shows the same data.

Every Monday the scheduler makes the week's bulletin of everything, keeps it under
<instance>/reports/bulletins/ (written once, never rewritten) and e-mails it through the outbox
to 督办员 and 责任领导, each under a unique key: a rerun sends nothing twice.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Optional, Union

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from rectify.core import mail
from rectify.core.extensions import db
from rectify.core.files import create_private_file, private_folder
from rectify.core.timeutil import format_date, local_date, utc_start
from rectify.core.titles import joined
from rectify.models import (
    Batch,
    Delivery,
    Department,
    ExtensionRequest,
    ExtensionStatus,
    Measure,
    Problem,
    ProgressUpdate,
    Role,
    UpdateKind,
    User,
)
from rectify.tracking.counts import Figures, figures_for, headline, rate_text
from rectify.tracking.status import live_clause, overdue_clause

LISTED = 100  # items per list; the rest are counted
WEEK = 7


@dataclass
class Item:
    unit: str
    measure: str
    problem: str
    on: str = ""  # the day it happened
    detail: str = ""


@dataclass
class BulletinData:
    title: str
    org: str
    first_day: date  # the period: first_day … as_of, both included
    as_of: date
    figures: Figures
    units: list[tuple[str, Figures]]
    finished: list[Item] = field(default_factory=list)
    fell_overdue: list[Item] = field(default_factory=list)
    extended: list[Item] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # finished, fell_overdue, extended: full counts


def bulletin_data(batch: Optional[Batch], as_of: date, days: int = WEEK, org: str = "") -> BulletinData:
    """The bulletin of ``batch`` (None: everything) for the ``days`` days ending with ``as_of``."""
    first_day = as_of - timedelta(days=days - 1)
    conditions = [live_clause()]
    if batch is not None:
        conditions.append(Measure.problem_id.in_(sa.select(Problem.id).where(Problem.batch_id == batch.id)))
    scope = ("batch", batch.id if batch else None)
    figures = figures_for(conditions, None, as_of, None, *scope).get(None, Figures())
    by_unit = figures_for(conditions, "unit", as_of, None, *scope)
    names = dict(db.session.execute(sa.select(Department.id, Department.name)
                                    .where(Department.id.in_([u for u in by_unit if u] or [0]))).all())
    units = sorted(((names.get(unit_id, "未定"), f) for unit_id, f in by_unit.items()),
                   key=lambda item: (-item[1].overdue, -(item[1].measures - item[1].finished), item[0]))
    start, end = utc_start(first_day), utc_start(as_of + timedelta(days=1))
    unit = aliased(Department)

    def listed(select, make):
        rows = db.session.execute(select.limit(LISTED)).all()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
        return [make(row) for row in rows], total

    def measures(*columns):
        return (sa.select(unit.name, Measure.text, Problem.description, *columns)
                .select_from(Measure).join(Problem, Problem.id == Measure.problem_id)
                .outerjoin(unit, unit.id == Measure.lead_unit_id).where(*conditions))

    finished, finished_total = listed(
        measures(ProgressUpdate.created_at, ProgressUpdate.kind).join(ProgressUpdate, ProgressUpdate.measure_id == Measure.id)
        .where(ProgressUpdate.kind.in_((UpdateKind.APPROVED, UpdateKind.STAGE_DONE)),
               ProgressUpdate.created_at >= start, ProgressUpdate.created_at < end)
        .order_by(ProgressUpdate.created_at, ProgressUpdate.id),
        lambda r: Item(r[0] or "未定", r[1], r[2], format_date(local_date(r[3])),
                       "阶段性完成" if r[4] is UpdateKind.STAGE_DONE else "销号"))
    fell_overdue, overdue_total = listed(
        measures(Measure.due_on).where(overdue_clause(as_of), Measure.due_on >= first_day - timedelta(days=1))
        .order_by(Measure.due_on, Measure.id),
        lambda r: Item(r[0] or "未定", r[1], r[2], format_date(r[3]), f"逾期{(as_of - r[3]).days}天"))
    extended, extended_total = listed(
        measures(ExtensionRequest.decided_at, ExtensionRequest.old_due_on, ExtensionRequest.new_due_on,
                 ExtensionRequest.reason).join(ExtensionRequest, ExtensionRequest.measure_id == Measure.id)
        .where(ExtensionRequest.status == ExtensionStatus.APPROVED, ExtensionRequest.decided_at >= start,
               ExtensionRequest.decided_at < end)
        .order_by(ExtensionRequest.decided_at, ExtensionRequest.id),
        lambda r: Item(r[0] or "未定", r[1], r[2], format_date(local_date(r[3])),
                       f"{format_date(r[4]) or '未定'} → {format_date(r[5])}；理由：{r[6]}"))
    title = joined(batch.title, "整改进展通报") if batch else "整改进展通报"
    return BulletinData(title=title, org=org, first_day=first_day, as_of=as_of, figures=figures, units=units,
                        finished=finished, fell_overdue=fell_overdue, extended=extended,
                        counts={"finished": finished_total, "fell_overdue": overdue_total, "extended": extended_total})


def period_text(data: BulletinData) -> str:
    return f"{format_date(data.first_day)}至{format_date(data.as_of)}"


def summary_text(data: BulletinData) -> str:
    c = data.counts
    return (f"截至{format_date(data.as_of)}，{headline(data.figures)}"
            f"{period_text(data)}，新完成整改措施{c['finished']}条，新增逾期{c['fell_overdue']}条，"
            f"批准延期{c['extended']}条。")


UNIT_HEADINGS = ["排名", "责任单位", "措施数", "已完成", "未完成", "逾期", "完成率", "问题数", "已整改到位"]


def unit_rows(data: BulletinData) -> list[list]:
    return [[str(rank), name, str(f.measures), str(f.finished), str(f.measures - f.finished), str(f.overdue),
             rate_text(f.measure_rate), str(f.problems), str(f.closed)]
            for rank, (name, f) in enumerate(data.units, start=1)]


def _more(listed: int, total: int) -> str:
    return f"（另有{total - listed}条未列出，详见系统。）" if total > listed else ""


def build_bulletin(data: BulletinData, out: Union[str, Path, BinaryIO], template: Optional[Path] = None) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from rectify.reports.word import OfficialDocument, number  # python-docx: loaded when a document is made

    doc = OfficialDocument(template)
    doc.title(data.title)
    doc.paragraph(f"（{period_text(data)}）", "公文落款").alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.heading(1, f"{number(1, 1)}总体情况")
    doc.paragraph(summary_text(data))
    doc.heading(1, f"{number(1, 2)}各单位整改进展")
    doc.paragraph("按逾期措施数、未完成措施数排序。")
    doc.table([UNIT_HEADINGS, *unit_rows(data)], [12, 44, 16, 16, 16, 14, 18, 16, 20])
    sections = [
        ("本期完成的整改措施", data.finished, data.counts["finished"], ["序号", "责任单位", "整改措施", "完成日期", "审核"]),
        ("本期新增逾期的整改措施", data.fell_overdue, data.counts["fell_overdue"],
         ["序号", "责任单位", "整改措施", "整改时限", "逾期"]),
        ("本期批准延期的整改措施", data.extended, data.counts["extended"], ["序号", "责任单位", "整改措施", "批准日期", "延期情况"]),
    ]
    for index, (heading, items, total, headings) in enumerate(sections, start=3):
        doc.heading(1, f"{number(1, index)}{heading}")
        if not items:
            doc.paragraph("无。")
            continue
        doc.table([headings, *([str(i), item.unit, item.measure, item.on, item.detail]
                               for i, item in enumerate(items, start=1))], [12, 30, 82, 26, 26])
        if total > len(items):
            doc.paragraph(_more(len(items), total))
    doc.signature(data.org, format_date(data.as_of))
    doc.save(out)


def folder() -> Path:
    return Path(current_app.instance_path) / "reports" / "bulletins"


def file_name(as_of: date) -> str:
    return f"整改进展通报-{as_of:%Y%m%d}.docx"


def make_weekly_bulletin(today: date, now: datetime) -> dict:
    """The week's bulletin of everything, made once, and queued for 督办员 and 责任领导 at ``now``."""
    from rectify.reports.operations import org_name, template

    name = file_name(today)
    path = folder() / name
    made = not path.exists()
    data = None
    if made:
        data = bulletin_data(None, today, WEEK, org_name())
        private_folder(path.parent)
        partial = path.with_name(path.name + ".part")
        partial.unlink(missing_ok=True)
        create_private_file(partial)
        build_bulletin(data, str(partial), template())
        partial.replace(path)
    queued = 0
    if current_app.config["SMTP_HOST"]:
        readers = db.session.scalars(sa.select(User).where(
            User.role.in_((Role.SUPERVISOR, Role.LEADER)), User.is_active, User.email.is_not(None))).all()
        keys = {f"bulletin:{name}:{user.id}": user for user in readers}
        known = set(db.session.scalars(sa.select(Delivery.key).where(Delivery.key.in_(list(keys) or [""]))))
        if keys.keys() - known and data is None:
            data = bulletin_data(None, today, WEEK, org_name())
        for key, user in keys.items():
            if key in known:
                continue
            text, html = mail.render("bulletin", name=user.name, as_of=today, summary=summary_text(data))
            db.session.add(Delivery(
                user=user, channel="email", key=key, attachment=str(path.relative_to(current_app.instance_path)),
                subject=f"【整改进展通报】截至{format_date(today)}", body=text, html=html,
                created_at=now, next_attempt_at=now))
            queued += 1
        db.session.commit()
    return {"file": name, "made": made, "emails": queued}


def listing() -> list[dict]:
    if not folder().exists():
        return []
    return [{"name": p.name, "size": p.stat().st_size}
            for p in sorted(folder().glob("*.docx"), key=lambda p: p.name, reverse=True)]
