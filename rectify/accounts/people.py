"""Turning names as written in a ledger or a form into Person rows."""
import re

from sqlalchemy import select

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
