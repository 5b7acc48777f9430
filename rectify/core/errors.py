"""Errors in Chinese, with the right status and never a traceback: a page for the browser,
``{"error": {"code", "message"}}`` for the JSON API (rectify/api), whatever went wrong."""
from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from rectify.core.extensions import db, login_manager
from rectify.core.logs import request_id

MESSAGES = {
    400: ("请求无效", "提交的内容有误，请检查后重试。"),
    401: ("需要登录", "请先登录。"),
    403: ("没有权限", "您没有执行此操作的权限。如需办理，请联系督办员或管理员。"),
    404: ("页面不存在", "您要找的页面或事项不存在，可能已被删除。"),
    405: ("不支持的操作", "该页面不支持此操作方式。"),
    409: ("操作冲突", "该事项已被他人修改，请刷新后重试。"),
    413: ("内容过大", "上传的内容超过了允许的大小。"),
    429: ("操作过于频繁", "尝试次数过多，请稍后再试。"),
    500: ("系统错误", "系统出现错误，已记录。请稍后重试，或联系管理员。"),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, ("出错了", "请求未能完成。"))
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def init_app(app):
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(StaleDataError, _stale)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _is_api() -> bool:
    """A request under /api/ gets JSON, whether or not it matched a route (an unknown path, a wrong method)."""
    return request.path.startswith("/api/")


RESTORE = "#restore-draft"  # static/js/app.js fills the form back in from what it kept when it was sent
EXPIRED_FORM = "页面已过期，未能提交，请检查后重新提交（附件须重新选择）。"


def back_path() -> str | None:
    """The page (path and query) a form was posted from, when it is one of ours; else None."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def expired_form():
    """A form posted after its page or sign-in expired: back to the form with the typed text restored,
    through the login page when the sign-in is gone. None when there is no page to go back to."""
    back = back_path()
    if request.method != "POST" or back is None or request.blueprint == "api":
        return None
    login_view = login_manager.login_view
    if urlsplit(back).path == url_for(login_view):
        flash("页面已过期，请重新登录。", "warning")
        return redirect(back)
    if not current_user.is_authenticated:
        return redirect(url_for(login_view, next=back, expired=1))
    flash(EXPIRED_FORM, "warning")
    return redirect(back + RESTORE)


def _csrf_error(error):
    return expired_form() or render_error(400, "页面已过期或表单无效（缺少安全令牌），请刷新页面后重新提交。")


def _stale(error):
    """Someone saved the same measure between our read and our write (version counter)."""
    db.session.rollback()
    if _is_api():
        return api_error(409, "conflict", MESSAGES[409][1])
    return render_error(409, "该事项已被他人修改，请刷新后重试。")


def _http_error(error: HTTPException):
    if _is_api():
        return _api_http_error(error)
    detail = None
    if error.code == 413:
        limit = current_app.config["RECTIFY_MAX_REQUEST_MB"]
        detail = f"上传的内容超过了允许的大小（上限 {limit} MB）。"
    elif error.code in (400, 403, 404, 409) and _is_chinese(error.description):
        detail = error.description
    response = render_error(error.code or 500, detail)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        return response[0], response[1], {"Allow": ", ".join(error.valid_methods)}
    return response


def _unexpected_error(error: Exception):
    propagate = current_app.config["PROPAGATE_EXCEPTIONS"]
    if propagate or (propagate is None and (current_app.testing or current_app.debug)):
        raise error  # let tests and the debugger see it
    db.session.rollback()
    current_app.logger.exception("Unhandled error", exc_info=error)
    if _is_api():  # the id, also in the X-Request-Id header, finds the traceback in the log
        return api_error(500, "internal_server_error", f"{MESSAGES[500][1]}（错误编号：{request_id()}）")
    return render_error(InternalServerError.code)


def api_error(status: int, code: str, message: str, headers=()):
    """The API's error object: ``{"error": {"code": …, "message": …}}``."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.extend(headers)
    return response


def _api_http_error(error: HTTPException):
    db.session.rollback()
    message = error.description if _is_chinese(error.description) else MESSAGES.get(error.code, ("", "请求未能完成。"))[1]
    # Keep what the status means in headers (Allow of a 405, Retry-After of a 429), not the HTML body's type.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return api_error(error.code or 500, (error.name or "error").lower().replace(" ", "_"), message, headers)


def _is_chinese(text: str | None) -> bool:
    return bool(text) and any("\u4e00" <= ch <= "\u9fff" for ch in text)
