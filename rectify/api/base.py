"""The API's blueprint, token authentication and error answers; the routes are in views.py.

JSON API under /api/v1, for other systems (an OA, a mobile page, a unit's script).

Authentication is a personal token only (``Authorization: Bearer …``): the API ignores session
cookies, so no other site can make a signed-in browser write through it (its requests carry no
CSRF token). Every write goes through the same permission and workflow rules as the pages.
Errors are ``{"error": {"code": …, "message": …}}`` with the right status; rectify/core/errors.py makes
them, for HTTP errors (an unknown route, a wrong method: 404, 405 with Allow), a stale write (409)
and an unexpected exception (500, logged) too.
"""
import hashlib
from typing import Optional

import sqlalchemy as sa
from flask import Blueprint, g, request

from rectify.core.errors import api_error as error
from rectify.core.extensions import csrf, db
from rectify.core.timeutil import utcnow
from rectify.models import ApiToken, User
from rectify.tracking.workflow import WorkflowError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
PUBLIC = {"api.openapi"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def token_user(header: Optional[str]) -> Optional[User]:
    """The active user a ``Bearer`` token belongs to, or None (revoked, unknown, malformed)."""
    if not header or not header.startswith("Bearer "):
        return None
    digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
    if token is None or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    return token.user


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    user = token_user(request.headers.get("Authorization"))
    if user is None:
        return error(401, "unauthorized", "缺少或无效的访问令牌（Authorization: Bearer …），或令牌已被撤销。")
    g.api_user = user
    return None


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.session.rollback()
    return error(exc.status, exc.code, exc.message)


@bp.errorhandler(WorkflowError)
def _workflow_error(exc: WorkflowError):
    db.session.rollback()
    codes = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict", 503: "storage_unavailable",
             507: "insufficient_storage"}
    return error(exc.status, codes.get(exc.status, "error"), exc.message)
