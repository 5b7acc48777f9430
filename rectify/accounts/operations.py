"""Operations on user accounts, shared by the admin pages, the CLI and first start."""
import secrets
import string
from datetime import datetime
from typing import Optional

from sqlalchemy import func, select

from rectify.accounts import audit
from rectify.accounts.passwords import password_problem
from rectify.accounts.sessions import end_credentials
from rectify.core.extensions import db
from rectify.models import Department, Role, User

AUDITED_FIELDS = ["username", "name", "department", "role", "email", "phone", "is_active"]
# Temporary passwords are read off a screen or a sheet of paper: no characters that look alike
# (0/O/o, 1/l/I, 5/S, 2/Z, 8/B, u/v).
LOOK_ALIKE = set("0Oo1lI5S2Z8Buv")
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in LOOK_ALIKE)


class UserError(ValueError):
    """A user change that breaks a rule; the message is for the person who asked."""


def generate_password(*usernames: str, length: int = 12) -> str:
    """A random temporary password of letters and digits that the password rule accepts for
    each of ``usernames`` (random letters rarely spell anything, but "rarely" is not "never")."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if all(password_problem(password, username) is None for username in usernames or ("",)):
            return password


def _check_username_free(username: str, user: Optional[User] = None) -> None:
    clash = db.session.scalar(select(User).where(User.username == username))
    if clash is not None and clash is not user:
        raise UserError(f"用户名 {username} 已被使用。")


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active)
    )


def create_user(
    *,
    username: str,
    name: str,
    password: str,
    role: Role,
    by: Optional[User] = None,
    department_id: Optional[int] = None,
    email: Optional[str] = None,
    phone: Optional[str] = None,
    is_active: bool = True,
    must_change: bool = False,
) -> User:
    username = username.strip().lower()
    problem = password_problem(password, username, (name, email, phone))
    if problem:
        raise UserError(problem)
    _check_username_free(username)
    user = User(
        username=username,
        name=name.strip(),
        role=role,
        department_id=department_id,
        email=email,
        phone=phone,
        is_active=is_active,
        must_change_password=must_change,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    db.session.refresh(user, ["department"])
    audit.record(by, "create", user, audit.snapshot(user, AUDITED_FIELDS))
    return user


def update_user(user: User, *, by: User, **fields) -> None:
    """Change a user's fields; refuses to leave the system without an active administrator."""
    fields["username"] = fields["username"].strip().lower()
    _check_username_free(fields["username"], user)
    before = audit.snapshot(user, AUDITED_FIELDS)
    was_admin = user.role is Role.ADMIN and user.is_active
    for key, value in fields.items():
        setattr(user, key, value)
    if by is not None and user.id == by.id and not user.is_active:
        raise UserError("不能停用自己的账号。")
    db.session.flush()
    if was_admin and _active_admins() == 0:
        raise UserError("系统至少需要保留一名启用的管理员。")
    db.session.refresh(user, ["department"])
    audit.record_changes(by, "update", user, before)


def change_password(user: User, password: str, now: datetime, keep_session: Optional[str] = None) -> None:
    """``user`` sets a new password: every other sign-in ends and their API tokens are revoked."""
    user.set_password(password)
    user.must_change_password = False
    end_credentials(user, now, keep=keep_session)
    audit.record(user, "change_password", user)


def reset_password(user: User, *, by: Optional[User], now: datetime) -> str:
    """Give ``user`` a new temporary password, to be changed at next login; returns it.

    Every sign-in of the user ends and their API tokens are revoked."""
    password = generate_password(user.username)
    user.set_password(password)
    user.must_change_password = True
    end_credentials(user, now)
    audit.record(by, "reset_password", user)
    return password


def find_or_create_department(name: str) -> tuple[Department, bool]:
    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is not None:
        return department, False
    department = Department(name=name)
    db.session.add(department)
    db.session.flush()
    return department, True


def ensure_admin() -> Optional[tuple[str, str]]:
    """First start: create an ``admin`` account when there is no administrator; return (username, password).

    The password is random, shown once by the caller and must be changed at first login.
    """
    if db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)):
        return None
    username, suffix = "admin", 1
    while db.session.scalar(select(User.id).where(User.username == username)) is not None:
        suffix += 1
        username = f"admin{suffix}"
    password = generate_password(username)
    create_user(username=username, name="系统管理员", password=password, role=Role.ADMIN, must_change=True)
    db.session.commit()
    return username, password
