"""The outbox: e-mails and robot messages recorded by a run (reminders, scheduled ledgers), sent
within the send hours, each claimed under a lease, retried with back-off, never twice."""
import smtplib
import ssl
from contextlib import suppress
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from rectify.core.extensions import db
from rectify.models import Delivery
from rectify.reminders import robots, webhooks

BACKOFF_MINUTES = (5, 15, 60, 240, 720)
ATTACHMENT_TYPES = {".xlsx": "vnd.openxmlformats-officedocument.spreadsheetml.sheet",  # scheduled ledgers
                    ".docx": "vnd.openxmlformats-officedocument.wordprocessingml.document"}  # bulletins


def send_outbox(now: datetime) -> tuple[int, int]:
    """Send every message whose time has come, robots first, then e-mail over one SMTP connection;
    return (sent, failed).

    Each message is claimed (pending → sending) by a conditional UPDATE, committed, just before
    it is sent, and marked sent in its own commit right after the server accepts it; two
    senders at once never send the same one. A claim is a lease (``RECTIFY_OUTBOX_LEASE_MINUTES``,
    kept in ``next_attempt_at``): a message left "sending" by a process that died is sent by the
    first run after the lease ends. One window remains, and cannot be closed with SMTP or a
    webhook: a crash after the server accepted the message (SMTP's 250, HTTP's 200) and before
    the commit that follows it sends that one message again.
    """
    config = current_app.config
    db.session.execute(sa.update(Delivery).where(Delivery.status == "sending", Delivery.next_attempt_at <= now)
                       .values(status="pending"))
    db.session.commit()
    # Webhooks are for machines: they leave at any hour. People's messages wait for the send hours.
    channels = ["webhook"]
    if within_send_hours(now):
        channels += ["robot", "email"] if config["SMTP_HOST"] else ["robot"]
    due = db.session.execute(
        sa.select(Delivery.id, Delivery.channel).where(Delivery.status == "pending", Delivery.channel.in_(channels),
                                                       Delivery.next_attempt_at <= now).order_by(Delivery.id)
    ).all()
    lease = timedelta(minutes=config["RECTIFY_OUTBOX_LEASE_MINUTES"])
    sent = failed = 0
    for delivery in _claimed([i for i, channel in due if channel == "webhook"], now, lease):
        hook = delivery.webhook
        try:
            if not hook.is_active:
                raise webhooks.WebhookError("该 Webhook 已停用")
            webhooks.post(hook.url, hook.secret, delivery.subject, delivery.id, delivery.body)
        except webhooks.WebhookError as error:
            _failed(delivery, now, str(error))
            failed += 1
        else:
            _sent(delivery, now)
            sent += 1
        db.session.commit()
    for delivery in _claimed([i for i, channel in due if channel == "robot"], now, lease):
        unit = delivery.department
        try:
            robots.post(unit.robot_kind, unit.robot_url, unit.robot_secret, delivery.subject, delivery.body)
        except robots.RobotError as error:
            _failed(delivery, now, str(error))
            failed += 1
        else:
            _sent(delivery, now)
            sent += 1
        db.session.commit()
    emails = _claimed([i for i, channel in due if channel == "email"], now, lease)
    connection = None
    for delivery in emails:
        if connection is None:
            try:
                connection = _connect(config)
            except (OSError, smtplib.SMTPException) as error:  # the server is down: every e-mail waits its back-off
                for waiting in (delivery, *emails):
                    _failed(waiting, now, f"无法连接邮件服务器：{error}")
                    db.session.commit()
                    failed += 1
                return sent, failed
        try:
            connection.send_message(_email(delivery, config))
        except (OSError, smtplib.SMTPException) as error:
            _failed(delivery, now, str(error))
            failed += 1
        else:
            _sent(delivery, now)
            sent += 1
        db.session.commit()
    if connection is not None:
        with suppress(OSError, smtplib.SMTPException):
            connection.quit()
    return sent, failed


class _claimed:
    """The deliveries of ``ids`` that this run wins, one at a time, each claimed and committed
    just before the caller sends it (one claim, one send: the lease covers a single message)."""

    def __init__(self, ids: list[int], now: datetime, lease: timedelta):
        self.ids, self.now, self.lease = list(ids), now, lease

    def __iter__(self):
        while self.ids:
            candidate = self.ids.pop(0)
            claimed = db.session.execute(
                sa.update(Delivery).where(Delivery.id == candidate, Delivery.status == "pending",
                                          Delivery.next_attempt_at <= self.now)
                .values(status="sending", next_attempt_at=self.now + self.lease))
            db.session.commit()
            if claimed.rowcount == 1:
                yield db.session.get(Delivery, candidate)


def _sent(delivery: Delivery, now: datetime) -> None:
    delivery.status, delivery.sent_at, delivery.attempts = "sent", now, delivery.attempts + 1


def within_send_hours(now: datetime) -> bool:
    """Whether ``now`` (naive UTC) falls in RECTIFY_SEND_HOURS, local time."""
    local = now.replace(tzinfo=timezone.utc).astimezone(current_app.config["TIMEZONE"])
    start, end = current_app.config["SEND_WINDOW"]
    return start <= (local.hour, local.minute) < end


def _connect(config):
    host, port, mode = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TLS"]
    if mode == "ssl":
        connection = smtplib.SMTP_SSL(host, port, timeout=30, context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(host, port, timeout=30)
        if mode == "starttls":
            connection.starttls(context=ssl.create_default_context())
    if config["SMTP_USER"]:
        connection.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    return connection


def _email(delivery: Delivery, config) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = delivery.subject
    message["From"] = config["SMTP_FROM"]
    message["To"] = Address(display_name=delivery.user.name, addr_spec=delivery.user.email)
    message.set_content(delivery.body)
    if delivery.html:
        message.add_alternative(delivery.html, subtype="html")
    if delivery.attachment:
        path = Path(current_app.instance_path) / delivery.attachment
        message.add_attachment(path.read_bytes(), maintype="application",
                               subtype=ATTACHMENT_TYPES.get(path.suffix, "octet-stream"), filename=path.name)
    return message


def _failed(delivery: Delivery, now: datetime, error: str) -> None:
    delivery.status = "pending"
    delivery.attempts += 1
    delivery.last_error = error[:1000]
    if delivery.attempts >= len(BACKOFF_MINUTES) + 1:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + timedelta(minutes=BACKOFF_MINUTES[delivery.attempts - 1])

