"""First start: bring the schema up to date and make sure an administrator exists."""
from typing import Optional

import flask_migrate
from sqlalchemy import func, select

from rectify.extensions import db
from rectify.models import Role, User
from rectify.users_ops import create_user, generate_password


def upgrade_database() -> None:
    """Apply every pending migration (``flask db upgrade``); call inside an app context."""
    flask_migrate.upgrade()


def ensure_admin() -> Optional[tuple[str, str]]:
    """Create an ``admin`` account when there is no administrator; return (username, password).

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
