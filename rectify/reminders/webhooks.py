"""Outgoing webhooks: an event POSTed as JSON to an address another system gave, signed so it can
tell the message came from us.

Headers: ``X-Rectify-Event`` (the kind), ``X-Rectify-Delivery`` (the delivery's id: the same on a
retry, so the receiver can drop a duplicate), ``X-Rectify-Signature: sha256=<hex>`` (HMAC-SHA256 of
the body under the webhook's secret, as GitHub signs its webhooks). Any 2xx answer is success.
"""
import hashlib
import hmac
import urllib.error
import urllib.request


class WebhookError(Exception):
    """The receiver did not take the message; the text says why."""


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, secret: str, kind: str, delivery_id: int, body: str) -> None:
    data = body.encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "Rectify-Webhook",
        "X-Rectify-Event": kind, "X-Rectify-Delivery": str(delivery_id), "X-Rectify-Signature": signature(secret, data)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise WebhookError(f"接收方返回 {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise WebhookError(f"无法发送：{error}") from None
