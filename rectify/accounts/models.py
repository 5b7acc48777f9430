"""Who: units, user accounts, the people named in ledgers, sign-ins, API tokens and the audit trail."""
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from rectify.core.enums import LabeledEnum, enum_column_type
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow


class Role(LabeledEnum):
    ADMIN = ("admin", "管理员")
    SUPERVISOR = ("supervisor", "督办员")
    LEADER = ("leader", "责任领导")
    OWNER = ("owner", "责任人")
    VIEWER = ("viewer", "查看")


class Department(db.Model):
    """A unit or office (责任单位/科室); units may nest under a parent."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    parent_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("department.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The unit's work-chat group robot: wecom (企业微信), dingtalk (钉钉) or feishu (飞书).
    robot_kind: Mapped[Optional[str]] = mapped_column(sa.String(20))
    robot_url: Mapped[Optional[str]] = mapped_column(sa.String(500))
    robot_secret: Mapped[Optional[str]] = mapped_column(sa.String(200))  # signing secret (钉钉, 飞书)

    parent: Mapped[Optional["Department"]] = relationship(
        remote_side=[id], back_populates="children"
    )
    children: Mapped[list["Department"]] = relationship(back_populates="parent")
    users: Mapped[list["User"]] = relationship(back_populates="department")

    def ancestors(self) -> list["Department"]:
        chain, node = [], self.parent
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("department.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column_type(Role), default=Role.OWNER)
    email: Mapped[Optional[str]] = mapped_column(sa.String(254))
    phone: Mapped[Optional[str]] = mapped_column(sa.String(32))
    is_active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[Optional[datetime]]

    department: Mapped[Optional[Department]] = relationship(back_populates="users")
    person: Mapped[Optional["Person"]] = relationship(back_populates="user")

    # The secret of the sign-in this object was loaded through (see rectify.accounts.sessions); it is what
    # Flask-Login keeps in the session and remember cookies, never the user's id alone.
    login_token = None  # type: Optional[str]

    def set_password(self, password: str) -> None:
        """Store the hash only; ``accounts.operations.change_password`` also ends sessions and tokens."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login compares users by get_id(), which names a sign-in here; one session's identity
    # map holds one object per row, so identity is the right equality (and hash) for a user.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def get_id(self) -> str:
        if self.login_token is None:
            raise RuntimeError("get_id() outside a sign-in: call sessions.start_session(user, now) first")
        return self.login_token

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Person(db.Model):
    """A responsible person or leader as named in a ledger, linked to a user when one exists."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), index=True)
    department_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("department.id"))
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Optional[Department]] = relationship()
    user: Mapped[Optional[User]] = relationship(back_populates="person")

    def __repr__(self) -> str:
        return f"<Person {self.name}>"


class LoginSession(db.Model):
    """One sign-in (a browser): signing out deletes it, so a copied cookie dies with it.

    The cookie holds a random secret; only its SHA-256 is kept. A password change or reset
    deletes every sign-in of the user (see ``rectify.accounts.sessions``).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):
    """One failed sign-in, kept for the login throttle (``rectify.accounts.throttle``): in the
    database, so that every app process counts the same failures and a restart forgets none."""

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64))
    username: Mapped[str] = mapped_column(sa.String(150))
    failed_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (sa.Index("ix_login_failure_who", "username", "address", "failed_at"),)


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is kept (the token itself is shown once); tokens
    are long random strings, so a fast hash is the right one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # to recognise a token in a list
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[Optional[datetime]]
    revoked_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()


class AuditLog(db.Model):
    """One change by one actor: ``changes`` maps each field to ``[old, new]``. Never edited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))  # None: the system
    action: Mapped[str] = mapped_column(sa.String(50))
    object_type: Mapped[str] = mapped_column(sa.String(50))
    object_id: Mapped[Optional[int]]
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[Optional[User]] = relationship()

    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)
