"""The field-level audit trail: who changed what, from which value to which, and when."""
import enum
from datetime import date, datetime
from typing import Any, Iterable, Optional

from .extensions import db
from .models import AuditLog, User


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
