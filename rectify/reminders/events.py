"""Telling people of workflow events at once: in-app immediately, e-mail as each person chose (at
once or in the morning summary), the unit's work-chat robot for assignments, and every webhook.

The workflow announces events (rectify.tracking.events); ``record`` adds an Event row in the same
transaction. Just before that transaction commits, ``tell`` writes who is told: one in-app
notification per person per transaction however many events it holds (a bulk assignment of 50
measures is one notice), one e-mail per person into the outbox, one robot message per unit, one
webhook delivery per event and webhook. All of it commits with the change or not at all, so a crash
loses or doubles nothing; the outbox sends the rest exactly once.

Who is told:
| event | told |
| assigned, unassigned | the people added or removed (for a unit alone, its 责任人) |
| submitted | every 督办员 |
| returned, approved, stage_done | the measure's people and its responsible leaders |
| extension_requested | every 督办员 |
| extension_approved, extension_refused, commented, changed | the measure's people |
| plan_submitted | every 督办员 |
| plan_approved, plan_returned | the planning unit's 责任人 and 责任领导, and who drafted the plan |
Nobody is told of what they did themselves.
"""
import json
from collections import defaultdict
from typing import Iterable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from rectify.core import mail
from rectify.core.extensions import db
from rectify.models import (
    Delivery,
    Department,
    Event,
    EventRecipient,
    Notification,
    Person,
    Role,
    User,
    Webhook,
)
from rectify.reminders.links import base_url
from rectify.reminders.preferences import CATEGORY_OF, email_choices
from rectify.tracking.events import KINDS, Happening, happened

PENDING = "rectify.events"


def init_app(app) -> None:
    happened.connect(record)
    if not sa.event.contains(Session, "before_commit", tell):
        sa.event.listen(Session, "before_commit", tell)
        sa.event.listen(Session, "after_rollback", _forget)


def record(happening: Happening) -> None:
    """Write the event, and keep who is to be told of it until the transaction commits."""
    measure, problem = happening.measure, happening.problem
    details = {"measure_text": measure.text if measure else None, "problem": problem.description if problem else None,
               **happening.details}
    event = Event(kind=happening.kind, actor=happening.actor, measure=measure, problem=problem, details=details,
                  created_at=happening.at)
    db.session.add(event)
    told = {user for user in _told(happening) if user.is_active and user != happening.actor}
    db.session.info.setdefault(PENDING, []).append((event, told))


def _people(people: Iterable[Person]) -> list[User]:
    return [p.user for p in people if p.user is not None]


def _unit_owners(unit_id) -> list[User]:
    if unit_id is None:
        return []
    return db.session.scalars(sa.select(User).where(User.department_id == unit_id, User.role == Role.OWNER,
                                                    User.is_active)).all()


def _measure_people(measure) -> list[User]:
    return _people(measure.owners) or _unit_owners(measure.lead_unit_id)


def _supervisors() -> list[User]:
    return db.session.scalars(sa.select(User).where(User.role == Role.SUPERVISOR, User.is_active)).all()


def _planners(problem) -> list[User]:
    from rectify.plans.operations import latest_plan, unit_of

    unit = unit_of(problem)
    told = db.session.scalars(sa.select(User).where(User.department_id == unit.id, User.role.in_([Role.OWNER, Role.LEADER]),
                                                    User.is_active)).all() if unit is not None else []
    plan = latest_plan(problem)
    return [*told, *([plan.drafted_by] if plan is not None and plan.drafted_by is not None else [])]


def _told(happening: Happening) -> list[User]:
    kind, measure = happening.kind, happening.measure
    if kind in ("assigned", "unassigned"):
        return _people(happening.people) or (_unit_owners(measure.lead_unit_id) if kind == "assigned" else [])
    if kind in ("submitted", "extension_requested", "plan_submitted"):
        return _supervisors()
    if kind in ("plan_approved", "plan_returned"):
        return _planners(happening.problem)
    if kind in ("returned", "approved", "stage_done"):
        return _measure_people(measure) + _people(measure.leaders) + _people(happening.problem.leaders)
    return _measure_people(measure)


def _forget(session, *args) -> None:
    session.info.pop(PENDING, None)


def tell(session) -> None:
    """Before the commit: notices, e-mail, robot messages and webhook deliveries for the events."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    session.flush()  # the events get their ids
    by_user: dict[User, list[Event]] = defaultdict(list)
    for event, told in pending:
        for user in told:
            by_user[user].append(event)
    choices = email_choices(list(by_user))
    smtp = bool(current_app.config["SMTP_HOST"])
    for user, events in by_user.items():
        notification = Notification(user=user, title=_title(events), body="", items=[_item(e) for e in events],
                                    problem_ids=sorted({e.problem_id for e in events if e.problem_id}),
                                    url=_link(events[0]) if len(events) == 1 else "/notifications/",
                                    created_at=events[0].created_at)
        session.add(notification)
        recipients = []
        for event in events:
            wanted = choices[user][CATEGORY_OF[event.kind]] if smtp and user.email else "none"
            recipients.append(EventRecipient(event=event, user=user, notification=notification, email=wanted))
        session.add_all(recipients)
        now_mail = [r for r in recipients if r.email == "now"]
        if now_mail:
            delivery = _email(user, [r.event for r in now_mail])
            session.add(delivery)
            for recipient in now_mail:
                recipient.delivery, recipient.email = delivery, "sent"
    _robots(session, [event for event, _ in pending if event.kind == "assigned"])
    _webhooks(session, [event for event, _ in pending])


def _title(events: list[Event]) -> str:
    if len(events) == 1:
        event = events[0]
        return f"【{KINDS[event.kind]}】{_subject_text(event)}"[:200]
    kinds = {event.kind for event in events}
    if len(kinds) == 1:
        return f"【{KINDS[events[0].kind]}】{len(events)} 项整改措施"
    return f"您有 {len(events)} 条新的整改事项通知"


def _subject_text(event: Event) -> str:
    text = event.details.get("measure_text") or event.details.get("problem") or ""
    return text if len(text) <= 40 else text[:40] + "…"


def _link(event: Event) -> str:
    if event.measure_id:
        return f"/problems/{event.problem_id}#measure-{event.measure_id}"
    return f"/problems/{event.problem_id}" if event.problem_id else "/notifications/"


def _note(event: Event) -> str:
    """What happened, in a few words for the page and the mail."""
    details, actor = event.details, event.actor.name if event.actor else "系统"
    if event.kind == "assigned":
        return f"{actor}分派给您，请签收"
    if event.kind == "unassigned":
        return f"{actor}已改由他人负责，您不再是责任人"
    if event.kind == "returned":
        return f"{actor}退回：{details.get('reason', '')}"
    if event.kind == "submitted":
        return f"{actor}申请销号，待审核"
    if event.kind == "approved":
        return f"{actor}审核通过，已销号"
    if event.kind == "stage_done":
        return f"{actor}审核通过，阶段性完成，转入长期坚持"
    if event.kind == "extension_requested":
        return f"{actor}申请延期至 {_date(details.get('until'))}：{details.get('reason', '')}"
    if event.kind == "extension_approved":
        return f"{actor}同意延期至 {_date(details.get('until'))}"
    if event.kind == "extension_refused":
        return f"{actor}不同意延期：{details.get('reason', '')}"
    if event.kind == "commented":
        return f"{actor}的意见：{details.get('text', '')}"
    if event.kind == "changed":
        return f"{actor}修改了整改时限或内容"
    if event.kind == "plan_submitted":
        return f"{actor}提交了{'整改方案调整' if details.get('change') else '整改方案'}（{details.get('measures', 0)} 项措施），待审核"
    if event.kind == "plan_approved":
        return f"{actor}审核通过整改方案，{details.get('measures', 0)} 项措施已生效，请责任人签收"
    if event.kind == "plan_returned":
        return f"{actor}退回整改方案：{details.get('reason', '')}"
    return KINDS[event.kind]


def _date(iso) -> str:
    from datetime import date

    from rectify.core.timeutil import format_date

    return format_date(date.fromisoformat(iso)) if iso else ""


def _item(event: Event) -> dict:
    return {"text": event.details.get("measure_text") or event.details.get("problem") or "", "note": _note(event),
            "url": _link(event), "kind": event.kind}


def _email(user: User, events: list[Event]) -> Delivery:
    base = base_url()
    items = [{**_item(event), "url": base + _link(event)} for event in events]
    text, html = mail.render("events", name=user.name, items=items, base=base)
    now = events[0].created_at
    return Delivery(user=user, channel="email", subject=f"【整改台账】{_title(events)}", body=text, html=html,
                    created_at=now, next_attempt_at=now)


def _robots(session, events: list[Event]) -> None:
    """One message per unit with a robot, listing the measures newly assigned to it."""
    by_unit = defaultdict(list)
    for event in events:
        if event.measure is not None and event.measure.lead_unit_id is not None:
            by_unit[event.measure.lead_unit_id].append(event)
    if not by_unit:
        return
    units = {u.id: u for u in session.scalars(sa.select(Department).where(Department.id.in_(list(by_unit)),
                                                                          Department.robot_url.is_not(None)))}
    base = base_url()
    for unit_id, unit_events in by_unit.items():
        if unit_id not in units:
            continue
        lines = [f"{n}. {e.details.get('measure_text', '')} {base}{_link(e)}" for n, e in enumerate(unit_events, 1)]
        now = unit_events[0].created_at
        session.add(Delivery(department=units[unit_id], channel="robot", subject=f"【分派】{len(unit_events)} 项整改措施",
                             body="\n".join(lines), html="", created_at=now, next_attempt_at=now))


def _webhooks(session, events: list[Event]) -> None:
    hooks = session.scalars(sa.select(Webhook).where(Webhook.is_active)).all()
    for hook in hooks:
        for event in events:
            session.add(Delivery(webhook=hook, channel="webhook", key=f"webhook:{hook.id}:event:{event.id}",
                                 subject=event.kind, body=json.dumps(payload(event), ensure_ascii=False), html="",
                                 created_at=event.created_at, next_attempt_at=event.created_at))


def payload(event: Event) -> dict:
    """What a webhook receives: the event as JSON."""
    return {"id": event.id, "kind": event.kind, "label": KINDS[event.kind], "at": event.created_at.isoformat() + "Z",
            "actor": {"id": event.actor_id, "name": event.actor.name} if event.actor else None,
            "measure_id": event.measure_id, "problem_id": event.problem_id, "details": event.details,
            "url": base_url() + _link(event)}


def queue_daily_summaries(today, now) -> int:
    """The morning summary: one e-mail per person of the events they chose to hear of daily;
    returns how many were queued. Runs with the reminders, in their transaction."""
    from rectify.core.timeutil import format_date

    waiting = db.session.scalars(sa.select(EventRecipient).where(EventRecipient.email == "daily")
                                 .order_by(EventRecipient.id)).all()
    by_user = defaultdict(list)
    for recipient in waiting:
        by_user[recipient.user].append(recipient)
    base = base_url()
    for user, recipients in by_user.items():
        if not user.email or not user.is_active:
            for recipient in recipients:
                recipient.email = "none"
            continue
        items = [{**_item(r.event), "url": base + _link(r.event)} for r in recipients]
        text, html = mail.render("events", name=user.name, items=items, base=base)
        delivery = Delivery(user=user, channel="email", key=f"daily-events:{user.id}:{today.isoformat()}:{recipients[0].id}",
                            subject=f"【整改台账】{format_date(today)}通知汇总（{len(items)} 条）", body=text, html=html,
                            created_at=now, next_attempt_at=now)
        db.session.add(delivery)
        for recipient in recipients:
            recipient.email, recipient.delivery = "sent", delivery
    return len(by_user)
