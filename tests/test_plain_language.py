"""Pages and messages in plain Chinese: no JSON, commands or setting names on the pages, times in
the office's zone, sizes as people write them, one sentence per error."""
import os
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_workflow import action

from rectify.core.extensions import db
from rectify.core.numbers import format_size
from rectify.core.text import one_sentence
from rectify.models import JobRun, Role

DEVELOPER_WORDS = re.compile(r"RECTIFY_|flask |\{\"|\"\w+\":")


def visible_text(page: str) -> str:
    body = page.split("<main", 1)[1]
    return re.sub(r"<[^>]+>", " ", body)


def test_the_jobs_page_speaks_to_an_administrator(app, client, session, login_as):
    login_as(Role.ADMIN)
    session.add_all([
        JobRun(job="reminders", started_at=datetime(2026, 5, 11, 0, 30), finished_at=datetime(2026, 5, 11, 0, 31), ok=True,
               summary={"today": "2026-05-11", "workday": True, "notices": {"due_soon_3": 2, "overdue": 1},
                        "recipients": 2, "messages": {"inapp": 2}, "sent": 1, "failed": 0, "dry_run": False}),
        JobRun(job="backup", started_at=datetime(2026, 5, 11, 18, 30), finished_at=datetime(2026, 5, 11, 18, 30), ok=True,
               summary={"file": "rectify-backup-20260512-023000.zip", "size": 1_400_000, "seconds": 0.4, "removed": ["a.zip"]}),
        JobRun(job="cleanup", started_at=datetime(2026, 5, 11, 19, 15), ok=False, summary={"error": "磁盘已满"}),
    ])
    session.commit()
    page = client.get("/admin/jobs").get_data(as_text=True)
    text = visible_text(page)
    assert not DEVELOPER_WORDS.search(text), DEVELOPER_WORDS.search(text)
    assert "提醒 2 人（到期前3天提醒 2 条、逾期提醒 1 条），发出邮件 1 封。" in text
    assert "已备份到 rectify-backup-20260512-023000.zip（1.3 MB，用时 0.4 秒），删除较早的备份 1 份。" in text
    assert "出错：磁盘已满" in text
    assert "2026年5月11日 08:30" in text  # 00:30 UTC in Asia/Shanghai


def test_the_reminder_settings_page_names_no_settings(client, login_as):
    login_as(Role.ADMIN)
    text = visible_text(client.get("/admin/reminders").get_data(as_text=True))
    assert not DEVELOPER_WORDS.search(text)
    assert "每天 08:30 计算并发送提醒" in text and "08:00-18:00" in text


def test_the_ledger_page_shows_the_offices_time_and_sizes_in_kb(app, client, login_as):
    user = login_as(Role.SUPERVISOR)
    folder = Path(app.instance_path) / "ledgers" / "users" / str(user.id)
    folder.mkdir(parents=True)
    ledger = folder / "整改台账-20260512-080000.xlsx"
    ledger.write_bytes(b"PK" + b"\0" * 40_000)
    made = datetime(2026, 5, 12, 0, 5, tzinfo=timezone.utc).timestamp()  # 08:05 in Shanghai
    os.utime(ledger, (made, made))
    page = client.get("/ledger/").get_data(as_text=True)
    assert "2026年5月12日 08:05" in page and "39 KB" in page


@pytest.mark.parametrize("size, words", [(0, "0 KB"), (300, "1 KB"), (40_000, "39 KB"), (1_048_576, "1 MB"),
                                         (3_565_158, "3.4 MB")])
def test_sizes_read_as_people_write_them(size, words):
    assert format_size(size) == words


def test_errors_read_as_one_sentence(client, login_as, make_measure):
    assert one_sentence(["请填写进展情况。", "文件过大。"]) == "请填写进展情况；文件过大。"
    owner = login_as(Role.OWNER, department="组织人事部", person=True)
    measure = make_measure(owners=[owner.person], due_on=date.today() + timedelta(days=9))
    refused = action(client, measure.id, "extension", until="", reason="")
    page = refused.get_data(as_text=True)
    message = re.search(r'id="action-error">([^<]+)<', page).group(1)
    assert "。；" not in message and message.endswith("。") and "；" in message


def test_extension_decisions_say_agreed_or_refused(app, client, session, login, make_user, make_measure):
    from rectify.models import ExtensionRequest
    from rectify.tracking import workflow

    login(make_user(Role.SUPERVISOR))
    owner = make_user(Role.OWNER, department="组织人事部", person=True)
    measure = make_measure(owners=[owner.person], due_on=date.today() + timedelta(days=9))
    with app.app_context():
        for until in (30, 60):
            request = workflow.request_extension(db.session.get(type(measure), measure.id), db.session.get(type(owner), owner.id),
                                                 date.today() + timedelta(days=until), "协调中")
            db.session.commit()
            decision = {"decision": "approve"} if until == 30 else {"decision": "refuse", "reason": "不能再延"}
            response = client.post(f"/extensions/{request.id}/decide", data=decision, follow_redirects=True)
            assert ("延期申请已同意。" if until == 30 else "延期申请已驳回。") in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ExtensionRequest)) == 2


def test_the_login_page_says_what_to_do_when_a_password_is_forgotten(client):
    page = client.get("/login").get_data(as_text=True)
    assert "忘记密码：请联系本单位的系统管理员" in page
