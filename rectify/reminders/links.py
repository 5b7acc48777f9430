"""The address people reach Rectify at, for links in e-mails, robot messages and webhooks.

``RECTIFY_BASE_URL`` when it is set; otherwise the address the server was last reached at from
another machine (recorded from requests: the Host a browser used, never a loopback address), and
failing that http://127.0.0.1:5000. ``python app.py`` says so at start and prints the machine's
network addresses.
"""
import ipaddress

from flask import current_app, request

from rectify.core.extensions import db
from rectify.models import Setting

OBSERVED = "observed_base_url"
FALLBACK = "http://127.0.0.1:5000"


def base_url() -> str:
    configured = current_app.config["RECTIFY_BASE_URL"].strip()
    if configured:
        return configured.rstrip("/")
    row = db.session.get(Setting, OBSERVED)
    return row.value.rstrip("/") if row is not None else FALLBACK


def init_app(app) -> None:
    app.after_request(_observe)


def _observe(response):
    """Remember the address a browser from another machine reached us at (one write when it changes)."""
    if current_app.config["RECTIFY_BASE_URL"] or request.blueprint == "api" or request.endpoint in (None, "static"):
        return response
    address = request.host_url.rstrip("/")
    host = request.host.rsplit(":", 1)[0].strip("[]")
    if host == "localhost" or _loopback(host):
        return response
    seen = current_app.extensions.setdefault("rectify.observed_base_url", {"value": None})
    if seen["value"] == address:
        return response
    with current_app.app_context():  # a session of its own: the request's may be in any state
        row = db.session.get(Setting, OBSERVED)
        if row is None or row.value != address:
            db.session.merge(Setting(key=OBSERVED, value=address))
            db.session.commit()
    seen["value"] = address
    return response


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
