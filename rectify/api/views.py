"""The API's routes: reads within the token owner's scope, writes through the workflow."""
from datetime import date

import sqlalchemy as sa
from flask import current_app, g, jsonify, request
from sqlalchemy.orm import joinedload, selectinload

from rectify.api.base import ApiError, bp
from rectify.api.openapi import document
from rectify.core.extensions import db
from rectify.core.numbers import DATABASE_MAX, MAX_PAGE, whole_number
from rectify.core.timeutil import local_today
from rectify.models import Batch, Measure, Problem
from rectify.tracking import workflow
from rectify.tracking.counts import Figures, batch_figures, figures_for
from rectify.tracking.filters import MeasureFilters
from rectify.tracking.permissions import batch_scope, can_view_measure, visible_measures
from rectify.tracking.status import deadline_label, warning_for

PAGE_SIZE = 50


def measure_load():
    """A measure's unit and people, loaded with it; built on use (see tracking.board.card_load)."""
    return joinedload(Measure.lead_unit), selectinload(Measure.owners), selectinload(Measure.leaders)


def body(allowed: dict) -> dict:
    """The JSON object of the request, checked against ``allowed`` (field → type); else 400."""
    data = request.get_json(silent=True) if request.data else {}
    if data is None or not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "请求内容应为 JSON 对象。")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ApiError(400, "unknown_field", f"不支持的字段：{'、'.join(unknown)}。")
    for name, kind in allowed.items():
        if name in data and data[name] is not None and not isinstance(data[name], kind) or \
                (kind is int and isinstance(data.get(name), bool)):
            raise ApiError(400, "invalid_field", f"字段“{name}”的类型不正确。")
    # PostgreSQL cannot store a NUL in text: a client's NUL characters are dropped, not a server error.
    return {name: value.replace("\x00", "") if isinstance(value, str) else value for name, value in data.items()}


def version(data: dict):
    """The version the client saw: If-Match header or the ``version`` field."""
    header = request.headers.get("If-Match", "").strip('"W/ ')
    if header:
        version = whole_number(header)
        if version is None:
            raise ApiError(400, "invalid_field", "If-Match 应为措施的版本号。")
        return version
    return data.get("version")


def measure_json(m: Measure, today: date) -> dict:
    return {
        "id": m.id, "problem_id": m.problem_id, "version": m.version, "text": m.text, "goal": m.goal,
        "status": m.status.value, "status_label": m.status.label,
        "warning": warning_for(m, today, current_app.config["RECTIFY_DUE_SOON_DAYS"]).value,
        "due_on": m.due_on.isoformat() if m.due_on else None,
        "original_due_on": m.original_due_on.isoformat() if m.original_due_on else None,
        "deadline": deadline_label(m), "is_immediate": m.is_immediate, "is_long_term": m.is_long_term,
        "lead_unit": m.lead_unit.name if m.lead_unit else None,
        "owners": [p.name for p in m.owners], "leaders": [p.name for p in m.leaders],
        "acknowledged": m.acknowledged_at is not None,
        "completed_on": m.completed_on.isoformat() if m.completed_on else None,
        "actions": sorted(workflow.available_actions(m, g.api_user)),
    }


def load_measure(measure_id: int) -> Measure:
    measure = db.session.get(Measure, measure_id)
    if measure is None or measure.deleted_at is not None or measure.problem.deleted_at is not None \
            or not can_view_measure(g.api_user, measure):
        raise ApiError(404, "not_found", "未找到该整改措施。")
    return measure


@bp.route("/openapi.json")
def openapi():
    return jsonify(document())


@bp.route("/me")
def me():
    user = g.api_user
    return jsonify({"id": user.id, "username": user.username, "name": user.name, "role": user.role.value,
                    "department": user.department.name if user.department else None})


@bp.route("/batches")
def batches():
    """The batches, each with its figures by problem and by measure (as the dashboard counts them)."""
    rows = db.session.scalars(sa.select(Batch).where(batch_scope(g.api_user))
                              .order_by(Batch.created_at.desc(), Batch.id.desc())).all()
    figures = batch_figures(g.api_user, local_today())
    return jsonify({"items": [{"id": b.id, "kind": b.kind.value, "title": b.title, "issuer": b.issuer,
                               "doc_number": b.doc_number,
                               "feedback_on": b.feedback_on.isoformat() if b.feedback_on else None,
                               "figures": figures.get(b.id, Figures()).as_json()} for b in rows]})


@bp.route("/measures")
def measures():
    filters = MeasureFilters.from_args(request.args)
    page = whole_number(request.args.get("page", "1"), maximum=MAX_PAGE)
    if not page:
        raise ApiError(400, "invalid_field", f"page 应为 1 至 {MAX_PAGE} 的整数。")
    today = local_today()
    select = filters.select(g.api_user, today, current_app.config["RECTIFY_DUE_SOON_DAYS"])
    total = db.session.scalar(sa.select(sa.func.count()).select_from(select.with_only_columns(Measure.id).subquery()))
    rows = db.session.scalars(select.options(*measure_load()).order_by(Measure.id)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return jsonify({"total": total, "page": page, "per_page": PAGE_SIZE,
                    "items": [measure_json(m, today) for m in rows]})


@bp.route("/measures/<int:measure_id>")
def measure(measure_id):
    return jsonify(measure_json(load_measure(measure_id), local_today()))


@bp.route("/problems/<int:problem_id>")
def problem(problem_id):
    user = g.api_user
    found = db.session.get(Problem, problem_id, options=[selectinload(Problem.measures).options(*measure_load())])
    visible = visible_measures(user, found) if found and found.deleted_at is None else []
    if not visible:
        raise ApiError(404, "not_found", "未找到该问题。")
    return jsonify(_problem_json(found, visible))


def _problem_json(found: Problem, visible: list) -> dict:
    from rectify.plans import operations as plans

    today, latest = local_today(), plans.latest_plan(found)
    state = plans.state(found, latest)
    due = plans.due_on(found)
    return {"id": found.id, "batch_id": found.batch_id, "number": found.number, "aspect": found.aspect,
            "description": found.description, "measures": [measure_json(m, today) for m in visible],
            "plan": {"state": state, "label": plans.STATES.get(state), "due_on": due.isoformat() if due else None,
                     "actions": sorted(plans.actions(found, g.api_user, latest)),
                     "proposal": latest.measures if latest is not None and state is not None else None,
                     "returned_reason": latest.reason if state == "returned" else None}}


def _load_problem(problem_id) -> Problem:
    found = db.session.get(Problem, problem_id)
    if found is None or found.deleted_at is not None or not visible_measures(g.api_user, found):
        raise ApiError(404, "not_found", "未找到该问题。")
    return found


@bp.route("/problems/<int:problem_id>/plan", methods=["POST"])
def submit_plan(problem_id):
    """The unit's 整改方案: ``{"measures": [{"text", "deadline", "people", "unit", "cooperating"}], "submit"}``
    (``submit`` false saves a draft)."""
    from rectify.core.timeutil import utcnow
    from rectify.plans import operations as plans

    found = _load_problem(problem_id)
    data = body({"measures": list, "submit": bool})
    rows = data.get("measures")
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        raise ApiError(400, "invalid_field", "measures 应为措施对象的列表（每项含 text，可含 deadline、people、unit、cooperating）。")
    fields = {"text", "deadline", "people", "unit", "cooperating"}
    drafts = []
    for row in rows:
        if set(row) - fields or not all(isinstance(value, str) for value in row.values()):
            raise ApiError(400, "invalid_field", f"措施对象只能含 {'、'.join(sorted(fields))}，且均为文字。")
        drafts.append(plans.Draft(**{key: value.replace("\x00", "") for key, value in row.items()}))
    plans.save_plan(found, g.api_user, drafts, data.get("submit", True) is not False, utcnow())
    db.session.commit()
    return jsonify(_problem_json(found, visible_measures(g.api_user, found)))


@bp.route("/problems/<int:problem_id>/plan/approve", methods=["POST"])
def approve_plan(problem_id):
    from rectify.core.timeutil import utcnow
    from rectify.plans import operations as plans

    found = _load_problem(problem_id)
    body({})
    plans.approve_plan(found, g.api_user, utcnow())
    db.session.commit()
    return jsonify(_problem_json(found, visible_measures(g.api_user, found)))


@bp.route("/problems/<int:problem_id>/plan/return", methods=["POST"])
def return_plan(problem_id):
    from rectify.core.timeutil import utcnow
    from rectify.plans import operations as plans

    found = _load_problem(problem_id)
    data = body({"reason": str})
    plans.return_plan(found, g.api_user, data.get("reason", "") or "", utcnow())
    db.session.commit()
    return jsonify(_problem_json(found, visible_measures(g.api_user, found)))


def _write(measure_id, operation, allowed):
    measure = load_measure(measure_id)
    data = body(allowed)
    operation(measure, data)
    db.session.commit()
    return jsonify(measure_json(measure, local_today()))


@bp.route("/measures/<int:measure_id>/acknowledge", methods=["POST"])
def acknowledge(measure_id):
    def act(measure, data):
        workflow.check_version(measure, version(data))
        workflow.acknowledge(measure, g.api_user)

    return _write(measure_id, act, {"version": int})


@bp.route("/measures/<int:measure_id>/progress", methods=["POST"])
def progress(measure_id):
    return _write(measure_id, lambda m, d: workflow.post_progress(m, g.api_user, d.get("text", ""), (), version(d)),
                  {"text": str, "version": int})


@bp.route("/measures/<int:measure_id>/submit", methods=["POST"])
def submit(measure_id):
    return _write(measure_id, lambda m, d: workflow.submit_for_review(m, g.api_user, d.get("note", ""), (), version(d)),
                  {"note": str, "version": int})


@bp.route("/measures/<int:measure_id>/approve", methods=["POST"])
def approve(measure_id):
    return _write(measure_id, lambda m, d: workflow.approve(m, g.api_user, d.get("note", "") or "",
                                                            bool(d.get("long_term")), version(d)),
                  {"long_term": bool, "note": str, "version": int})


@bp.route("/measures/<int:measure_id>/return", methods=["POST"])
def return_measure(measure_id):
    return _write(measure_id, lambda m, d: workflow.return_for_rework(m, g.api_user, d.get("reason", ""), version(d)),
                  {"reason": str, "version": int})


@bp.route("/measures/<int:measure_id>/evidence", methods=["GET", "POST"])
def evidence(measure_id):
    """GET: the measure's evidence files. POST: upload, multipart field ``files``, one or several."""
    if request.method == "GET":
        return _evidence_list(measure_id)
    measure = load_measure(measure_id)
    files = request.files.getlist("files")
    if not files:
        raise ApiError(400, "invalid_field", "请在字段 files 中上传文件。")
    items = workflow.attach_files(measure, g.api_user, files)
    db.session.commit()
    return jsonify({"measure_id": measure.id, "files": [
        {"id": e.id, "filename": e.filename, "size": e.size, "sha256": e.sha256} for e in items]})


@bp.route("/measures/<int:measure_id>/extension", methods=["POST"])
def extension(measure_id):
    measure = load_measure(measure_id)
    data = body({"until": str, "reason": str})
    try:
        until = date.fromisoformat(data.get("until") or "")
    except ValueError:
        raise ApiError(400, "invalid_field", "until 应为 YYYY-MM-DD 格式的日期。") from None
    request_row = workflow.request_extension(measure, g.api_user, until, data.get("reason", ""))
    db.session.commit()
    return jsonify({"id": request_row.id, "measure_id": measure.id, "status": request_row.status.value,
                    "new_due_on": request_row.new_due_on.isoformat()})


@bp.route("/extensions/<int:request_id>/decision", methods=["POST"])
def extension_decision(request_id):
    from rectify.models import ExtensionRequest

    request_row = db.session.get(ExtensionRequest, request_id)
    if request_row is None:
        raise ApiError(404, "not_found", "未找到该延期申请。")
    load_measure(request_row.measure_id)
    data = body({"approve": bool, "reason": str})
    if data.get("approve") is None:
        raise ApiError(400, "invalid_field", "请用 approve（true/false）给出审批意见。")
    workflow.decide_extension(request_row, g.api_user, data["approve"], data.get("reason", "") or "")
    db.session.commit()
    return jsonify({"id": request_row.id, "status": request_row.status.value,
                    "due_on": request_row.measure.due_on.isoformat() if request_row.measure.due_on else None})


@bp.route("/imports", methods=["POST"])
def imports():
    """Multipart ``file`` with ``batch``, ``kind`` (巡察…), ``feedback_date``, ``dry_run``, and for a
    re-import ``on_conflict`` (keep|sheet), ``include_finished``, ``delete_missing``; the CLI's report."""
    from rectify.imports.operations import BatchSpec, Resolution, import_findings
    from rectify.models import SourceKind
    from rectify.tracking.evidence import EvidenceError, clean_filename
    from rectify.tracking.permissions import can_supervise

    if not can_supervise(g.api_user):
        raise ApiError(403, "forbidden", "只有督办员可以导入问题清单。")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(400, "invalid_field", "请在字段 file 中上传工作簿。")
    try:
        filename = clean_filename(upload.filename)
        kind = SourceKind.from_label(request.form.get("kind", "其他"))
        feedback = request.form.get("feedback_date")
        feedback_on = date.fromisoformat(feedback) if feedback else None
    except (EvidenceError, ValueError):
        raise ApiError(400, "invalid_field", "file、kind（如“巡察”）或 feedback_date（YYYY-MM-DD）无效。") from None
    def flag(name):
        return request.form.get(name, "false").lower() in ("1", "true", "yes")

    on_conflict = request.form.get("on_conflict", "keep")
    if on_conflict not in ("keep", "sheet"):
        raise ApiError(400, "invalid_field", "on_conflict 只能是 keep（保留系统中的值）或 sheet（采用表中的值）。")
    resolution = Resolution(on_conflict=on_conflict, include_protected=flag("include_finished"),
                            delete_missing=flag("delete_missing"))
    title = (request.form.get("batch", "").replace("\x00", "") or filename.rsplit(".", 1)[0]).strip()
    report = import_findings(upload.read(), filename, BatchSpec(title, kind, feedback_on), by=g.api_user, via="api",
                             resolution=resolution)
    dry_run = flag("dry_run")
    if report.errors or dry_run:
        db.session.rollback()
        report.imported = False
    else:
        db.session.commit()
    response = jsonify(report.as_json())
    response.status_code = 422 if report.errors else 200
    return response


@bp.route("/ledger.xlsx")
def ledger():
    """The 整改台账 of the measures the board's filters select, within the token owner's scope."""
    import io
    import tempfile
    from pathlib import Path

    from flask import send_file

    from rectify.ledgers.export import export_ledger

    filters = MeasureFilters.from_args(request.args)
    with tempfile.TemporaryDirectory(prefix="rectify-api-ledger-", dir=current_app.instance_path) as folder:
        path = Path(folder) / "整改台账.xlsx"
        export_ledger(filters, g.api_user, path)
        data = path.read_bytes()  # sent from memory: nothing left open or behind
    return send_file(io.BytesIO(data), as_attachment=True, download_name="整改台账.xlsx", max_age=0,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/notifications")
def notifications():
    from rectify.models import Notification

    rows = db.session.scalars(sa.select(Notification).where(Notification.user_id == g.api_user.id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(100)).all()
    return jsonify({"items": [{"id": n.id, "title": n.title, "body": n.body, "read": n.read_at is not None,
                               "created_at": n.created_at.isoformat() + "Z"} for n in rows]})


@bp.route("/problems")
def problems():
    """Problems with at least one visible measure matching the filters (the board's: batch, unit,
    status, overdue, q, …), each with its status derived from those measures."""
    from rectify.tracking.status import problem_status

    filters = MeasureFilters.from_args(request.args)
    page = whole_number(request.args.get("page", "1"), maximum=MAX_PAGE)
    if not page:
        raise ApiError(400, "invalid_field", f"page 应为 1 至 {MAX_PAGE} 的整数。")
    today, soon = local_today(), current_app.config["RECTIFY_DUE_SOON_DAYS"]
    summary = figures_for(filters.conditions(g.api_user, today, soon), None, today, g.api_user, filters, soon)
    matching = filters.select(g.api_user, today, soon).with_only_columns(Measure.problem_id)
    select = sa.select(Problem).where(Problem.id.in_(matching), Problem.deleted_at.is_(None))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(select.subquery()))
    rows = db.session.scalars(select.options(selectinload(Problem.measures).options(*measure_load()))
                              .order_by(Problem.batch_id, Problem.position, Problem.id)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    closes = current_app.config["RECTIFY_LONG_TERM_CLOSES_PROBLEM"]
    items = []
    for problem in rows:
        visible = visible_measures(g.api_user, problem)
        items.append({"id": problem.id, "batch_id": problem.batch_id, "number": problem.number,
                      "aspect": problem.aspect, "description": problem.description,
                      "status": problem_status(visible, closes).value, "measures": len(visible)})
    return jsonify({"total": total, "page": page, "per_page": PAGE_SIZE, "items": items,
                    "summary": summary.get(None, Figures()).as_json()})


@bp.route("/notifications/read", methods=["POST"])
def read_notifications():
    """``{"ids": [...]}`` marks those of the token user's notices read, ``{"all": true}`` all of them."""
    from rectify.core.timeutil import utcnow
    from rectify.reminders import reading

    data = body({"ids": list, "all": bool})
    ids = data.get("ids")
    if "ids" in data and (not isinstance(ids, list) or not ids
                          or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= DATABASE_MAX for i in ids)):
        raise ApiError(400, "invalid_field", "ids 应为通知编号（正整数）的列表。")
    if "all" in data and not isinstance(data["all"], bool):
        raise ApiError(400, "invalid_field", "all 应为 true 或 false。")
    if not data.get("all") and not ids:
        raise ApiError(400, "invalid_field", "请用 ids（通知编号列表）或 all: true 指明要标为已读的通知。")
    marked = reading.mark_read(g.api_user, utcnow(), None if data.get("all") else ids)
    db.session.commit()
    return jsonify({"marked": marked})


def _person(user) -> dict | None:
    return {"id": user.id, "name": user.name} if user is not None else None


@bp.route("/measures/<int:measure_id>/history")
def measure_history(measure_id):
    """Everything that happened to a measure, in order: progress, submissions and review decisions
    (as on the ticket's timeline), extension requests and their decisions."""
    from rectify.models import ExtensionRequest, ProgressUpdate

    measure = load_measure(measure_id)
    entries = []
    for update in db.session.scalars(sa.select(ProgressUpdate).where(ProgressUpdate.measure_id == measure.id)
                                     .order_by(ProgressUpdate.created_at, ProgressUpdate.id)):
        entries.append({"type": update.kind.value, "label": update.kind.label, "text": update.text,
                        "by": _person(update.author), "at": update.created_at.isoformat() + "Z"})
    for request_row in db.session.scalars(sa.select(ExtensionRequest).where(ExtensionRequest.measure_id == measure.id)
                                          .order_by(ExtensionRequest.requested_at, ExtensionRequest.id)):
        entries.append({"type": "extension_requested", "label": "申请延期", "text": request_row.reason,
                        "until": request_row.new_due_on.isoformat(), "by": _person(request_row.requested_by),
                        "at": request_row.requested_at.isoformat() + "Z", "extension_id": request_row.id})
        if request_row.decided_at is not None:
            entries.append({"type": f"extension_{request_row.status.value}", "label": request_row.status.label,
                            "text": request_row.decision_reason or "", "until": request_row.new_due_on.isoformat(),
                            "by": _person(request_row.decided_by), "at": request_row.decided_at.isoformat() + "Z",
                            "extension_id": request_row.id})
    entries.sort(key=lambda entry: entry["at"])
    return jsonify({"measure_id": measure.id, "items": entries})


def _evidence_list(measure_id):
    """The evidence files of a measure: name, size, SHA-256, uploader, time, and where to download."""
    from flask import url_for

    from rectify.models import Evidence

    measure = load_measure(measure_id)
    files = db.session.scalars(sa.select(Evidence).where(Evidence.measure_id == measure.id, Evidence.deleted_at.is_(None))
                               .order_by(Evidence.uploaded_at, Evidence.id)).all()
    return jsonify({"measure_id": measure.id, "items": [
        {"id": f.id, "filename": f.filename, "size": f.size, "sha256": f.sha256, "content_type": f.content_type,
         "uploaded_by": _person(f.uploaded_by), "uploaded_at": f.uploaded_at.isoformat() + "Z",
         "download": url_for("api.download_evidence", evidence_id=f.id)} for f in files]})


@bp.route("/evidence/<int:evidence_id>")
def download_evidence(evidence_id):
    """One evidence file, as an attachment under its original name."""
    from flask import send_file

    from rectify.models import Evidence
    from rectify.tracking import evidence

    item = db.session.get(Evidence, evidence_id)
    if item is None or item.deleted_at is not None:
        raise ApiError(404, "not_found", "未找到该佐证材料。")
    load_measure(item.measure_id)
    response = send_file(evidence.path_for(item.sha256), mimetype="application/octet-stream", as_attachment=True,
                         download_name=item.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/problems/<int:problem_id>/audit")
def problem_audit(problem_id):
    """The problem's 修改记录: who changed what (old → new), for the problem and its visible measures."""
    from rectify.models import AuditLog

    found = db.session.get(Problem, problem_id)
    visible = visible_measures(g.api_user, found) if found and found.deleted_at is None else []
    if not visible:
        raise ApiError(404, "not_found", "未找到该问题。")
    ids = [m.id for m in visible]
    rows = db.session.scalars(sa.select(AuditLog).where(sa.or_(
        sa.and_(AuditLog.object_type == "Measure", AuditLog.object_id.in_(ids)),
        sa.and_(AuditLog.object_type == "Problem", AuditLog.object_id == found.id),
    )).order_by(AuditLog.created_at, AuditLog.id)).all()
    return jsonify({"problem_id": found.id, "items": [
        {"action": row.action, "object": row.object_type.lower(), "object_id": row.object_id, "by": _person(row.actor),
         "at": row.created_at.isoformat() + "Z", "changes": row.changes} for row in rows]})
