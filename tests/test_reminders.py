"""Reminders against a real SMTP server (aiosmtpd) started here: digests, thresholds, escalation,
holidays and 调休, catch-up, exactly once across runs, SMTP down then up."""
import email
import email.policy
import json
import re
import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller

from rectify.core.extensions import db
from rectify.models import Delivery, MeasureStatus, Notice, Notification, Role
from rectify.reminders.outbox import send_outbox
from rectify.reminders.run import run_reminders

from live_server import free_port

MONDAY = date(2026, 11, 30)  # a working day
S = MeasureStatus


def morning(day: date) -> datetime:
    """09:00 in Beijing on ``day``, as the naive UTC the database stores."""
    return datetime.combine(day, time(1, 0))


@pytest.fixture(autouse=True)
def clock():
    """The machine's clock on MONDAY morning, ticking: rows stamped by defaults (a measure's
    assignment, an outbox entry) agree with the dates the tests pass, whatever day they run."""
    with time_machine.travel(morning(MONDAY).replace(tzinfo=timezone.utc), tick=True) as traveller:
        yield traveller


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def inbox(smtp_port):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def app_config(smtp_port):
    # Sending all day, so that no test depends on the hour it runs at; test_send_hours checks the window.
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_port, "RECTIFY_BASE_URL": "http://rectify.example",
            "RECTIFY_SEND_HOURS": "00:00-24:00"}


@pytest.fixture
def people(make_user):
    owner = make_user(Role.OWNER, name="周洁", email="zhoujie@example.gov.cn", person=True)
    leader = make_user(Role.LEADER, name="李明", email="liming@example.gov.cn", person=True)
    supervisor = make_user(Role.SUPERVISOR, name="孙丽", email="sunli@example.gov.cn")
    return owner, leader, supervisor


def measure_due(make_measure, people, days, problem=None, **fields):
    owner, leader, _ = people
    fields.setdefault("status", S.IN_PROGRESS)
    fields.setdefault("acknowledged_at", datetime(2026, 11, 1))
    return make_measure(problem=problem, owners=[owner.person], leaders=[leader.person],
                        due_on=MONDAY + timedelta(days=days), text=f"措施（{days:+d}天）", **fields)


def run(app, today=MONDAY, now=None, **kwargs):
    with app.app_context():
        return run_reminders(today, now or morning(today), **kwargs)


def test_one_digest_per_recipient_with_escalation(app, session, inbox, people, make_measure):
    late = measure_due(make_measure, people, -8)
    measure_due(make_measure, people, 2, problem=late.problem)
    measure_due(make_measure, people, 0, problem=late.problem)
    measure_due(make_measure, people, 30, problem=late.problem)  # nothing to say yet
    summary = run(app)
    assert summary["notices"] == {"overdue": 1, "overdue_leader": 1, "overdue_supervisor": 1, "due_soon_3": 1, "due_today": 1}
    assert summary["recipients"] == 3 and summary["sent"] == 3
    [mail] = inbox.to("zhoujie@example.gov.cn")
    assert mail["Subject"] == "【整改提醒】您有 3 项整改措施需要处理"
    assert "周洁" in mail["To"]
    text = mail.get_body(("plain",)).get_content()
    assert "措施（-8天）（已逾期8天）" in text and "剩余2天到期" in text and "今天到期" in text
    assert "措施（+30天）" not in text
    assert f"http://rectify.example/problems/{late.problem_id}#measure-{late.id}" in text
    assert "<ol>" in mail.get_body(("html",)).get_content()
    assert inbox.to("liming@example.gov.cn")[0]["Subject"].startswith("【整改催办】")
    assert inbox.to("sunli@example.gov.cn")[0]["Subject"].startswith("【整改督办】")
    bell = session.scalars(sa.select(Notification.title).where(Notification.user_id == people[0].id)).all()
    assert bell == ["【整改提醒】您有 3 项整改措施需要处理"]


def test_exactly_once_across_runs_and_daily_for_overdue(app, session, inbox, people, make_measure):
    late = measure_due(make_measure, people, -1)
    measure_due(make_measure, people, 5, problem=late.problem)
    first = run(app)
    assert first["notices"] == {"overdue": 1, "due_soon_7": 1}
    again = run(app)
    assert again["notices"] == {} and again["recipients"] == 0
    assert len(inbox.messages) == 1
    tomorrow = run(app, MONDAY + timedelta(days=1))
    assert tomorrow["notices"] == {"overdue": 1}  # overdue repeats daily; 4 days left is still the 7-day round
    assert len(inbox.messages) == 2


def test_catch_up_after_downtime_then_the_next_threshold(app, inbox, people, make_measure):
    measure_due(make_measure, people, 5)  # entered the 7-day window while nobody ran reminders
    assert run(app)["notices"] == {"due_soon_7": 1}
    assert run(app, MONDAY + timedelta(days=1))["notices"] == {}
    assert run(app, MONDAY + timedelta(days=2))["notices"] == {"due_soon_3": 1}
    assert run(app, MONDAY + timedelta(days=4))["notices"] == {"due_soon_1": 1}


def test_holidays_and_make_up_workdays(app, inbox, people, make_measure):
    measure_due(make_measure, people, (date(2026, 9, 30) - MONDAY).days)  # overdue all through 国庆
    assert run(app, date(2026, 10, 2))["workday"] is False  # 国庆
    assert run(app, date(2026, 10, 3))["workday"] is False
    worked = run(app, date(2026, 10, 10))  # a Saturday worked for 国庆 (调休)
    assert worked["workday"] is True and worked["notices"]["overdue"] == 1
    assert len(inbox.messages) == 3  # 10 days overdue: owner, leader (催办) and supervisor (督办)


def test_unacknowledged_and_monthly_report(app, session, inbox, people, make_measure):
    new = measure_due(make_measure, people, 40, status=S.NOT_STARTED, acknowledged_at=None,
                      assigned_at=datetime(2026, 11, 26, 2, 0))
    ongoing = measure_due(make_measure, people, 100, problem=new.problem, status=S.LONG_TERM, is_long_term=True)
    summary = run(app, date(2026, 11, 30))
    assert summary["notices"] == {"unacknowledged": 1, "monthly_report": 1}
    text = inbox.messages[0].get_body(("plain",)).get_content()
    assert "分派4天仍未签收" in text and "请报送本月进展" in text
    assert ongoing.id


def test_days_are_counted_in_the_offices_time_zone(app, session, inbox, people, make_measure):
    """Assigned at 04:00 Beijing on 12-02 (20:00 UTC on 12-01): on 12-03 it has waited one day, not two,
    and a progress update at 07:00 Beijing on 12-01 (23:00 UTC on 11-30) counts as December's."""
    from rectify.models import ProgressUpdate, UpdateKind
    owner, _, _ = people
    new = measure_due(make_measure, people, 40, status=S.NOT_STARTED, acknowledged_at=None,
                      assigned_at=datetime(2026, 12, 1, 20, 0))
    ongoing = measure_due(make_measure, people, 100, problem=new.problem, status=S.LONG_TERM, is_long_term=True)
    session.add(ProgressUpdate(measure=ongoing, kind=UpdateKind.PROGRESS, text="本月已开展专项检查",
                               author=owner, created_at=datetime(2026, 11, 30, 23, 0)))
    session.commit()
    app.config["RECTIFY_REMIND_MONTHLY_DAY"] = 1
    assert run(app, date(2026, 12, 3))["notices"] == {}
    assert run(app, date(2026, 12, 4))["notices"] == {"unacknowledged": 1}
    assert "分派2天仍未签收" in inbox.messages[-1].get_body(("plain",)).get_content()


@pytest.mark.parametrize("app_config", [{"SMTP_HOST": "127.0.0.1", "SMTP_PORT": 1, "RECTIFY_BASE_URL": "http://x",
                                          "RECTIFY_SEND_HOURS": "00:00-24:00"}])
def test_smtp_down_then_up_delivers_once(app, session, people, make_measure, smtp_port):
    measure_due(make_measure, people, -1)
    summary = run(app)
    assert summary["failed"] == 1 and summary["sent"] == 0
    delivery = session.scalar(sa.select(Delivery))
    assert delivery.status == "pending" and delivery.attempts == 1 and "无法连接" in delivery.last_error
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        app.config["SMTP_PORT"] = smtp_port
        with app.app_context():
            assert send_outbox(delivery.next_attempt_at - timedelta(minutes=1)) == (0, 0)  # not before its back-off
            assert send_outbox(delivery.next_attempt_at + timedelta(minutes=1)) == (1, 0)
            assert send_outbox(delivery.next_attempt_at + timedelta(minutes=30)) == (0, 0)
            assert run_reminders(MONDAY, morning(MONDAY))["notices"] == {}
    finally:
        controller.stop()
    assert len(handler.messages) == 1


def test_without_smtp_in_app_still_works(app, session, people, make_measure):
    app.config["SMTP_HOST"] = ""
    measure_due(make_measure, people, -2)
    summary = run(app)
    assert summary["messages"] == {"inapp": 1} and summary["sent"] == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1


def test_two_runs_at_once_send_nothing_twice(app, session, inbox, people, make_measure):
    measure_due(make_measure, people, -8)
    results = []

    def worker():
        with app.app_context():
            try:
                results.append(run_reminders(MONDAY, morning(MONDAY)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 6  # 3 rules × in-app and e-mail
    assert sorted(len(inbox.to(a)) for a in ("zhoujie", "liming", "sunli")) == [1, 1, 1]


def test_cli_json_and_dry_run(app, runner, session, inbox, people, make_measure):
    measure_due(make_measure, people, -1)
    dry = runner.invoke(args=["reminders", "run", "--today", "2026-11-30", "--dry-run", "--json"])
    assert json.loads(dry.stdout)["notices"] == {"overdue": 1}
    listed = runner.invoke(args=["reminders", "run", "--today", "2026-11-30", "--dry-run"]).output
    assert "演练：2026年11月30日将提醒 1 人，共 1 条" in listed
    assert re.search(r"周洁（\w+）  逾期提醒：.+（已逾期1天）", listed), listed
    assert session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0 and inbox.messages == []
    real = runner.invoke(args=["reminders", "run", "--today", "2026-11-30"])
    assert "逾期提醒 1 条" in real.output and "成功 1 封" in real.output and "overdue" not in real.output
    holiday = runner.invoke(args=["reminders", "run", "--today", "2026-10-02"])
    assert "不是工作日" in holiday.output


class RobotEndpoint:
    """A real local HTTP server standing in for 企业微信/钉钉/飞书: records what robots receive."""

    def __init__(self):
        import http.server

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode())
                received.append((self.path, body))
                answer = b'{"code": 0, "msg": "success"}' if "feishu" in self.path else b'{"errcode": 0, "errmsg": "ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot_endpoint():
    endpoint = RobotEndpoint()
    yield endpoint
    endpoint.close()


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_unit_robots_get_one_digest_in_their_format(app, session, inbox, people, make_measure, robot_endpoint, kind):
    import base64
    import hashlib
    import hmac
    from urllib.parse import parse_qs, urlsplit

    late = measure_due(make_measure, people, -4)
    unit = late.lead_unit
    unit.robot_kind, unit.robot_url, unit.robot_secret = kind, f"{robot_endpoint.url}/{kind}/send?access_token=t", "SEC123"
    session.commit()
    summary = run(app)
    assert summary["messages"]["robot"] == 1
    [(path, body)] = robot_endpoint.received
    if kind == "wecom":
        assert body["msgtype"] == "markdown" and "已逾期4天" in body["markdown"]["content"]
    elif kind == "dingtalk":
        query = parse_qs(urlsplit(path).query)
        expected = base64.b64encode(hmac.new(b"SEC123", f"{query['timestamp'][0]}\nSEC123".encode(), hashlib.sha256).digest())
        assert query["sign"][0] == expected.decode() and "已逾期4天" in body["markdown"]["text"]
    else:
        key = f"{body['timestamp']}\nSEC123".encode()
        assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        assert "已逾期4天" in body["content"]["text"]
    assert run(app)["messages"] == {}
    assert len(robot_endpoint.received) == 1


def test_a_robot_that_is_down_is_retried_later(app, session, people, make_measure):
    late = measure_due(make_measure, people, -4)
    late.lead_unit.robot_kind, late.lead_unit.robot_url = "wecom", f"http://127.0.0.1:{free_port()}/send"
    session.commit()
    app.config["SMTP_HOST"] = ""
    summary = run(app)
    assert summary["failed"] == 1
    delivery = session.scalar(sa.select(Delivery).where(Delivery.channel == "robot"))
    assert delivery.status == "pending" and "无法发送到企业微信机器人" in delivery.last_error


def test_nothing_leaves_outside_the_send_hours(app, session, inbox, people, make_measure):
    app.config["SEND_WINDOW"] = ((8, 0), (18, 0))
    measure_due(make_measure, people, -1)
    evening = datetime(2026, 11, 30, 13, 30)  # 21:30 in Beijing
    summary = run(app, now=evening)
    assert summary["notices"] == {"overdue": 1} and summary["sent"] == 0
    assert session.scalar(sa.select(Delivery.status)) == "pending" and inbox.messages == []
    with app.app_context():
        assert send_outbox(datetime(2026, 12, 1, 0, 30)) == (1, 0)  # 08:30 the next morning
    assert len(inbox.messages) == 1


def test_weekly_ledger_is_made_once_and_mailed_to_supervisors(app, session, inbox, people, make_measure):
    from openpyxl import load_workbook

    from rectify.ledgers.scheduled import folder, make_scheduled_ledger

    measure_due(make_measure, people, -1)
    with app.app_context():
        first = make_scheduled_ledger("weekly", MONDAY, morning(MONDAY))
        again = make_scheduled_ledger("weekly", MONDAY, morning(MONDAY))
        path = folder() / first["file"]
        assert send_outbox(datetime(2026, 11, 30, 1, 0)) == (1, 0)
    assert first == {"file": "整改台账-周报-20261130.xlsx", "made": True, "measures": 1, "emails": 1}
    assert again == {"file": "整改台账-周报-20261130.xlsx", "made": False, "measures": None, "emails": 0}
    assert load_workbook(path)["整改台账"]["D4"].value == "措施（-1天）"
    [mail] = inbox.messages
    assert "sunli" in mail["To"] and mail["Subject"] == "【整改台账】周报（截至2026年11月30日）"
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "整改台账-周报-20261130.xlsx"
    assert attachment.get_content()[:2] == b"PK"


def test_an_administrator_changes_the_thresholds(app, client, session, inbox, login_as, people, make_measure):
    from rectify.models import AuditLog

    login_as(Role.ADMIN)
    form = {"due_days": "5，2", "overdue_every": 2, "leader_days": 3, "supervisors_days": 10,
            "unacknowledged_days": 2, "monthly_day": 20, "max_items": 50}
    bad = client.post("/admin/reminders", data={**form, "due_days": "七天", "monthly_day": 31})
    assert bad.status_code == 400 and "7,3,1" in bad.get_data(as_text=True) and "应为 1 到 28" in bad.get_data(as_text=True)
    assert client.post("/admin/reminders", data=form).status_code == 302
    entry = session.scalar(sa.select(AuditLog).where(AuditLog.action == "update_settings"))
    assert entry.changes["到期前提醒（天，逗号分隔）"] == ["7,3,1", "5,2"]
    measure_due(make_measure, people, 6)
    assert run(app)["notices"] == {}  # 6 days left: no 7-day round any more
    assert run(app, MONDAY + timedelta(days=1))["notices"] == {"due_soon_5": 1}


def test_recipients_see_their_notices_and_delivery_status(app, client, session, inbox, login, people, make_measure):
    late = measure_due(make_measure, people, -2)
    run(app)
    login(people[0])
    assert 'id="unread-count">1<' in client.get("/board").get_data(as_text=True)  # the bell
    page = client.get("/notifications/").get_data(as_text=True)
    assert "<title>通知 - 整改台账系统</title>" in page
    assert "【整改提醒】您有 1 项整改措施需要处理" in page and late.text in page
    assert page.count("notice-unread") == 1  # shown as new this once …
    assert f'href="/problems/{late.problem_id}#measure-{late.id}"' in page  # each item links to its ticket
    assert 'id="unread-count"' not in page  # … and opening 通知 cleared the bell
    log = page[page.index('id="notice-log"'):]
    assert log.count(">已发送</td>") == 1 and log.count(">已送达</td>") == 1  # e-mail sent, in-app delivered
    assert "notice-unread" not in client.get("/notifications/").get_data(as_text=True)
    ticket = client.get(f"/problems/{late.problem_id}").get_data(as_text=True)
    assert "提醒记录（2）" in ticket


def test_a_crash_between_recording_and_sending_loses_and_doubles_nothing(app, session, inbox, people, make_measure):
    """The evening run records its notices but cannot send (as if the process died right after
    committing); the next run sends that message once and records nothing again."""
    app.config["SEND_WINDOW"] = ((8, 0), (18, 0))
    measure_due(make_measure, people, 5)
    recorded = run(app, MONDAY, now=datetime(2026, 11, 30, 12, 0))  # 20:00 in Beijing
    assert recorded["notices"] == {"due_soon_7": 1} and recorded["sent"] == 0 and inbox.messages == []
    morning = run(app, MONDAY + timedelta(days=1), now=datetime(2026, 12, 1, 1, 0))  # 09:00
    assert morning["notices"] == {} and morning["sent"] == 1
    again = run(app, MONDAY + timedelta(days=1), now=datetime(2026, 12, 1, 2, 0))
    assert again["sent"] == 0
    assert len(inbox.messages) == 1 and "剩余5天到期" in inbox.messages[0].get_body(("plain",)).get_content()


def test_a_message_claimed_by_a_process_that_died_is_sent_after_its_lease(app, session, inbox, people, make_measure,
                                                                           database_url, tmp_path):
    """A real sender process claims the e-mail, hangs on an SMTP server that never greets, and is
    killed (-9). The message is not sent while its lease runs, and is sent exactly once after."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    app.config["SEND_WINDOW"] = ((8, 0), (18, 0))
    measure_due(make_measure, people, -1)
    run(app, now=datetime(2026, 11, 30, 13, 0))  # 21:00 in Beijing: recorded, waiting for the morning
    mute = socket.socket()  # accepts connections, never says a word
    mute.bind(("127.0.0.1", 0))
    mute.listen()
    claimed_at = datetime(2026, 12, 1, 1, 0)
    script = ("import sys; from datetime import datetime; from rectify import create_app; "
              "from rectify.reminders.outbox import send_outbox; app = create_app(); app.app_context().push(); "
              f"send_outbox(datetime.fromisoformat({claimed_at.isoformat()!r}))")
    env = {**os.environ, "DATABASE_URL": database_url, "RECTIFY_INSTANCE": str(tmp_path / "instance"),
           "SECRET_KEY": "x", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mute.getsockname()[1]),
           "RECTIFY_SEND_HOURS": "08:00-18:00"}
    sender = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        for _ in range(300):
            session.expire_all()
            if session.scalar(sa.select(Delivery.status)) == "sending":
                break
            assert sender.poll() is None, "the sender ended before claiming the message"
            threading.Event().wait(0.1)
        assert session.scalar(sa.select(Delivery.status)) == "sending"
        sender.send_signal(signal.SIGKILL)
        sender.wait(10)
    finally:
        sender.kill()
        mute.close()
    with app.app_context():
        assert send_outbox(claimed_at + timedelta(minutes=4)) == (0, 0)  # the lease still runs
        assert send_outbox(claimed_at + timedelta(minutes=6)) == (1, 0)
        assert send_outbox(claimed_at + timedelta(minutes=20)) == (0, 0)
    assert len(inbox.messages) == 1


def test_every_email_escapes_what_users_typed(app, session, inbox, make_user, make_measure):
    """Names and texts typed by users land in e-mails as text, never as markup."""
    from rectify.ledgers.scheduled import make_scheduled_ledger

    owner = make_user(Role.OWNER, name='周洁<img src=x onerror="alert(1)">', email="zhoujie@example.gov.cn", person=True)
    make_user(Role.SUPERVISOR, name="孙丽<b>督办</b>", email="sunli@example.gov.cn")
    make_measure(owners=[owner.person], due_on=MONDAY - timedelta(days=1), status=S.IN_PROGRESS,
                 acknowledged_at=datetime(2026, 11, 1), text="完善<script>alert('x')</script>台账 & 制度")
    run(app)
    with app.app_context():
        make_scheduled_ledger("weekly", MONDAY, morning(MONDAY))
        send_outbox(morning(MONDAY))
    digest, = inbox.to("zhoujie")
    ledger, = [m for m in inbox.to("sunli") if "周报" in m["Subject"]]
    for message, raw, escaped in (
        (digest, '周洁<img src=x onerror="alert(1)">', "周洁&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"),
        (digest, "完善<script>alert('x')</script>台账 & 制度", "完善&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;台账 &amp; 制度"),
        (ledger, "孙丽<b>督办</b>", "孙丽&lt;b&gt;督办&lt;/b&gt;"),
    ):
        html = message.get_body(("html",)).get_content()
        assert escaped in html and raw not in html
        assert raw in message.get_body(("plain",)).get_content()
