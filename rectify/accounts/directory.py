"""The people and units a form may name, with what the picker searches them by: the name, its
pinyin and its initials (周洁: zhoujie, zj), each person's unit and whether they have an account.

Pinyin comes from pypinyin's dictionary of single characters (every reading of a character with
several, so 单 is found as dan, shan and chan), loaded at the first search: about 12 MB, against
about 57 MB with its dictionary of phrases, which names do not need.
"""
import itertools
import os
from functools import lru_cache

import sqlalchemy as sa
from flask import Blueprint, jsonify
from sqlalchemy.orm import joinedload

from rectify.core.extensions import db
from rectify.models import Department, Person, User

bp = Blueprint("directory", __name__)
MAX_SPELLINGS = 8  # a name of several many-reading characters: the first few spellings do


@lru_cache(maxsize=20_000)
def pinyin_keys(name: str) -> tuple[str, ...]:
    """The spellings of ``name`` the picker matches: full pinyin, then initials (zhoujie, zj)."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")  # names need single characters only
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    from pypinyin import Style, pinyin

    readings = pinyin(name, style=Style.NORMAL, heteronym=True, errors=lambda chars: [c.lower() for c in chars])
    spellings = list(itertools.islice(itertools.product(*readings), MAX_SPELLINGS))
    full = ["".join(parts).lower() for parts in spellings]
    initials = ["".join(part[:1] for part in parts).lower() for parts in spellings]
    return tuple(dict.fromkeys(full + initials))


def directory() -> dict:
    """Everyone and every unit a form may name, in two queries."""
    people = db.session.scalars(sa.select(Person).options(joinedload(Person.department), joinedload(Person.user))
                                .order_by(Person.name, Person.id)).unique().all()
    named = {p.user_id for p in people if p.user_id}
    users = db.session.scalars(sa.select(User).where(User.is_active).options(joinedload(User.department))).all()
    entries = [{"name": p.name, "unit": p.department.name if p.department else "",
                "account": p.user is not None and p.user.is_active, "keys": pinyin_keys(p.name)} for p in people]
    # Users no ledger has named yet are people one may pick too.
    entries += [{"name": u.name, "unit": u.department.name if u.department else "", "account": True,
                 "keys": pinyin_keys(u.name)} for u in users if u.id not in named]
    seen, unique = set(), []
    for entry in entries:
        key = (entry["name"], entry["unit"])
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    units = [{"id": u.id, "name": u.name, "keys": pinyin_keys(u.name)}
             for u in db.session.scalars(sa.select(Department).order_by(Department.name))]
    return {"people": unique, "units": units}


@bp.route("/directory.json")
def directory_json():
    """For the picker (static/js/picker.js); every signed-in user names people in some form."""
    response = jsonify(directory())
    response.headers["Cache-Control"] = "private, no-store"
    return response
