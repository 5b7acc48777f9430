"""Everyone hears of every workflow step that concerns them: in-app at once, e-mail through the
outbox to a real SMTP server (aiosmtpd) as each person chose, webhooks to a real local HTTP server,
signed; grouped per transaction; exactly once across a crash; links to the address users use."""
import hashlib
import hmac
import http.server
import json
import threading
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from test_reminders import Inbox
from test_workflow import PDF, action

from rectify.core.timeutil import utcnow
from rectify.models import (
    Delivery,
    EventRecipient,
    Measure,
    MeasureStatus,
    Notice,
    Notification,
    Role,
    Webhook,
)
from rectify.reminders.outbox import send_outbox

from conftest import page_queries
from live_server import free_port


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
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_port, "RECTIFY_SEND_HOURS": "00:00-24:00"}


@pytest.fixture
def people(make_user):
    owner = make_user(Role.OWNER, name="周洁", email="zhoujie@example.gov.cn", person=True, department="组织人事部")
    leader = make_user(Role.LEADER, name="李明", email="liming@example.gov.cn", person=True, department="组织人事部")
    supervisor = make_user(Role.SUPERVISOR, name="孙丽", email="sunli@example.gov.cn")
    return owner, leader, supervisor


def send(app):
    with app.app_context():
        return send_outbox(utcnow())


def notices(session, user):
    session.expire_all()
    return session.scalars(sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)).all()


def test_a_return_reaches_the_owner_at_once_in_app_by_mail_and_in_the_worklist(app, client, session, login, inbox,
                                                                              people, make_measure):
    owner, leader, supervisor = people
    measure = make_measure(owners=[owner.person], leaders=[leader.person], status=MeasureStatus.IN_PROGRESS,
                           text="完善流动党员台账。")
    login(owner)
    assert action(client, measure.id, "submit", note="已完成。", version=1, files=[("纪要.pdf", PDF)]).status_code == 302
    [told] = notices(session, supervisor)
    assert told.title == "【申请销号】完善流动党员台账。" and notices(session, owner) == []  # not told of one's own step
    reviewer = app.test_client()
    login(supervisor, on=reviewer)
    version = session.get(Measure, measure.id).version
    returned = action(reviewer, measure.id, "review", decision="return", note="佐证材料不全，请补充会议记录。", version=version)
    assert returned.status_code == 302
    [notice] = notices(session, owner)
    assert notice.title == "【退回】完善流动党员台账。" and notice.read_at is None
    assert notice.items[0]["note"] == "孙丽退回：佐证材料不全，请补充会议记录。"
    assert notice.items[0]["url"] == f"/problems/{measure.problem_id}#measure-{measure.id}"
    assert [n.title for n in notices(session, leader)] == ["【退回】完善流动党员台账。"]  # the responsible leader too
    assert send(app) == (3, 0)  # 申请销号 to the supervisor, 退回 to owner and leader… and nothing twice
    assert send(app) == (0, 0)
    [mail] = inbox.to("zhoujie")
    assert mail["Subject"] == "【整改台账】【退回】完善流动党员台账。"
    assert "佐证材料不全，请补充会议记录。" in mail.get_body(("plain",)).get_content()
    home = client.get("/").get_data(as_text=True)
    assert 'id="returned"' in home and "完善流动党员台账。" in home.split('id="returned"')[1]
    client.get(f"/problems/{measure.problem_id}")  # opening the ticket reads the notice
    assert notices(session, owner)[0].read_at is not None


def test_a_bulk_assignment_is_one_notice_not_fifty(client, session, login_as, people, make_measure, make_department):
    owner = people[0]
    first = make_measure(unit=None, text="措施0")
    made = [first] + [make_measure(problem=first.problem, unit=None, text=f"措施{i}") for i in range(1, 12)]
    unit = make_department("组织人事部")
    login_as(Role.SUPERVISOR)
    response = client.post("/list/assign", data={"ids": [m.id for m in made], "lead_unit_id": unit.id, "owners": "周洁"})
    assert response.status_code == 302
    [notice] = notices(session, owner)
    assert notice.title == "【分派】12 项整改措施" and len(notice.items) == 12
    assert session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(Delivery.user_id == owner.id)) == 1


def test_each_person_chooses_how_mail_arrives(app, client, session, login, inbox, people, make_measure):
    from rectify.reminders.run import run_reminders

    owner, _, supervisor = people
    login(owner)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "分派给我或改由他人负责" in page and "每日汇总" in page
    choices = {"assign": "daily", "review": "none", "extension": "now", "comment": "daily", "change": "daily",
               "plan": "now"}
    assert client.post("/notifications/settings", data=choices).status_code == 302
    reviewer = login(supervisor, on=client.application.test_client()) and None
    measure = make_measure(unit="组织人事部", text="措施甲")
    other = client.application.test_client()
    login(supervisor, on=other)
    other.post(f"/measures/{measure.id}/edit", data={"text": "措施甲", "lead_unit_id": measure.lead_unit_id,
                                                      "owners": "周洁", "version": measure.version})
    assert [n.title for n in notices(session, owner)] == ["【分派】措施甲"]  # in-app at once, always
    assert send(app) == (0, 0) and inbox.to("zhoujie") == []  # e-mail: in the morning summary
    with app.app_context():
        run_reminders(date(2026, 12, 1), datetime(2026, 12, 1, 1, 0))
    [summary] = inbox.to("zhoujie")
    assert summary["Subject"].startswith("【整改台账】2026年12月1日通知汇总（1 条）") and "措施甲" in summary.get_body(("plain",)).get_content()
    assert reviewer is None


class Receiver:
    """A real local HTTP server taking webhooks: records each request; answers 500 when told to."""

    def __init__(self):
        received = self.received = []
        self.fail = False
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(500 if receiver.fail else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


@pytest.mark.parametrize("app_config", [{"SMTP_HOST": "", "RECTIFY_SEND_HOURS": "03:00-03:01"}])
def test_webhooks_receive_every_event_signed_and_retried(app, client, session, login, login_as, people, make_measure,
                                                        receiver):
    owner = people[0]
    login_as(Role.ADMIN)
    made = client.post("/admin/webhooks", data={"name": "OA 系统", "url": receiver.url, "secret": "s" * 24})
    assert made.status_code == 302
    measure = make_measure(owners=[owner.person], status=MeasureStatus.IN_PROGRESS, text="措施乙")
    login(owner)
    action(client, measure.id, "comment", text="请抓紧。")
    action(client, measure.id, "extension", until="2099-01-01", reason="需协调上级部门")
    assert send(app) == (2, 0)  # at any hour: webhooks are for machines
    kinds = [headers["X-Rectify-Event"] for headers, _ in receiver.received]
    assert kinds == ["commented", "extension_requested"]
    headers, body = receiver.received[1]
    expected = "sha256=" + hmac.new(b"s" * 24, body, hashlib.sha256).hexdigest()
    assert headers["X-Rectify-Signature"] == expected
    payload = json.loads(body)
    assert payload["kind"] == "extension_requested" and payload["measure_id"] == measure.id
    assert payload["actor"]["name"] == "周洁" and payload["details"]["reason"] == "需协调上级部门"

    receiver.fail = True
    action(client, measure.id, "comment", text="再补一句。")
    assert send(app) == (0, 1)
    delivery = session.scalar(sa.select(Delivery).where(Delivery.channel == "webhook", Delivery.status == "pending"))
    assert delivery.attempts == 1 and "500" in delivery.last_error
    hook = session.scalar(sa.select(Webhook))
    login_as(Role.ADMIN)
    log = client.get(f"/admin/webhooks/{hook.id}").get_data(as_text=True)
    assert "接收方返回 500" in log and "commented" in log


def test_an_event_is_mailed_exactly_once_across_a_crash(app, client, session, login, inbox, people, make_measure):
    """The change, its notices and its outbox row commit together; a sender that died after
    claiming the message leaves it for the next run after the lease, which sends it once."""
    from datetime import timedelta

    owner, _, supervisor = people
    measure = make_measure(owners=[owner.person], status=MeasureStatus.IN_PROGRESS, text="措施丙")
    login(owner)
    action(client, measure.id, "submit", note="已完成。", version=1, files=[("纪要.pdf", PDF)])
    mail = session.scalar(sa.select(Delivery).where(Delivery.user_id == supervisor.id))
    assert session.scalar(sa.select(EventRecipient.email).where(EventRecipient.user_id == supervisor.id)) == "sent"
    session.execute(sa.update(Delivery).where(Delivery.id == mail.id)
                    .values(status="sending", next_attempt_at=utcnow() + timedelta(minutes=5)))  # claimed, then the crash
    session.commit()
    assert send(app) == (0, 0)
    with app.app_context():
        assert send_outbox(utcnow() + timedelta(minutes=6)) == (1, 0)
        assert send_outbox(utcnow() + timedelta(minutes=20)) == (0, 0)
    assert len(inbox.to("sunli")) == 1


@pytest.mark.parametrize("app_config", [{"SMTP_HOST": "127.0.0.1", "RECTIFY_SEND_HOURS": "00:00-24:00"}])
def test_links_use_the_address_browsers_reach_the_server_at(app, client, session, login, people, make_measure):
    from rectify.reminders.links import base_url

    owner = people[0]
    login(owner)
    client.get("/", base_url="http://127.0.0.1:5123")  # the machine itself: until another is known
    with app.app_context():
        assert base_url() == "http://127.0.0.1:5123"
    client.get("/", base_url="http://192.168.10.20:8080")
    client.get("/", base_url="http://localhost:5123")  # not an address others can use: kept aside
    with app.app_context():
        assert base_url() == "http://192.168.10.20:8080"
    app.config["RECTIFY_BASE_URL"] = "https://zhenggai.example.gov.cn/"
    with app.app_context():
        assert base_url() == "https://zhenggai.example.gov.cn"


def test_the_api_reads_notices_without_marking_them_and_marks_them_when_asked(client, session, people, make_measure,
                                                                               login):
    from rectify.accounts.tokens import create_token

    owner, _, supervisor = people
    measure = make_measure(owners=[owner.person], status=MeasureStatus.IN_PROGRESS, text="措施丁")
    login(supervisor)
    client.post(f"/measures/{measure.id}/comment", data={f"m{measure.id}-comment-text": "请加快进度。"})
    _, token = create_token(owner, "脚本")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    [item] = client.get("/api/v1/notifications", headers=headers).json["items"]
    assert item["read"] is False
    assert client.get("/api/v1/notifications", headers=headers).json["items"][0]["read"] is False
    assert client.post("/api/v1/notifications/read", json={"ids": [item["id"]]}, headers=headers).json == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=headers).json["items"][0]["read"] is True


def test_the_notifications_page_issues_a_fixed_number_of_queries(app, client, session, login_as, make_measure):
    """However many notices a person has been sent, and on however many channels: the page's
    queries stay the same (each notice's measure and delivery come with it, not one query each)."""
    user = login_as(Role.OWNER, person=True)
    measure = make_measure(owners=[user.person])

    def send(first, count):
        for index in range(first, first + count):
            notification = Notification(user_id=user.id, title=f"逾期提醒{index}", measure_id=measure.id,
                                        items=[{"text": measure.text, "note": "已逾期", "url": "/"}])
            delivery = Delivery(user_id=user.id, channel="email", subject=f"逾期提醒{index}", body="…",
                                status=("sent", "failed")[index % 2])
            session.add_all([notification, delivery])
            session.add(Notice(key=f"overdue:{measure.id}:{user.id}:{index}", measure=measure, user_id=user.id,
                               rule="overdue", level="催办", channel="email", notification=notification,
                               delivery=delivery))
        session.commit()

    send(0, 1)
    few, page = page_queries(app, client, "/notifications/")
    assert page.count("notice-unread") == 1
    send(1, 40)
    many, page = page_queries(app, client, "/notifications/")
    assert page.count("notice-unread") == 40 and page.count("发送失败") >= 20
    assert many == few
