"""A small demo data set, shipped with the project, built from a 述职评议 and a 巡察 feedback.

Deadlines are stored as offsets from the day the data is loaded, so the board always shows
items overdue, due soon and on track; years in titles, document numbers and texts ({year}: the
feedback's year, {last} the one before, {earlier} two before) follow the feedback date, so they
read right to a leader whatever the day. Progress is written by named people: a measure's own
责任人 where they have an account, else the 督办员 who took it down for the unit (代为填报).
"""
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Optional

from sqlalchemy import select

from rectify.accounts.operations import create_user, generate_password
from rectify.core.extensions import db
from rectify.core.timeutil import local_today, utcnow
from rectify.models import (
    Batch,
    Department,
    Measure,
    MeasureStatus,
    Person,
    Problem,
    ProgressUpdate,
    Role,
    SourceKind,
    UpdateKind,
)

DATA_FILE = Path(__file__).with_name("demo_data.json")


def _data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def demo_loaded() -> bool:
    """Whether the demo is in: its batch whose title carries no year is there."""
    titles = [spec["title"] for spec in _data()["batches"] if "{" not in spec["title"]]
    return db.session.scalar(select(Batch.id).where(Batch.title.in_(titles))) is not None


def _years(text: str, feedback_on: date) -> str:
    year = feedback_on.year
    return text.format(year=year, last=year - 1, earlier=year - 2)


def load_demo(today: Optional[date] = None) -> str:
    """Add the demo batches, people and accounts; return the demo accounts' shared password."""
    if demo_loaded():
        raise ValueError("演示数据已经载入过。")
    today = today or local_today()
    data = _data()
    units = {name: _department(name) for name in data["departments"]}
    people = {
        p["name"]: Person(name=p["name"], department=units[p["department"]]) for p in data["people"]
    }
    db.session.add_all(people.values())
    password = generate_password(*(spec["username"] for spec in data["users"]))
    accounts = {}
    for spec in data["users"]:
        user = create_user(
            username=spec["username"],
            name=spec["name"],
            password=password,
            role=Role(spec["role"]),
            department_id=units[spec["department"]].id,
        )
        accounts[spec["role"]] = user
        if "person" in spec:
            people[spec["person"]].user = user
    for batch_spec in data["batches"]:
        _add_batch(batch_spec, units, people, today, accounts["supervisor"])
    db.session.flush()
    return password


def _department(name: str) -> Department:
    unit = db.session.scalar(select(Department).where(Department.name == name))
    if unit is None:
        unit = Department(name=name)
        db.session.add(unit)
        db.session.flush()
    return unit


def _add_batch(spec, units, people, today, supervisor):
    feedback_on = today + timedelta(days=spec["feedback_in_days"])
    batch = Batch(
        kind=SourceKind(spec["kind"]),
        title=_years(spec["title"], feedback_on),
        issuer=spec["issuer"],
        doc_number=_years(spec["doc_number"], feedback_on),
        feedback_on=feedback_on,
        period_end_on=today + timedelta(days=spec["period_end_in_days"]),
    )
    db.session.add(batch)
    for position, p in enumerate(spec["problems"], start=1):
        problem = Problem(
            batch=batch,
            position=position,
            number=p["number"],
            aspect=p["aspect"],
            description=p["description"],
            lead_unit=units[p["lead_unit"]],
            leaders=[people[name] for name in p["leaders"]],
        )
        db.session.add(problem)
        for order, m in enumerate(p["measures"], start=1):
            problem.measures.append(_measure(m, order, problem, units, people, today, supervisor, feedback_on))


def _measure(m, order, problem, units, people, today, supervisor, feedback_on) -> Measure:
    status = MeasureStatus(m["status"])
    due_on = today + timedelta(days=m["due_in_days"]) if "due_in_days" in m else None
    measure = Measure(
        position=order,
        text=_years(m["text"], feedback_on),
        lead_unit=units[m["lead_unit"]] if "lead_unit" in m else problem.lead_unit,
        cooperating_units=[units[name] for name in m.get("cooperating_units", [])],
        leaders=list(problem.leaders),
        owners=[people[name] for name in m["owners"]],
        due_on=due_on,
        is_immediate=m.get("immediate", False),
        is_long_term=m.get("long_term", False),
        status=status,
    )
    if status is not MeasureStatus.NOT_STARTED:
        measure.acknowledged_at = utcnow()
    if status is MeasureStatus.DONE:
        measure.completed_on = min(due_on or today, today)
    reporter = next((p.user for p in measure.owners if p.user is not None), supervisor)
    for text in m.get("progress", []):
        db.session.add(ProgressUpdate(measure=measure, kind=UpdateKind.PROGRESS, text=_years(text, feedback_on),
                                      author=reporter))
    if status is MeasureStatus.DONE:
        db.session.add(ProgressUpdate(measure=measure, kind=UpdateKind.APPROVED, text="经审核，同意销号。", author=supervisor))
    return measure
