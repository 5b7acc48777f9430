"""Report pages and downloads; each reads through rectify.reports and sends what it built."""
import io
import re

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user

from rectify.core.numbers import whole_number
from rectify.core.timeutil import local_today
from rectify.reports import bulletin, operations
from rectify.reports.signoff import (
    REVIEWER_SIGNATURE,
    SIGNATURE,
    build_signoff,
    measure_lines,
    opinion_lines,
    signoff_data,
)
from rectify.tracking.access import get_batch, get_problem, require
from rectify.tracking.counts import long_term_closes
from rectify.tracking.permissions import can_read_bulletins, can_report, visible_measures
from rectify.tracking.tickets import problem_load

bp = Blueprint("reports", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SAFE_NAME = re.compile(r"^整改进展通报-\d{8}\.docx$")


def _send(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype=DOCX, as_attachment=True, download_name=name, max_age=0)


def _file_name(title: str, suffix: str = "") -> str:
    return re.sub(r"[^\w\-（）()\u4e00-\u9fff.]", "", f"{title}{suffix}") + ".docx"


@bp.route("/batches/<int:batch_id>/report.docx")
def report_docx(batch_id):
    """整改情况报告 of a batch, as Word."""
    require(can_report(current_user))
    batch = get_batch(batch_id)
    out = io.BytesIO()
    data = operations.write_report(batch, out, local_today())
    return _send(out.getvalue(), _file_name(data.title, f"（{local_today():%Y%m%d}）"))


def _bulletin_args():
    """The bulletin's batch (optional) and number of days (1 to 366, default 7) from the URL."""
    require(can_read_bulletins(current_user))
    batch_id = whole_number(request.args.get("batch", "").strip() or "0")
    days = whole_number(request.args.get("days", "").strip() or str(bulletin.WEEK), maximum=366)
    if batch_id is None or not days:
        abort(400, description="通报的批次或天数无效（天数为 1 至 366）。")
    return (get_batch(batch_id) if batch_id else None), days


@bp.route("/reports/bulletin")
def bulletin_page():
    batch, days = _bulletin_args()
    data = bulletin.bulletin_data(batch, local_today(), days, operations.org_name())
    return render_template("reports/bulletin.html", data=data, batch=batch, days=days,
                           summary=bulletin.summary_text(data), headings=bulletin.UNIT_HEADINGS,
                           unit_rows=bulletin.unit_rows(data), period=bulletin.period_text(data),
                           files=bulletin.listing())


@bp.route("/reports/bulletin.docx")
def bulletin_docx():
    batch, days = _bulletin_args()
    data = bulletin.bulletin_data(batch, local_today(), days, operations.org_name())
    out = io.BytesIO()
    bulletin.build_bulletin(data, out, operations.template())
    return _send(out.getvalue(), _file_name(data.title, f"（{local_today():%Y%m%d}）"))


@bp.route("/reports/bulletins/<name>")
def bulletin_file(name):
    """A weekly bulletin the scheduler made."""
    require(can_read_bulletins(current_user))
    if not SAFE_NAME.match(name) or not (bulletin.folder() / name).is_file():
        abort(404, description="未找到该通报文件。")
    return send_file(bulletin.folder() / name, mimetype=DOCX, as_attachment=True, download_name=name, max_age=0)


def _signoff(problem_id):
    problem = get_problem(problem_id, options=problem_load())
    measures = [m for m in visible_measures(current_user, problem)]
    return problem, signoff_data(problem, measures, long_term_closes())


def _unit(problem) -> str:
    return problem.lead_unit.name if problem.lead_unit else (operations.org_name() or "　" * 8)


@bp.route("/problems/<int:problem_id>/signoff")
def signoff(problem_id):
    """问题整改销号审批表, a page to print on A4."""
    problem, data = _signoff(problem_id)
    return render_template("reports/signoff.html", problem=problem, data=data, unit=_unit(problem),
                           measures=measure_lines(data),
                           unit_opinion=opinion_lines(data.unit_opinion, SIGNATURE, "申请人"),
                           supervisor_opinion=opinion_lines(data.supervisor_opinion, REVIEWER_SIGNATURE, "审核人"))


@bp.route("/problems/<int:problem_id>/signoff.docx")
def signoff_docx(problem_id):
    problem, data = _signoff(problem_id)
    out = io.BytesIO()
    build_signoff(data, out, _unit(problem), operations.template())
    return _send(out.getvalue(), _file_name(f"问题整改销号审批表-{problem.number or problem.id}"))
