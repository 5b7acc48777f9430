"""What happens in the workflow, announced for whoever needs to tell people of it.

Operations announce each event with ``announce(kind, …)``; the reminders feature listens (a
blinker signal, as Flask's own signals are) and records who is told, in the same transaction. The
workflow therefore knows nothing of notifications, e-mail or webhooks.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from blinker import Namespace

from rectify.core.timeutil import utcnow
from rectify.models import Measure, Person, Problem, User

happened = Namespace().signal("rectify.workflow-event")

# kind: what a page calls it
KINDS = {
    "assigned": "分派", "unassigned": "不再负责", "changed": "修改", "submitted": "申请销号", "returned": "退回",
    "approved": "销号", "stage_done": "阶段性完成", "extension_requested": "申请延期", "extension_approved": "同意延期",
    "extension_refused": "不同意延期", "commented": "意见",
    "plan_submitted": "提交整改方案", "plan_approved": "整改方案通过", "plan_returned": "整改方案退回",
}


@dataclass(frozen=True)
class Happening:
    kind: str
    actor: Optional[User]
    measure: Optional[Measure] = None
    problem: Optional[Problem] = None
    people: tuple[Person, ...] = ()  # those it is about (added or removed), when not the measure's own
    details: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


def announce(kind: str, actor: Optional[User], measure: Optional[Measure] = None, problem: Optional[Problem] = None,
             people=(), **details) -> None:
    """Tell the listeners (in the caller's transaction) that ``kind`` happened."""
    assert kind in KINDS, kind
    problem = problem or (measure.problem if measure is not None else None)
    happened.send(Happening(kind, actor, measure, problem, tuple(people), details))
