"""A small demo data set, shipped with the project, built from a 述职评议 and a 巡察 feedback.

Deadlines are stored as offsets from the day the data is loaded, so the board always shows
items overdue, due soon and on track.
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
    first_title = _data()["batches"][0]["title"]
    return db.session.scalar(select(Batch.id).where(Batch.title == first_title)) is not None


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
    for spec in data["users"]:
        user = create_user(
            username=spec["username"],
            name=spec["name"],
            password=password,
            role=Role(spec["role"]),
            department_id=units[spec["department"]].id,
        )
        if "person" in spec:
            people[spec["person"]].user = user
    for batch_spec in data["batches"]:
        _add_batch(batch_spec, units, people, today)
    db.session.flush()
    return password


def _department(name: str) -> Department:
    unit = db.session.scalar(select(Department).where(Department.name == name))
    if unit is None:
        unit = Department(name=name)
        db.session.add(unit)
        db.session.flush()
    return unit


def _add_batch(spec, units, people, today):
    batch = Batch(
        kind=SourceKind(spec["kind"]),
        title=spec["title"],
        issuer=spec["issuer"],
        doc_number=spec["doc_number"],
        feedback_on=today + timedelta(days=spec["feedback_in_days"]),
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
            problem.measures.append(_measure(m, order, problem, units, people, today))


def _measure(m, order, problem, units, people, today) -> Measure:
    status = MeasureStatus(m["status"])
    due_on = today + timedelta(days=m["due_in_days"]) if "due_in_days" in m else None
    measure = Measure(
        position=order,
        text=m["text"],
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
    for text in m.get("progress", []):
        db.session.add(ProgressUpdate(measure=measure, kind=UpdateKind.PROGRESS, text=text))
    if status is MeasureStatus.DONE:
        db.session.add(ProgressUpdate(measure=measure, kind=UpdateKind.APPROVED, text="经审核，同意销号。"))
    return measure
