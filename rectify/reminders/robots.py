"""Work-chat group robots: 企业微信, 钉钉 (with its signing secret) and 飞书 webhook formats."""
import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

KINDS = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}


class RobotError(Exception):
    """The robot did not accept the message; the text says why."""


def request_for(kind: str, url: str, secret: str | None, title: str, text: str, now: float | None = None):
    """(url, JSON body) for one message in ``kind``'s format, signed when a secret is set."""
    now = time.time() if now is None else now
    if kind == "wecom":
        return url, {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    if kind == "dingtalk":
        if secret:
            stamp = str(int(now * 1000))
            digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
            sign = urllib.parse.quote_plus(base64.b64encode(digest))
            url = f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"
        return url, {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n{text}"}}
    if kind == "feishu":
        body = {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
        if secret:
            stamp = str(int(now))
            key = f"{stamp}\n{secret}".encode()
            body.update(timestamp=stamp, sign=base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode())
        return url, body
    raise RobotError(f"未知的机器人类型：{kind}")


def post(kind: str, url: str, secret: str | None, title: str, text: str) -> None:
    """Send one message; raise RobotError unless the robot answered that it took it."""
    target, body = request_for(kind, url, secret, title, text)
    request = urllib.request.Request(target, data=json.dumps(body, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read().decode() or "{}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise RobotError(f"无法发送到{KINDS.get(kind, kind)}机器人：{error}") from None
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, None):
        raise RobotError(f"{KINDS.get(kind, kind)}机器人拒收：{answer.get('errmsg') or answer.get('msg') or code}")
