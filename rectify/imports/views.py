"""导入: upload a findings workbook, preview what it will do, confirm; history and undo."""
import io
import json
import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms import DateField, FileField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from rectify.core import uploads
from rectify.core.extensions import db
from rectify.core.forms import EmptyForm, Form
from rectify.core.timeutil import format_date, utcnow
from rectify.imports.headers import normalize_header
from rectify.imports.mapping import CHOICES, Mapping, MappingError
from rectify.imports.merge import show
from rectify.imports.operations import DOORS, BatchSpec, Resolution, UndoRefused, import_findings, undo_import
from rectify.imports.workbooks import build_template, mark_errors
from rectify.models import (
    Batch,
    ImportRecord,
    SourceKind,
)
from rectify.tracking.access import require
from rectify.tracking.evidence import EvidenceError, clean_filename
from rectify.tracking.permissions import can_supervise

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
def supervisors_only():
    require(can_supervise(current_user))


class UploadForm(Form):
    file = FileField("问题清单（.xlsx、.xls、.ods，或含表格的 Word 文档 .docx）")
    title = StringField("导入到批次", validators=[Length(max=200, message="批次名称最多 200 个字。")])
    kept_token = HiddenField()  # a file chosen before the form was refused: not chosen again
    kept_filename = HiddenField()
    kind = SelectField("来源", choices=SourceKind.choices())
    feedback_on = DateField("反馈日期（用于推定未写年份的时限）", validators=[Optional()])
    submit = SubmitField("上传并预览")


class ConfirmForm(Form):
    token = HiddenField()
    filename = HiddenField()
    title = HiddenField()
    kind = HiddenField()
    feedback_on = HiddenField()
    mapping = HiddenField()  # the column mapping the preview was made with (JSON), if the user set one
    submit = SubmitField("确认导入")


SHOWN = 300  # rows of each merge section the preview lists; the rest go with the section's "all" choice
PAGE = 50  # problems per page of the row-by-row preview
CONFLICT_KEY = re.compile(r"^[mp]\d{1,12}\.[a-z_]{1,30}$")


def _resolution(form) -> Resolution:
    """The preview's choices: conflicts taking the sheet's value (one by one or all), 已完成/待审核
    measures to update, measures no longer listed to delete."""
    def ids(name):
        return frozenset(int(v) for v in form.getlist(name) if v.isdigit() and len(v) < 13)

    def chosen(prefix, longest):
        return {key[len(prefix):]: value.strip() for key, value in form.items()
                if key.startswith(prefix) and value.strip() and len(value) <= longest and len(key) <= longest + 10}

    return Resolution(
        people=chosen("person:", 64), units=chosen("unit:", 100),
        on_conflict="sheet" if form.get("sheet_all") else "keep",
        sheet=frozenset(v for v in form.getlist("sheet") if CONFLICT_KEY.match(v)),
        include_protected=bool(form.get("include_all")), include=ids("include"),
        delete_missing=bool(form.get("delete_all")), delete=ids("delete"),
    )


def _spec(title, kind, feedback_on) -> BatchSpec:
    return BatchSpec((title or "").strip(), SourceKind(kind), feedback_on)


def _history():
    return db.session.scalars(
        sa.select(ImportRecord).options(sa.orm.joinedload(ImportRecord.batch), sa.orm.joinedload(ImportRecord.created_by))
        .order_by(ImportRecord.created_at.desc()).limit(50)
    ).all()


def _index(form, status=200):
    titles = db.session.scalars(sa.select(Batch.title).order_by(Batch.created_at.desc())).all()
    return render_template("imports/index.html", form=form, records=_history(), titles=titles, doors=DOORS,
                           button=EmptyForm(formdata=None)), status


@bp.route("/", methods=["GET"])
def index():
    return _index(UploadForm(formdata=None))


@bp.route("/", methods=["POST"])
def upload():
    form = UploadForm()
    upload = form.file.data
    chosen = upload is not None and bool(getattr(upload, "filename", ""))
    try:
        if chosen:
            filename, data = clean_filename(upload.filename), upload.read()
            token = uploads.keep(data)
        elif uploads.kept(form.kept_token.data):
            token, filename = form.kept_token.data, clean_filename(form.kept_filename.data or "")
            data = uploads.path_for(token).read_bytes()
        else:
            filename = data = token = None
    except EvidenceError as error:
        form.file.errors = [str(error)]
        return _index(form, 400)
    valid = form.validate_on_submit()
    if token is None:
        form.file.errors = [*form.file.errors, "请选择要导入的文件。"]
    if not valid or token is None:
        if token is not None:  # the file stays chosen: the user corrects the form, not the upload
            form.kept_token.data, form.kept_filename.data = token, filename
        return _index(form, 400)
    spec = _spec(form.title.data, form.kind.data, form.feedback_on.data)
    report = import_findings(data, filename, spec, by=current_user._get_current_object(), via="web")
    db.session.rollback()  # a preview writes nothing
    return _preview(report, token, filename, BatchSpec(report.batch or spec.title, spec.kind, spec.feedback_on), page=1)



@bp.route("/remap", methods=["POST"])
def remap():
    """The preview again with the columns' fields and the header row the user chose (or the
    importer's own reading), without uploading the file again; nothing is written."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    filename, spec = _kept(form.filename.data, form.title.data, form.kind.data, form.feedback_on.data)
    mapping = _mapping_from(request.form)
    data = uploads.path_for(form.token.data).read_bytes()
    report = import_findings(data, filename, spec, by=current_user._get_current_object(), via="web", mapping=mapping)
    db.session.rollback()
    return _preview(report, form.token.data, filename, spec, page=1, mapping=mapping)


def _mapping_from(form) -> Mapping:
    """The preview's column choices: ``field:<header>`` selects and ``header_row:<sheet>`` numbers
    (sent only when changed), or ``automatic`` for the importer's own reading."""
    if form.get("automatic"):
        return Mapping(automatic=True)
    columns = {key[6:]: value for key, value in form.items() if key.startswith("field:") and value}
    rows = {}
    for key, value in form.items():
        if key.startswith("header_row:") and value.strip() and value.strip() != form.get("header_row_was:" + key[11:]):
            rows[key[11:]] = value.strip()
    try:
        return Mapping.from_json(json.dumps({"columns": columns, "header_rows": rows}, ensure_ascii=False))
    except MappingError as error:
        abort(400, description=str(error))


def _kept(filename, title, kind, feedback_on) -> tuple[str, BatchSpec]:
    """The file name and batch of a kept upload, as a form or a link carries them."""
    try:
        return clean_filename(filename or ""), _spec((title or "").replace("\x00", "")[:200] or "（预览）", kind or "other",
                                                     date.fromisoformat(feedback_on) if feedback_on else None)
    except (EvidenceError, ValueError):
        abort(400)


def _preview(report, token, filename, spec, page, mapping=None):
    mapping = mapping or Mapping()
    confirm = ConfirmForm(formdata=None, token=token, filename=filename, title=spec.title, kind=spec.kind.value,
                          feedback_on=spec.feedback_on.isoformat() if spec.feedback_on else "",
                          mapping=mapping.as_json() if mapping else "")
    markable = filename.lower().endswith((".xlsx", ".xlsm")) and any(e.names_a_cell for e in report.errors)
    pages = max(1, -(-len(report.parsed) // PAGE))
    page = min(max(page, 1), pages)
    here = dict(token=token, filename=filename, title=spec.title, kind=spec.kind.value,
                feedback_on=spec.feedback_on.isoformat() if spec.feedback_on else "",
                mapping=mapping.as_json() if mapping else "")
    return render_template("imports/preview.html", report=report, confirm=confirm, filename=filename,
                           token=token, markable=markable, spec=spec, show=show, shown=SHOWN,
                           rows=report.parsed[(page - 1) * PAGE:page * PAGE], page=page, pages=pages, here=here,
                           deadline_read=deadline_read, choices=CHOICES, normalize_header=normalize_header,
                           ), 400 if report.errors else 200


def deadline_read(deadline) -> str:
    """A deadline as written → the date it means (or 立行立改 / 长期坚持 / 未定)."""
    meaning = "，".join([*(["立行立改"] if deadline.is_immediate else []),
                        *([format_date(deadline.due_on)] if deadline.due_on else []),
                        *(["长期坚持"] if deadline.is_long_term else [])]) or "未定"
    text = (deadline.text or "").strip()
    return f"{text} → {meaning}" if text and text != meaning else meaning


@bp.route("/preview/<token>")
def preview_page(token):
    """Another page of an upload's row-by-row preview (the file is read again; nothing is written)."""
    args = request.args
    filename, spec = _kept(args.get("filename"), args.get("title"), args.get("kind"), args.get("feedback_on"))
    mapping = _mapping(args.get("mapping"))
    data = uploads.path_for(token).read_bytes()
    report = import_findings(data, filename, spec, by=current_user._get_current_object(), via="web", mapping=mapping)
    db.session.rollback()
    return _preview(report, token, filename, spec, page=args.get("page", 1, type=int), mapping=mapping)


def _mapping(text) -> Mapping:
    try:
        return Mapping.from_json(text)
    except MappingError as error:
        abort(400, description=str(error))


@bp.route("/confirm", methods=["POST"])
def confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    path = uploads.path_for(form.token.data)
    data = path.read_bytes()
    try:
        filename = clean_filename(form.filename.data)
        kind = SourceKind(form.kind.data)
        feedback_on = date.fromisoformat(form.feedback_on.data) if form.feedback_on.data else None
    except (EvidenceError, ValueError):
        abort(400)
    user = current_user._get_current_object()
    report = import_findings(data, filename, BatchSpec(form.title.data.strip(), kind, feedback_on), by=user, via="web",
                             resolution=_resolution(request.form), mapping=_mapping(form.mapping.data))
    if report.errors:
        db.session.rollback()
        flash("文件已有错误，未导入。请重新上传并查看预览。", "danger")
        return redirect(url_for("imports.index"))
    batch_id = db.session.get(ImportRecord, report.record_id).batch_id
    db.session.commit()
    path.unlink(missing_ok=True)
    kept = sum(c["taken"] == "system" for c in report.conflicts)
    deleted = sum(m["deleted"] for m in report.missing)
    flash(f"已导入“{filename}”：新建问题 {report.created['problems']} 个、措施 {report.created['measures']} 项，"
          f"更新措施 {report.updated['measures']} 项，未变 {report.unchanged['measures']} 项"
          + (f"，保留系统中已修改的字段 {kept} 处" if kept else "")
          + (f"，未更新已完成或待审核的措施 {len(report.held)} 项" if report.held else "")
          + (f"，删除表中已无的措施 {deleted} 项" if deleted else "") + "。", "success")
    return redirect(url_for("board.board", batch=batch_id))


@bp.route("/<int:record_id>/undo", methods=["POST"])
def undo(record_id):
    record = db.get_or_404(ImportRecord, record_id, description="未找到该导入记录。")
    EmptyForm().validate_on_submit()
    try:
        removed = undo_import(record, current_user._get_current_object(), utcnow())
    except UndoRefused as refused:
        db.session.rollback()
        flash(str(refused), "danger")
        return _index(UploadForm(formdata=None), 409)
    db.session.commit()
    reverted = len((record.changes or {}).get("fields", []))
    flash(f"已撤销“{record.filename}”的导入：删除新建措施 {removed} 项，还原更新的字段 {reverted} 处。", "success")
    return redirect(url_for("imports.index"))


@bp.route("/template.xlsx")
def template():
    return send_file(io.BytesIO(build_template()), mimetype=XLSX, as_attachment=True,
                     download_name="整改台账标准模板.xlsx")


@bp.route("/marked/<token>")
def marked(token):
    """The refused workbook back, with each bad cell filled and its reason in a comment."""
    data = uploads.path_for(token).read_bytes()
    report = import_findings(data, "标注.xlsx", BatchSpec("（预览）"), by=None, via="web")
    db.session.rollback()
    cells = [finding for finding in report.errors if finding.names_a_cell]
    if not cells:  # refused as a whole (too large, damaged...): openpyxl must not open it
        abort(404)
    return send_file(io.BytesIO(mark_errors(data, cells)), mimetype=XLSX, as_attachment=True,
                     download_name="问题清单（已标注错误）.xlsx")
