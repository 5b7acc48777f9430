"""Turning names as written in a ledger or a form into Person rows."""
import re

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from rectify.core.extensions import db
from rectify.models import Person, User

# 、，, / ; and line breaks separate names: 张三、李四 / 王五
NAME_SEPARATORS = re.compile(r"[、，,/;；\s]+")


def split_names(text: str | None) -> list[str]:
    """The distinct names in ``text``, in order."""
    names = []
    for name in NAME_SEPARATORS.split(text or ""):
        if name and name not in names:
            names.append(name)
    return names


def resolve_people(names: list[str]) -> list[Person]:
    """The Person for each name: an existing one, else a new one linked to the only user
    with that 姓名 (if exactly one). Loads in two queries whatever the number of names."""
    if not names:
        return []
    existing = {}
    for person in db.session.scalars(select(Person).where(Person.name.in_(names)).order_by(Person.id)):
        existing.setdefault(person.name, person)
    users = {}
    for user in db.session.scalars(select(User).where(User.name.in_(names))):
        users.setdefault(user.name, []).append(user)
    people = []
    for name in names:
        person = existing.get(name)
        if person is None:
            matches = users.get(name, [])
            linked = matches[0] if len(matches) == 1 and matches[0].person is None else None
            person = Person(name=name, user=linked, department=linked.department if linked else None)
            db.session.add(person)
            existing[name] = person
        people.append(person)
    return people


def one_apart(a: str, b: str) -> bool:
    """Names of the same length differing in exactly one character: 周杰 and 周洁."""
    return len(a) == len(b) and a != b and sum(x != y for x, y in zip(a, b)) == 1


def unknown_names(names: list[str], confirmed=()) -> dict[str, list[Person]]:
    """The names no person or user carries and that were not confirmed as new (新建人员), each with
    the known people one character apart (a typo of 周洁 is not a new 周杰)."""
    confirmed = set(confirmed)
    asked = [name for name in names if name not in confirmed]
    if not asked:
        return {}
    known = set(db.session.scalars(select(Person.name).where(Person.name.in_(asked))))
    known |= set(db.session.scalars(select(User.name).where(User.name.in_(asked))))
    missing = [name for name in asked if name not in known]
    if not missing:
        return {}
    lengths = {len(name) for name in missing}
    near = db.session.scalars(select(Person).where(func.length(Person.name).in_(lengths))
                              .options(joinedload(Person.department), joinedload(Person.user))).unique().all()
    return {name: [p for p in near if one_apart(name, p.name)] for name in missing}


def unknown_message(unknown: dict[str, list[Person]]) -> str:
    """Why names were refused, in one sentence, with the near misses: 请确认“周杰”（相近：周洁，组织人事部）是新人员."""
    parts = []
    for name, near in unknown.items():
        hint = "、".join(f"{p.name}（{p.department.name if p.department else '未定单位'}）" for p in near)
        parts.append(f"“{name}”" + (f"（与{hint}只差一个字）" if hint else ""))
    return (f"人员名单中没有{'、'.join(parts)}，请从名单中选择；"
            f"如确是新人员，请勾选“新建人员”后再保存。")
