"""台账: export the ledger of what a board or list shows, and download ledgers made before."""
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import FileField, HiddenField, SubmitField

from rectify.core import uploads
from rectify.core.extensions import db
from rectify.core.forms import Form
from rectify.core.timeutil import local_today
from rectify.core.titles import joined
from rectify.imports.reader import Limits
from rectify.ledgers import background
from rectify.ledgers.export import export_ledger, ledger_title
from rectify.ledgers.roundtrip import apply_changes, read_changes
from rectify.models import LedgerExport
from rectify.tracking.evidence import EvidenceError, clean_filename
from rectify.tracking.filters import MeasureFilters
from rectify.tracking.workflow import WorkflowError

bp = Blueprint("ledgers", __name__, url_prefix="/ledger")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAFE_NAME = re.compile(r"^[\w\-（）()\u4e00-\u9fff]+\.xlsx$")


def user_folder() -> Path:
    """Each user's exports are theirs: they hold what that user may see."""
    return Path(current_app.instance_path) / "ledgers" / "users" / str(current_user.id)


@bp.route("/")
def index():
    folder = user_folder()
    files = []
    if folder.exists():
        for path in sorted(folder.glob("*.xlsx"), key=lambda p: p.stat().st_mtime, reverse=True)[:100]:
            stat = path.stat()
            files.append({"name": path.name, "size": stat.st_size, "made": datetime.fromtimestamp(stat.st_mtime, timezone.utc)})
    from rectify.ledgers.scheduled import listing
    from rectify.reports import bulletin
    from rectify.tracking.permissions import can_read_bulletins, can_supervise

    scheduled = listing() if can_supervise(current_user) else []
    bulletins = bulletin.listing() if can_read_bulletins(current_user) else None
    jobs = db.session.scalars(sa.select(LedgerExport).where(LedgerExport.user_id == current_user.id)
                              .order_by(LedgerExport.id.desc()).limit(5)).all()
    return render_template("ledgers/index.html", files=files, scheduled=scheduled, bulletins=bulletins,
                           jobs=[(job, background.describe(job)) for job in jobs])


@bp.route("/scheduled/<name>")
def scheduled(name):
    """A weekly or monthly ledger (督办员): it holds every unit's measures."""
    from rectify.ledgers.scheduled import folder
    from rectify.tracking.access import require
    from rectify.tracking.permissions import can_supervise

    require(can_supervise(current_user))
    if not SAFE_NAME.match(name) or not (folder() / name).is_file():
        abort(404, description="未找到该台账文件。")
    return send_file(folder() / name, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


def _file_name(filters: MeasureFilters) -> str:
    name = f"{joined(ledger_title(filters), '整改台账')}-{datetime.now(current_app.config['TIMEZONE']):%Y%m%d-%H%M%S}.xlsx"
    return re.sub(r"[^\w\-（）()\u4e00-\u9fff.]", "", name)


class BackgroundExportForm(Form):
    query = HiddenField()
    submit = SubmitField("开始生成")


@bp.route("/export")
def export():
    """The ledger of exactly the measures the current filters show, kept and sent; a large
    one is offered for making in the background instead (see ``ledger.background``)."""
    filters = MeasureFilters.from_args(request.args)
    today = local_today()
    total = filters.count(current_user, today, current_app.config["RECTIFY_DUE_SOON_DAYS"])
    if total > current_app.config["RECTIFY_LEDGER_BACKGROUND_ROWS"]:
        form = BackgroundExportForm(formdata=None, query=urlencode(filters.to_args()))
        return render_template("ledgers/start.html", form=form, total=total, title=ledger_title(filters),
                               running=background.active_job(current_user))
    name = _file_name(filters)
    path = user_folder() / name
    export_ledger(filters, current_user._get_current_object(), path, as_of=today)
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


@bp.route("/exports", methods=["POST"])
def start_export():
    """Make a ledger in the background; a user has one at a time."""
    form = BackgroundExportForm()
    if not form.validate_on_submit() or "query" not in request.form:
        abort(400, description="导出请求无效，请回到看板重新导出。")
    filters = MeasureFilters.from_args(MultiDict(parse_qsl(form.query.data or "")))
    running = background.active_job(current_user)
    if running is not None:
        flash("您已有一份台账正在生成，请等它完成后再导出。", "warning")
        return redirect(url_for("ledgers.export_progress", job_id=running.id), 303)
    total = filters.count(current_user, local_today(), current_app.config["RECTIFY_DUE_SOON_DAYS"])
    job = background.start(current_user._get_current_object(), filters, total, user_folder(), _file_name(filters))
    return redirect(url_for("ledgers.export_progress", job_id=job.id), 303)


@bp.route("/exports/<int:job_id>")
def export_progress(job_id):
    """How far a background ledger has got: a page, or JSON for the page's script (?format=json)."""
    job = db.session.get(LedgerExport, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404, description="未找到该台账导出任务。")
    state = background.describe(job)
    if request.args.get("format") == "json":
        if state["state"] == "done":
            state["download"] = url_for("ledgers.download", name=job.filename)
        return jsonify(state), 200, {"Cache-Control": "no-store"}
    return render_template("ledgers/progress.html", job=job, state=state)


@bp.route("/files/<name>")
def download(name):
    if not SAFE_NAME.match(name):
        abort(404, description="未找到该台账文件。")
    path = user_folder() / name
    if not path.is_file():
        abort(404, description="未找到该台账文件。")
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


class LedgerUploadForm(Form):
    file = FileField("填写好的整改台账（本系统导出的 .xlsx）")
    submit = SubmitField("上传并预览")


class LedgerConfirmForm(Form):
    token = HiddenField()
    filename = HiddenField()
    submit = SubmitField("确认更新")


def _changes(data, filename):
    return read_changes(data, filename, current_user._get_current_object(), Limits.from_config(current_app.config))


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    """An exported ledger, filled in offline, comes back: preview the progress it brings."""
    form = LedgerUploadForm()
    if not form.is_submitted():
        return render_template("ledgers/upload.html", form=form)
    upload = form.file.data
    if not form.validate_on_submit() or upload is None or not getattr(upload, "filename", ""):
        form.file.errors = ["请选择要上传的台账文件。"]
        return render_template("ledgers/upload.html", form=form), 400
    try:
        filename = clean_filename(upload.filename)
    except EvidenceError as error:
        form.file.errors = [str(error)]
        return render_template("ledgers/upload.html", form=form), 400
    data = upload.read()
    result = _changes(data, filename)
    confirm = LedgerConfirmForm(formdata=None, token=uploads.keep(data), filename=filename)
    status = 400 if result.errors else 200
    return render_template("ledgers/preview.html", result=result, confirm=confirm, filename=filename), status


@bp.route("/upload/confirm", methods=["POST"])
def confirm_upload():
    form = LedgerConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    path = uploads.path_for(form.token.data)
    try:
        filename = clean_filename(form.filename.data)
    except EvidenceError:
        abort(400)
    result = _changes(path.read_bytes(), filename)
    if result.errors:
        abort(400)
    try:
        applied = apply_changes(result, current_user._get_current_object())
        db.session.commit()
    except WorkflowError as refused:
        db.session.rollback()
        flash(f"未更新：{refused.message}", "danger")
        return redirect(url_for("ledgers.upload"))
    path.unlink(missing_ok=True)
    skipped = f"，{len(result.refused)} 行未应用" if result.refused else ""
    flash(f"已按台账更新 {applied} 项措施的整改进展{skipped}。", "success")
    return redirect(url_for("board.measure_list", sort="updated"))
