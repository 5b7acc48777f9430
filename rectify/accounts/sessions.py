"""Sign-ins kept on the server, so that signing out ends them for good.

Flask's session lives in a signed cookie; Flask-Login keeps the signed-in user's id in it
(and, with 在本机保持登录, in a remember cookie). Were that id the user's own, a cookie copied
before signing out would still work after. Instead each sign-in is a row holding the SHA-256
of a random secret, and the cookies hold the secret: signing out deletes the row, and both
cookies stop working at once. A password change or reset ends every sign-in of the user and
revokes their API tokens.
"""
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.models import ApiToken, LoginSession, User


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, now: datetime, keep_days: int = 365) -> str:
    """Record a new sign-in of ``user``; returns its secret (also set as ``user.login_token``).

    Sign-ins older than ``keep_days`` (the remember cookie's life) are forgotten on the way.
    """
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id,
                                                     LoginSession.created_at < now - timedelta(days=keep_days)))
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user=user, token_hash=_digest(token), created_at=now))
    user.login_token = token
    return token


def user_for(token: str) -> Optional[User]:
    """The active user of a live sign-in, or None (signed out, password changed, disabled, unknown)."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(sa.select(User).join(LoginSession, LoginSession.user_id == User.id)
                             .where(LoginSession.token_hash == _digest(token)))
    if user is None or not user.is_active:
        return None
    user.login_token = token
    return user


def end_session(token: Optional[str]) -> None:
    """Sign out one browser: its session and remember cookies no longer sign anyone in."""
    if token:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


def end_credentials(user: User, now: datetime, keep: Optional[str] = None) -> None:
    """End every sign-in of ``user`` (but ``keep``) and revoke their API tokens: a changed or
    reset password leaves nothing made with the old one working."""
    ended = sa.delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep:
        ended = ended.where(LoginSession.token_hash != _digest(keep))
    db.session.execute(ended)
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))
