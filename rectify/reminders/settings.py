"""Settings an administrator may change in the UI (the reminder thresholds), over the configured ones."""
from flask import current_app
from sqlalchemy import select

from rectify.accounts import audit
from rectify.core.extensions import db
from rectify.models import Setting, User

# key: (label, type); the configured value (config.py, instance/config.py, environment) is the default.
EDITABLE = {
    "RECTIFY_REMIND_DUE_DAYS": ("到期前提醒（天，逗号分隔）", str),
    "RECTIFY_REMIND_OVERDUE_EVERY": ("逾期后每隔几天提醒", int),
    "RECTIFY_ESCALATE_LEADER_DAYS": ("逾期几天后同时提醒责任领导（催办）", int),
    "RECTIFY_ESCALATE_SUPERVISORS_DAYS": ("逾期几天后同时提醒督办员（督办）", int),
    "RECTIFY_REMIND_UNACKNOWLEDGED_DAYS": ("分派几天未签收时提醒", int),
    "RECTIFY_REMIND_MONTHLY_DAY": ("长期坚持事项每月几日起提醒报送进展", int),
    "RECTIFY_REMIND_MAX_ITEMS": ("每条提醒最多列出几项", int),
}


def effective() -> dict:
    """The editable settings as they apply now: stored values over the configured ones."""
    values = {key: current_app.config[key] for key in EDITABLE}
    for row in db.session.scalars(select(Setting).where(Setting.key.in_(list(EDITABLE)))):
        values[row.key] = EDITABLE[row.key][1](row.value)
    return values


def save(changes: dict, by: User) -> None:
    """Store the changed settings, with the audit trail (old → new)."""
    current = effective()
    diff = {key: [current[key], value] for key, value in changes.items() if value != current[key]}
    for key, (_, new) in diff.items():
        row = db.session.get(Setting, key) or Setting(key=key)
        row.value, row.updated_by_id = str(new), by.id
        db.session.add(row)
    if diff:
        db.session.flush()
        audit.record(by, "update_settings", by, {EDITABLE[k][0]: v for k, v in diff.items()})
