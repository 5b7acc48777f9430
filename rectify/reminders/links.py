"""The address people reach Rectify at, for links in e-mails, robot messages and webhooks.

``RECTIFY_BASE_URL`` when it is set; otherwise the address the server was last reached at from
another machine (recorded from requests: the Host a browser used), else the one it was reached at
on the machine itself, and failing that http://127.0.0.1:5000. ``python app.py`` says so at start and prints the machine's
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
    """Remember the address browsers reach us at (one write when it changes): one used from another
    machine wins over one of the machine itself (127.0.0.1, localhost), which serves only until then."""
    if current_app.config["RECTIFY_BASE_URL"] or request.blueprint == "api" or request.endpoint in (None, "static"):
        return response
    address = request.host_url.rstrip("/")
    seen = current_app.extensions.setdefault("rectify.observed_base_url", {"value": None})
    if seen["value"] == address:
        return response
    with current_app.app_context():  # a session of its own: the request's may be in any state
        row = db.session.get(Setting, OBSERVED)
        if row is None or (row.value != address and (_is_local(row.value) or not _is_local(address))):
            db.session.merge(Setting(key=OBSERVED, value=address))
            db.session.commit()
            seen["value"] = address
        else:
            seen["value"] = row.value
    return response


def _is_local(address: str) -> bool:
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    return host == "localhost" or _loopback(host)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
