"""The rectification workflow: every state change of a measure, with its rules, in one place.

``RULES`` says who may take each action on a measure and from which statuses; ``available_actions``
reads it for the pages (which buttons to show), the API (which actions a measure offers) and the
ledger round trip (which rows to accept), and each operation checks the same rule through
``require`` before it changes anything. Operations change objects, write the audit trail and
flush; the caller (a view, the API, a command) owns the single commit. Refusals raise
WorkflowError with a message for the user and the HTTP status that fits.

    未启动 ──进展──▶ 整改中 ──申请销号──▶ 待审核 ──销号──▶ 已完成
                      ▲                  │ └──阶段完成──▶ 长期坚持 (keeps reporting)
                      └──────退回─────────┘
"""
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Optional

from flask import current_app
from sqlalchemy import func, select

from rectify.accounts import audit
from rectify.core.extensions import db
from rectify.core.timeutil import local_today, utcnow
from rectify.models import (
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    Measure,
    MeasureStatus,
    Problem,
    ProgressUpdate,
    UpdateKind,
    User,
)
from rectify.tracking import evidence
from rectify.tracking.events import announce
from rectify.tracking.permissions import acts_for_unit, can_comment, can_supervise, can_work_on

S = MeasureStatus
STALE = "该事项已被他人修改，请刷新后重试。"
REPORTING = (S.NOT_STARTED, S.IN_PROGRESS, S.LONG_TERM)
SUBMITTABLE = (S.NOT_STARTED, S.IN_PROGRESS, S.LONG_TERM)
EXTENDABLE = (S.NOT_STARTED, S.IN_PROGRESS)
# The responsible side's own work: a 督办员 may do it for a unit, and then it says so (代为填报).
OWNER_ACTIONS = ("acknowledge", "progress", "evidence", "remove_evidence", "submit", "extension")
AUDITED_FIELDS = ["text", "goal", "lead_unit", "cooperating_units", "leaders", "owners", "due_on",
                  "deadline_text", "is_immediate", "is_long_term"]


class WorkflowError(Exception):
    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


def _supervises(user: User, _measure: Measure) -> bool:
    return can_supervise(user)


@dataclass(frozen=True)
class Rule:
    """Who may take an action on a measure, from which statuses, and how a refusal reads."""

    who: Callable[[User, Measure], bool]
    statuses: tuple[MeasureStatus, ...]
    verb: str  # 当前状态为“…”，不能{verb}
    denied: str = "您没有执行此操作的权限。"
    also: Callable[[Measure], Optional[str]] = lambda measure: None  # a further condition: why not, or None


ANY = tuple(MeasureStatus)
RULES = {
    "acknowledge": Rule(can_work_on, REPORTING + (S.PENDING_REVIEW,), "签收",
                        also=lambda m: "该措施已签收。" if m.acknowledged_at is not None else None),
    "progress": Rule(can_work_on, REPORTING, "填报进展"),
    # The evidence under review (待审核) or signed off stays as it was submitted.
    "evidence": Rule(can_work_on, REPORTING, "上传佐证材料"),
    "remove_evidence": Rule(can_work_on, REPORTING, "删除佐证材料"),
    "submit": Rule(can_work_on, SUBMITTABLE, "申请销号"),
    "extension": Rule(can_work_on, EXTENDABLE, "申请延期",
                      also=lambda m: "长期坚持事项持续推进，无需申请延期。" if m.is_long_term else None),
    "approve": Rule(_supervises, (S.PENDING_REVIEW,), "审核", "只有督办员可以审核销号。"),
    "return": Rule(_supervises, (S.PENDING_REVIEW,), "退回", "只有督办员可以退回。"),
    "comment": Rule(can_comment, ANY, "发表意见"),
    "edit": Rule(_supervises, ANY, "修改", "只有督办员可以修改措施。"),
    "delete": Rule(_supervises, ANY, "删除", "只有督办员可以删除或恢复。"),
}


def refusal(measure: Measure, user: User, action: str) -> Optional[WorkflowError]:
    """Why ``user`` may not take ``action`` on ``measure`` now, or None when they may."""
    if action == "restore":
        if not can_supervise(user):
            return WorkflowError("只有督办员可以删除或恢复。", 403)
        return None if measure.deleted_at is not None else WorkflowError("未被删除，无需恢复。")
    rule = RULES[action]
    if not rule.who(user, measure):
        return WorkflowError(rule.denied, 403)
    if measure.deleted_at is not None:
        return WorkflowError("该措施已删除。", 404)
    if measure.status not in rule.statuses:
        return WorkflowError(f"当前状态为“{measure.status.label}”，不能{rule.verb}。")
    reason = rule.also(measure)
    return WorkflowError(reason) if reason else None


def available_actions(measure: Measure, user: User) -> frozenset[str]:
    """The actions ``user`` may take on ``measure`` now: what the ticket page offers, what the
    API lists, what the ledger round trip accepts."""
    return frozenset(action for action in (*RULES, "restore") if refusal(measure, user, action) is None)


def problem_actions(problem: Problem, user: User) -> frozenset[str]:
    """What ``user`` may do to a problem itself: edit it, add a measure, delete or restore it."""
    if not can_supervise(user):
        return frozenset()
    return frozenset({"edit", "add_measure", "restore" if problem.deleted_at is not None else "delete"})


def on_behalf(measure: Measure, user: User) -> bool:
    """Whether the owner's actions ``user`` may take on ``measure`` are taken for its unit (代为填报):
    the page groups them apart and the audit trail records for whom."""
    return acts_for_unit(user, measure)


def _record(by: User, action: str, measure: Measure, changes: Optional[dict] = None, rule: str = ""):
    """The audit entry of an action (``rule``: its name in RULES when the entry's differs), naming the
    unit or people when a 督办员 took an owner's action for them."""
    if (rule or action) in OWNER_ACTIONS and on_behalf(measure, by):
        unit = measure.lead_unit.name if measure.lead_unit else "、".join(p.name for p in measure.owners) or "责任单位"
        changes = {**(changes or {}), "on_behalf": [None, unit]}
    return audit.record(by, action, measure, changes)


def require(measure: Measure, user: User, action: str) -> None:
    """Raise the refusal of ``action``, if any: every operation starts here."""
    refused = refusal(measure, user, action)
    if refused is not None:
        raise refused


def decidable(request: ExtensionRequest, user: User) -> bool:
    """Whether ``user`` may decide on an extension request now."""
    return can_supervise(user) and request.status is ExtensionStatus.PENDING


def check_version(measure: Measure, version: Optional[int]) -> None:
    """Refuse a change based on an older version of ``measure`` than the stored one."""
    if version is not None and version != measure.version:
        raise WorkflowError(STALE, 409)


def _required(text: Optional[str], what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise WorkflowError(f"请填写{what}。", 400)
    return text


def _set_status(measure: Measure, by: User, status: MeasureStatus, action: str, **extra) -> None:
    changes = {"status": [measure.status.label, status.label], **extra}
    measure.status = status
    _record(by, action, measure, changes)


def acknowledge(measure: Measure, by: User) -> None:
    """签收: the responsible side confirms it has received the assignment."""
    require(measure, by, "acknowledge")
    measure.acknowledged_at = utcnow()
    measure.acknowledged_by = by
    _record(by, "acknowledge", measure)


def attach_files(measure: Measure, by: User, files: Iterable, update: Optional[ProgressUpdate] = None) -> list[Evidence]:
    """Store uploaded files as evidence of ``measure``; all are checked before any is kept."""
    require(measure, by, "evidence")
    files = [f for f in files if f and f.filename]
    received = []
    try:
        received = evidence.receive_all(files)  # every file checked before any is kept
        stored = [evidence.keep(item) for item in received]
    except evidence.StorageError as error:
        raise WorkflowError(str(error), error.status) from None
    except evidence.EvidenceError as error:
        raise WorkflowError(str(error), 400) from None
    finally:
        evidence.discard(received)  # what a failure left in the temporary folder
    items = [
        Evidence(measure=measure, progress_update=update, filename=s.filename, sha256=s.sha256,
                 size=s.size, content_type=s.content_type, uploaded_by=by)
        for s in stored
    ]
    db.session.add_all(items)
    if items:
        _record(by, "add_evidence", measure, {"evidence": [None, [s.filename for s in stored]]}, rule="evidence")
    return items


def post_progress(measure: Measure, by: User, text: str, files: Iterable = (), version: Optional[int] = None) -> ProgressUpdate:
    """填报进展; the first report starts the work (未启动 → 整改中) and counts as 签收."""
    require(measure, by, "progress")
    check_version(measure, version)
    update = ProgressUpdate(measure=measure, kind=UpdateKind.PROGRESS, text=_required(text, "进展情况"), author=by)
    db.session.add(update)
    attach_files(measure, by, files, update)
    if measure.acknowledged_at is None:
        measure.acknowledged_at, measure.acknowledged_by = utcnow(), by
    measure.updated_at = utcnow()  # before the audit entry flushes: one report, one new version
    if measure.status is S.NOT_STARTED:
        _set_status(measure, by, S.IN_PROGRESS, "progress")
    else:
        _record(by, "progress", measure)
    return update


def live_evidence_count(measure: Measure) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Evidence).where(Evidence.measure_id == measure.id, Evidence.deleted_at.is_(None))
    )


def submit_for_review(measure: Measure, by: User, note: str, files: Iterable = (), version: Optional[int] = None) -> ProgressUpdate:
    """申请销号: needs a completion note and at least one evidence file."""
    require(measure, by, "submit")
    check_version(measure, version)
    update = ProgressUpdate(measure=measure, kind=UpdateKind.SUBMITTED, text=_required(note, "完成情况说明"), author=by)
    db.session.add(update)
    attach_files(measure, by, files, update)
    db.session.flush()
    if live_evidence_count(measure) == 0:
        raise WorkflowError("申请销号须至少上传一份佐证材料。", 400)
    if measure.acknowledged_at is None:
        measure.acknowledged_at, measure.acknowledged_by = utcnow(), by
    measure.returned_at = None
    _set_status(measure, by, S.PENDING_REVIEW, "submit")
    announce("submitted", by, measure, note=update.text)
    return update


def approve(measure: Measure, by: User, note: str = "", long_term: bool = False, version: Optional[int] = None, today: Optional[date] = None) -> ProgressUpdate:
    """销号 (→ 已完成), or for a long-term measure 阶段性完成 (→ 长期坚持, keeps reporting)."""
    require(measure, by, "approve")
    check_version(measure, version)
    if long_term and not measure.is_long_term:
        raise WorkflowError("该措施不是长期坚持事项，不能按阶段性完成审核。", 400)
    kind = UpdateKind.STAGE_DONE if long_term else UpdateKind.APPROVED
    text = (note or "").strip() or ("阶段性完成，转入长期坚持。" if long_term else "经审核，同意销号。")
    update = ProgressUpdate(measure=measure, kind=kind, text=text, author=by)
    db.session.add(update)
    if long_term:
        _set_status(measure, by, S.LONG_TERM, "approve_stage")
    else:
        measure.completed_on = today or local_today()
        _set_status(measure, by, S.DONE, "approve", completed_on=[None, measure.completed_on.isoformat()])
    announce("stage_done" if long_term else "approved", by, measure, note=update.text)
    return update


def return_for_rework(measure: Measure, by: User, reason: str, version: Optional[int] = None) -> ProgressUpdate:
    """退回: not good enough yet; the reason is required and the owner works on (→ 整改中)."""
    require(measure, by, "return")
    check_version(measure, version)
    update = ProgressUpdate(measure=measure, kind=UpdateKind.RETURNED, text=_required(reason, "退回理由"), author=by)
    db.session.add(update)
    measure.returned_at = utcnow()
    _set_status(measure, by, S.IN_PROGRESS, "return", reason=[None, update.text])
    announce("returned", by, measure, reason=update.text)
    return update


def comment(measure: Measure, by: User, text: str) -> ProgressUpdate:
    """A leader's or owner's remark on the timeline; changes no status."""
    require(measure, by, "comment")
    update = ProgressUpdate(measure=measure, kind=UpdateKind.COMMENT, text=_required(text, "意见"), author=by)
    db.session.add(update)
    audit.record(by, "comment", measure)
    announce("commented", by, measure, text=update.text)
    return update


def request_extension(measure: Measure, by: User, until: date, reason: str, today: Optional[date] = None) -> ExtensionRequest:
    """申请延期: a later date and a reason; one open request per measure."""
    require(measure, by, "extension")
    today = today or local_today()
    reason = _required(reason, "延期理由")
    if until is None:
        raise WorkflowError("请填写申请延期至的日期。", 400)
    if until <= max(filter(None, [measure.due_on, today])):
        raise WorkflowError("延期后的日期须晚于现有整改时限和今天。", 400)
    pending = db.session.scalar(
        select(ExtensionRequest.id).where(ExtensionRequest.measure_id == measure.id,
                                          ExtensionRequest.status == ExtensionStatus.PENDING)
    )
    if pending is not None:
        raise WorkflowError("已有待审批的延期申请，请等待审批结果。")
    request = ExtensionRequest(measure=measure, old_due_on=measure.due_on, new_due_on=until, reason=reason, requested_by=by)
    db.session.add(request)
    _record(by, "request_extension", measure, {"extension": [None, until.isoformat()]}, rule="extension")
    announce("extension_requested", by, measure, until=until.isoformat(), reason=reason)
    return request


def decide_extension(request: ExtensionRequest, by: User, approve: bool, reason: str = "") -> None:
    """Approve (the deadline moves; the original stays visible) or refuse (reason required)."""
    if not can_supervise(by):
        raise WorkflowError("只有督办员可以审批延期。", 403)
    if not decidable(request, by):
        raise WorkflowError(f"该延期申请已{request.status.label}，不能重复审批。")
    measure = request.measure
    request.decided_by, request.decided_at = by, utcnow()
    if approve:
        request.status = ExtensionStatus.APPROVED
        request.decision_reason = (reason or "").strip() or None
        if measure.original_due_on is None:
            measure.original_due_on = request.old_due_on
        old, measure.due_on = measure.due_on, request.new_due_on
        audit.record(by, "approve_extension", measure,
                     {"due_on": [old.isoformat() if old else None, request.new_due_on.isoformat()]})
        announce("extension_approved", by, measure, until=request.new_due_on.isoformat())
    else:
        request.status = ExtensionStatus.REFUSED
        request.decision_reason = _required(reason, "不同意的理由")
        audit.record(by, "refuse_extension", measure, {"extension": [request.new_due_on.isoformat(), None]})
        announce("extension_refused", by, measure, until=request.new_due_on.isoformat(), reason=request.decision_reason)


def update_measure(measure: Measure, by: User, version: Optional[int], **fields) -> None:
    """A supervisor edits or reassigns a measure; every changed field goes to the audit trail."""
    require(measure, by, "edit")
    check_version(measure, version)
    if "text" in fields:
        fields["text"] = _required(fields["text"], "整改措施")
    before = audit.snapshot(measure, AUDITED_FIELDS)
    owners_before, unit_before = list(measure.owners), measure.lead_unit
    for key, value in fields.items():
        setattr(measure, key, value)
    if before.get("owners") != audit.plain(measure.owners) or before.get("lead_unit") != audit.plain(measure.lead_unit):
        measure.assigned_at = utcnow()
        measure.acknowledged_at = measure.acknowledged_by = None
    entry = audit.record_changes(by, "update", measure, before)
    announce_assignment(measure, by, owners_before, unit_before)
    told = {"due_on", "deadline_text", "is_immediate", "is_long_term", "text", "goal"} & set(entry.changes if entry else ())
    if told:
        announce("changed", by, measure, fields=sorted(told))


def announce_assignment(measure: Measure, by: Optional[User], owners_before=(), unit_before=None) -> None:
    """Tell the people (or unit) newly given ``measure`` and those no longer on it."""
    added = [p for p in measure.owners if p not in owners_before]
    removed = [p for p in owners_before if p not in measure.owners]
    if added or (measure.lead_unit is not unit_before and not measure.owners):
        announce("assigned", by, measure, people=added)
    if removed:
        announce("unassigned", by, measure, people=removed)


def set_deleted(obj, by: User, deleted: bool) -> None:
    """Soft delete (or restore) a problem or measure; it stays in the database and the trail."""
    action = "delete" if deleted else "restore"
    if isinstance(obj, Measure):
        require(obj, by, action)
    elif action not in problem_actions(obj, by):
        if not can_supervise(by):
            raise WorkflowError("只有督办员可以删除或恢复。", 403)
        raise WorkflowError("该问题已删除。" if deleted else "未被删除，无需恢复。")
    obj.deleted_at = utcnow() if deleted else None
    audit.record(by, "delete" if deleted else "restore", obj)


def remove_evidence(item: Evidence, by: User) -> None:
    """Withdraw an evidence file; never once the measure is submitted or signed off."""
    require(item.measure, by, "remove_evidence")
    item.deleted_at = utcnow()
    _record(by, "remove_evidence", item.measure, {"evidence": [item.filename, None]})


def long_term_closes() -> bool:
    return current_app.config["RECTIFY_LONG_TERM_CLOSES_PROBLEM"]
