"""Security headers on every response (pages, error pages, static files, the API), and the
form token renewed at login.

Written by hand rather than with Flask-Talisman: the whole policy is the table below, and
Talisman's defaults (forced HTTPS redirects, its own cookie flags) would fight the settings
that already govern those (SESSION_COOKIE_SECURE, a reverse proxy that terminates TLS).

The policy allows only the app's own files: every script and stylesheet is served from
/static (Bootstrap and ECharts are vendored), templates carry no inline scripts, event
handlers or style attributes; a size known only at run time (a progress bar's width, a
chart's height) is set from a script through ``element.style``, which the policy permits.
"""
from flask import current_app, g, session

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # Bootstrap's stylesheet draws its small icons (a checkbox's tick, a select's arrow, the
    # close button) as data: SVG images.
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def init_app(app):
    app.after_request(add_security_headers)


def add_security_headers(response):
    """Add the headers a response does not set itself (evidence files keep their sandbox policy)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def rotate_csrf_token():
    """Forget the form token of the session, so that one learnt before a login is void after it.

    Flask-WTF keeps the raw token in the session (and the signed one in ``g`` for this request);
    the next form rendered gets a new one.
    """
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)
