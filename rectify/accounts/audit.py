"""The field-level audit trail: who changed what, from which value to which, and when."""
import enum
from datetime import date, datetime
from typing import Any, Iterable, Optional

from rectify.core.extensions import db
from rectify.core.timeutil import format_date
from rectify.models import AuditLog, User


def plain(value: Any) -> Any:
    """A JSON-friendly, human-readable form of a field value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return getattr(value, "label", value.value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [plain(item) for item in value]
    return getattr(value, "name", None) or str(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {field: plain(getattr(obj, field)) for field in fields}


def record(actor: Optional[User], action: str, obj: Any, changes: Optional[dict] = None) -> AuditLog:
    """Add one audit entry for ``obj`` (flushed so that a new object's id is known)."""
    db.session.flush()
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=obj.id,
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


def record_changes(actor: Optional[User], action: str, obj: Any, before: dict) -> Optional[AuditLog]:
    """Record the fields of ``before`` whose values differ now; nothing when none changed."""
    after = snapshot(obj, before)
    changes = {field: [before[field], after[field]] for field in before if before[field] != after[field]}
    if not changes:
        return None
    return record(actor, action, obj, changes)


ACTION_LABELS = {
    "create": "新建", "update": "修改", "delete": "删除", "restore": "恢复",
    "acknowledge": "签收", "progress": "填报进展", "add_evidence": "上传佐证材料",
    "remove_evidence": "删除佐证材料", "submit": "申请销号", "approve": "销号",
    "approve_stage": "阶段性完成", "return": "退回", "comment": "意见",
    "request_extension": "申请延期", "approve_extension": "同意延期", "refuse_extension": "不同意延期",
    "change_password": "修改密码", "reset_password": "重置密码", "assign": "批量分派", "import": "导入", "undo_import": "撤销导入", "import_update": "导入更新", "import_delete": "导入时删除", "update_settings": "修改设置", "create_token": "创建访问令牌", "revoke_token": "撤销访问令牌",
    "submit_plan": "提交整改方案", "approve_plan": "审核通过整改方案", "return_plan": "退回整改方案",
}
FIELD_LABELS = {
    "status": "状态", "text": "整改措施", "goal": "整改目标", "lead_unit": "责任单位",
    "cooperating_units": "配合单位", "leaders": "责任领导", "owners": "责任人", "due_on": "整改时限",
    "deadline_text": "时限原文", "is_immediate": "立行立改", "is_long_term": "长期坚持",
    "completed_on": "完成时间", "reason": "理由", "evidence": "佐证材料", "extension": "延期",
    "number": "序号", "aspect": "问题类别", "category": "问题分类", "note": "备注", "description": "存在问题", "name": "名称",
    "username": "用户名", "department": "部门", "role": "角色", "email": "电子邮箱", "phone": "手机",
    "is_active": "启用", "parent": "上级部门", "plan": "整改方案", "token": "访问令牌", "import": "导入", "url": "地址",
    "title": "批次名称", "kind": "来源", "issuer": "反馈单位", "doc_number": "文号", "feedback_on": "反馈日期",
    "period_end_on": "整改期限", "on_behalf": "代为办理",
}
DATE_FIELDS = {"due_on", "completed_on", "extension", "feedback_on", "period_end_on", "original_due_on"}
FLAGS = {"is_immediate": "立行立改", "is_long_term": "长期坚持", "is_active": "启用"}
EMPTY = (None, "", [], {})


def _shown(field: str, value: Any) -> str:
    """A stored value as a reader sees it: dates in Chinese, lists joined with 、."""
    if isinstance(value, list):
        return "、".join(_shown(field, item) for item in value)
    if isinstance(value, dict):
        return "，".join(f"{key}{_shown(key, item)}" for key, item in value.items())
    if field in DATE_FIELDS and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if value is True:
        return "是"
    if value is False:
        return "否"
    return str(value)


def _sentence(field: str, old: Any, new: Any) -> str:
    label = FIELD_LABELS.get(field, field)
    if field == "on_behalf":
        return f"代{_shown(field, new)}办理"
    if field in FLAGS:
        return f"设为{FLAGS[field]}" if new else f"取消{FLAGS[field]}"
    if field == "evidence":
        return f"上传 {_shown(field, new)}" if old in EMPTY else f"删除 {_shown(field, old)}"
    if field == "extension":
        return f"申请延期至 {_shown(field, new)}" if old in EMPTY else f"不同意延期至 {_shown(field, old)}"
    if field == "reason":
        return f"理由：{_shown(field, new)}"
    if old in EMPTY and new in EMPTY:
        return ""
    if old in EMPTY:
        return f"{label}设为 {_shown(field, new)}"
    if new in EMPTY:
        return f"{label}由 {_shown(field, old)} 改为空"
    verb = "改为"
    if field in DATE_FIELDS and isinstance(old, str) and isinstance(new, str):
        verb = "延至" if new > old else "提前至" if new < old else "改为"
    return f"{label}由 {_shown(field, old)} {verb} {_shown(field, new)}"


def describe(entry: AuditLog) -> list[str]:
    """An audit entry's changes as sentences: 责任人由 周杰 改为 周洁, 整改时限由 2026年12月15日 延至 2027年1月31日."""
    sentences = []
    for field, change in (entry.changes or {}).items():
        old, new = change if isinstance(change, (list, tuple)) and len(change) == 2 else (None, change)
        sentence = _sentence(field, old, new)
        if sentence:
            sentences.append(sentence)
    return sentences
