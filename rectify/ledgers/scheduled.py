"""Scheduled ledgers: a weekly and a monthly 整改台账 of everything, kept and e-mailed to 督办员.

Each is a dated file under <instance>/ledgers/scheduled/, written once and never rewritten
(immutable, like a filed document). The e-mails go through the outbox under a unique key, so
a rerun after a crash finishes the job without sending anything twice.
"""
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from rectify.core import mail
from rectify.core.extensions import db
from rectify.core.timeutil import format_date
from rectify.ledgers.export import export_ledger
from rectify.models import Delivery, Role, User
from rectify.tracking.filters import MeasureFilters

KINDS = {"weekly": "周报", "monthly": "月报"}


def folder() -> Path:
    return Path(current_app.instance_path) / "ledgers" / "scheduled"


def make_scheduled_ledger(kind: str, today: date, now: datetime) -> dict:
    """Build the ``kind`` ledger of ``today`` unless it exists; queue it for the supervisors at ``now``."""
    label = KINDS[kind]
    name = f"整改台账-{label}-{today:%Y%m%d}.xlsx"
    path = folder() / name
    made = not path.exists()
    measures = None
    if made:
        measures = export_ledger(MeasureFilters(), None, path, as_of=today).measures
    queued = 0
    if current_app.config["SMTP_HOST"]:
        supervisors = db.session.scalars(sa.select(User).where(
            User.role == Role.SUPERVISOR, User.is_active, User.email.is_not(None))).all()
        keys = {f"ledger:{name}:{user.id}": user for user in supervisors}
        known = set(db.session.scalars(sa.select(Delivery.key).where(Delivery.key.in_(list(keys) or [""]))))
        for key, user in keys.items():
            if key in known:
                continue
            text, html = mail.render("scheduled_ledger", name=user.name, as_of=today, label=label)
            db.session.add(Delivery(
                user=user, channel="email", key=key, attachment=str(path.relative_to(current_app.instance_path)),
                subject=f"【整改台账】{label}（截至{format_date(today)}）", body=text, html=html,
                created_at=now, next_attempt_at=now))
            queued += 1
        db.session.commit()
    return {"file": name, "made": made, "measures": measures, "emails": queued}


def listing() -> list[dict]:
    if not folder().exists():
        return []
    return [{"name": p.name, "size": p.stat().st_size}
            for p in sorted(folder().glob("*.xlsx"), key=lambda p: p.name, reverse=True)]
