"""Personal API tokens: made with enough randomness that a fast hash is safe to store."""
import hashlib
import secrets

from rectify.accounts import audit
from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.models import ApiToken, User

PREFIX = "rct_"


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token itself, to be shown once."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip()[:100] or "未命名", token_hash=hashlib.sha256(plain.encode()).hexdigest(),
                     prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    audit.record(user, "create_token", user, {"token": [None, token.prefix]})
    return token, plain


def revoke_token(token: ApiToken, by: User) -> None:
    token.revoked_at = utcnow()
    audit.record(by, "revoke_token", token.user, {"token": [token.prefix, None]})
