"""How each person wants to hear of workflow events by e-mail, by category: at once (立即), in the
morning summary (每日汇总) or not at all (不接收). In-app notices always arrive. An administrator
sets the defaults; each user may choose otherwise on 通知设置."""
from typing import Iterable, Optional

import sqlalchemy as sa

from rectify.accounts import audit
from rectify.core.extensions import db
from rectify.models import NoticePreference, Setting, User

CATEGORIES = {
    "assign": "分派给我或改由他人负责",
    "review": "申请销号、退回、销号",
    "extension": "延期申请与审批",
    "comment": "领导意见",
    "change": "整改时限或内容被修改",
    "plan": "整改方案提交、通过、退回",
}
CATEGORY_OF = {
    "assigned": "assign", "unassigned": "assign",
    "submitted": "review", "returned": "review", "approved": "review", "stage_done": "review",
    "extension_requested": "extension", "extension_approved": "extension", "extension_refused": "extension",
    "commented": "comment", "changed": "change",
    "plan_submitted": "plan", "plan_approved": "plan", "plan_returned": "plan",
}
CHOICES = {"now": "立即", "daily": "每日汇总", "none": "不接收"}
BUILT_IN = {"assign": "now", "review": "now", "extension": "now", "comment": "daily", "change": "daily", "plan": "now"}
SETTING = "notice_email:"


def defaults() -> dict[str, str]:
    """The administrator's defaults over the built-in ones."""
    chosen = dict(BUILT_IN)
    for row in db.session.scalars(sa.select(Setting).where(Setting.key.startswith(SETTING))):
        category = row.key.removeprefix(SETTING)
        if category in chosen and row.value in CHOICES:
            chosen[category] = row.value
    return chosen


def email_choices(users: Iterable[User]) -> dict[User, dict[str, str]]:
    """Each user's choice per category, in two queries whatever the number of users."""
    users = list(users)
    base = defaults()
    own = {}
    if users:
        for row in db.session.scalars(sa.select(NoticePreference).where(
                NoticePreference.user_id.in_([u.id for u in users]))):
            own.setdefault(row.user_id, {})[row.category] = row.email
    return {user: {**base, **own.get(user.id, {})} for user in users}


def save_choices(user: User, choices: dict[str, str]) -> None:
    """A user's own choices; a choice equal to the default is stored too (the default may change)."""
    for category, choice in choices.items():
        row = db.session.get(NoticePreference, (user.id, category)) or NoticePreference(user_id=user.id, category=category)
        row.email = choice
        db.session.add(row)


def save_defaults(choices: dict[str, str], by: Optional[User]) -> None:
    """The administrator's defaults, audited (old → new)."""
    current = defaults()
    changed = {category: [CHOICES[current[category]], CHOICES[choice]]
               for category, choice in choices.items() if choice != current[category]}
    for category in changed:
        key = SETTING + category
        row = db.session.get(Setting, key) or Setting(key=key)
        row.value, row.updated_by_id = choices[category], by.id if by else None
        db.session.add(row)
    if changed:
        db.session.flush()
        audit.record(by, "update_settings", by, {f"邮件通知：{CATEGORIES[c]}": v for c, v in changed.items()})
