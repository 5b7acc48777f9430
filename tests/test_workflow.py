"""The rectification workflow through the web pages, as owners and supervisors use it."""
import io
import zipfile
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from rectify.models import (
    AuditLog,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    Measure,
    MeasureStatus,
    ProgressUpdate,
    Role,
    UpdateKind,
)
from rectify.tracking import workflow

S = MeasureStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def action(client, measure_id, name, files=(), **fields):
    """POST the prefixed form ``name`` of a measure, as the ticket page would."""
    data = {f"m{measure_id}-{name}-{key}": value for key, value in fields.items()}
    if files:
        data[f"m{measure_id}-{name}-files"] = [(io.BytesIO(content), filename) for filename, content in files]
    return client.post(f"/measures/{measure_id}/{name}", data=data, content_type="multipart/form-data")


@pytest.fixture
def owner(login_as):
    return login_as(Role.OWNER, name="周洁", department="组织人事部", person=True)


@pytest.fixture
def measure(owner, make_measure):
    return make_measure(owners=[owner.person], unit="组织人事部", due_on=date.today() + timedelta(days=10))


def reload(session, measure):
    session.expire_all()
    return session.get(Measure, measure.id)


def updates(session, measure, kind=None):
    query = sa.select(ProgressUpdate).where(ProgressUpdate.measure_id == measure.id)
    if kind:
        query = query.where(ProgressUpdate.kind == kind)
    return session.scalars(query.order_by(ProgressUpdate.id)).all()


def test_owner_acknowledges_once(client, session, measure):
    assert client.post(f"/measures/{measure.id}/acknowledge").status_code == 302
    assert reload(session, measure).acknowledged_at is not None
    again = client.post(f"/measures/{measure.id}/acknowledge")
    assert again.status_code == 409 and "已签收" in again.get_data(as_text=True)


def test_progress_starts_the_work_and_keeps_files(client, session, measure):
    response = action(client, measure.id, "progress", text="已召开专题会议。", version=1,
                      files=[("会议纪要.pdf", PDF), ("现场照片.png", PNG)])
    assert response.status_code == 302
    stored = reload(session, measure)
    assert stored.status is S.IN_PROGRESS and stored.acknowledged_at is not None
    [update] = updates(session, measure)
    assert update.text == "已召开专题会议。"
    names = session.scalars(sa.select(Evidence.filename).where(Evidence.measure_id == measure.id)).all()
    assert sorted(names) == ["会议纪要.pdf", "现场照片.png"]
    trail = session.scalar(sa.select(AuditLog).where(AuditLog.action == "progress"))
    assert trail.changes["status"] == ["未启动", "整改中"]


def test_submit_needs_evidence_and_changes_nothing_without_it(client, session, measure):
    action(client, measure.id, "progress", text="推进中。", version=1)
    version = reload(session, measure).version
    refused = action(client, measure.id, "submit", note="已完成。", version=version)
    assert refused.status_code == 400
    assert "至少上传一份佐证材料" in refused.get_data(as_text=True)
    assert reload(session, measure).status is S.IN_PROGRESS
    assert updates(session, measure, UpdateKind.SUBMITTED) == []


def test_full_round_submit_return_resubmit_approve(app, client, session, measure, make_user, login):
    action(client, measure.id, "progress", text="推进中。", version=1)
    m = reload(session, measure)
    assert action(client, m.id, "submit", note="已全部完成。", version=m.version,
                  files=[("台账.docx", docx_bytes())]).status_code == 302
    assert reload(session, measure).status is S.PENDING_REVIEW

    forged = action(client, measure.id, "review", decision="approve", version=reload(session, measure).version)
    assert forged.status_code == 403
    assert reload(session, measure).status is S.PENDING_REVIEW

    supervisor = app.test_client()
    login(make_user(Role.SUPERVISOR), on=supervisor)
    no_reason = action(supervisor, measure.id, "review", decision="return", note="", version=reload(session, measure).version)
    assert no_reason.status_code == 400 and "请填写退回理由" in no_reason.get_data(as_text=True)
    assert action(supervisor, measure.id, "review", decision="return", note="佐证材料不全，请补充会议记录。",
                  version=reload(session, measure).version).status_code == 302
    assert reload(session, measure).status is S.IN_PROGRESS

    assert action(client, measure.id, "submit", note="已补充会议记录。", version=reload(session, measure).version,
                  files=[("会议记录.pdf", PDF)]).status_code == 302
    assert action(supervisor, measure.id, "review", decision="approve", note="",
                  version=reload(session, measure).version).status_code == 302
    done = reload(session, measure)
    assert done.status is S.DONE and done.completed_on is not None
    kinds = [u.kind for u in updates(session, measure)]
    assert kinds == [UpdateKind.PROGRESS, UpdateKind.SUBMITTED, UpdateKind.RETURNED, UpdateKind.SUBMITTED, UpdateKind.APPROVED]
    page = client.get(f"/problems/{measure.problem_id}").get_data(as_text=True)
    assert "佐证材料不全，请补充会议记录。" in page and "已销号" in page


def test_long_term_stage_only_for_long_term_measures(client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    plain = make_measure(status=S.PENDING_REVIEW)
    refused = action(client, plain.id, "review", decision="stage", version=plain.version)
    assert refused.status_code == 400 and "不是长期坚持事项" in refused.get_data(as_text=True)
    ongoing = make_measure(problem=plain.problem, status=S.PENDING_REVIEW, is_long_term=True)
    assert action(client, ongoing.id, "review", decision="stage", version=ongoing.version).status_code == 302
    assert reload(session, ongoing).status is S.LONG_TERM


def test_stale_version_is_refused_and_nothing_changes(client, session, measure):
    action(client, measure.id, "progress", text="第一次进展。", version=1)
    stale = action(client, measure.id, "progress", text="基于旧页面的进展。", version=1)
    assert stale.status_code == 409
    assert "已被他人修改，请刷新后重试" in stale.get_data(as_text=True)
    assert [u.text for u in updates(session, measure)] == ["第一次进展。"]


def test_two_supervisors_editing_the_same_measure(app, client, session, login, login_as, make_user, make_measure):
    login_as(Role.SUPERVISOR)
    measure = make_measure(text="原措施")
    form = {"text": "甲修改的措施", "lead_unit_id": 0, "version": measure.version}
    assert client.post(f"/measures/{measure.id}/edit", data=form).status_code == 302
    other = app.test_client()
    login(make_user(Role.SUPERVISOR), on=other)
    late = other.post(f"/measures/{measure.id}/edit", data={**form, "text": "乙修改的措施"})
    assert late.status_code == 409 and "已被他人修改" in late.get_data(as_text=True)
    assert reload(session, measure).text == "甲修改的措施"


def test_edit_and_reassign_are_audited_field_by_field(client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    measure = make_measure(text="原措施", acknowledged_at=None)
    response = client.post(f"/measures/{measure.id}/edit", data={
        "text": "原措施", "lead_unit_id": 0, "owners": "吴刚、黄磊", "due_on": "2024-12-31",
        "is_long_term": "y", "version": measure.version, "new_people": ["吴刚", "黄磊"]})
    assert response.status_code == 302
    entry = session.scalar(sa.select(AuditLog).where(AuditLog.action == "update", AuditLog.object_id == measure.id))
    assert entry.changes["owners"] == [[], ["吴刚", "黄磊"]]
    assert entry.changes["due_on"] == [None, "2024-12-31"]
    assert entry.changes["lead_unit"] == ["组织人事部", None]
    page = client.get(f"/problems/{measure.problem_id}").get_data(as_text=True)
    assert "2024年12月31日，并长期坚持" in page and "吴刚、黄磊" in page and "修改记录（" in page


def test_extension_request_and_decisions(app, client, session, login, measure, make_user):
    original = measure.due_on
    early = action(client, measure.id, "extension", until=original.isoformat(), reason="需要更多时间")
    assert early.status_code == 400 and "须晚于现有整改时限" in early.get_data(as_text=True)
    later = original + timedelta(days=30)
    assert action(client, measure.id, "extension", until=later.isoformat(), reason="涉及多部门协调").status_code == 302
    twice = action(client, measure.id, "extension", until=later.isoformat(), reason="再申请")
    assert twice.status_code == 409 and "待审批" in twice.get_data(as_text=True)
    request_id = session.scalar(sa.select(ExtensionRequest.id))
    assert client.post(f"/extensions/{request_id}/decide", data={"decision": "approve"}).status_code == 403

    supervisor = app.test_client()
    login(make_user(Role.SUPERVISOR), on=supervisor)
    assert supervisor.post(f"/extensions/{request_id}/decide", data={"decision": "approve"}).status_code == 302
    extended = reload(session, measure)
    assert (extended.due_on, extended.original_due_on) == (later, original)
    page = client.get(f"/problems/{measure.problem_id}").get_data(as_text=True)
    assert "已延期" in page

    action(client, measure.id, "extension", until=(later + timedelta(days=10)).isoformat(), reason="仍需时间")
    second = session.scalar(sa.select(ExtensionRequest.id).where(ExtensionRequest.status == ExtensionStatus.PENDING))
    no_reason = supervisor.post(f"/extensions/{second}/decide", data={"decision": "refuse", "reason": ""})
    assert no_reason.status_code == 400 and "不同意的理由" in no_reason.get_data(as_text=True)
    assert supervisor.post(f"/extensions/{second}/decide", data={"decision": "refuse", "reason": "时限不能再延"}).status_code == 302
    assert reload(session, measure).due_on == later


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("报告.pdf", b"<html><script>alert(1)</script></html>", "内容与扩展名 .pdf 不符"),
        ("工具.exe", b"MZ\x90\x00", "文件类型不在允许范围内"),
        ("照片.png", PDF, "内容与扩展名 .png 不符"),
        ("../../etc/passwd.pdf", PDF, "含有路径"),
        ("/tmp/报告.pdf", PDF, "含有路径"),
        ("空文件.pdf", b"", "是空文件"),
        ("伪装.docx", b"PK\x03\x04garbage", "内容与扩展名 .docx 不符"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(app, client, session, measure, filename, content, message):
    response = action(client, measure.id, "progress", text="附材料。", version=1, files=[(filename, content)])
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert updates(session, measure) == []
    assert session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0
    assert reload(session, measure).status is S.NOT_STARTED


@pytest.mark.parametrize("app_config", [{"RECTIFY_EVIDENCE_MAX_MB": 1}])
def test_oversized_evidence_is_refused(client, session, measure):
    big = PDF + b"0" * (1024 * 1024)
    response = action(client, measure.id, "evidence", files=[("大文件.pdf", big)])
    assert response.status_code == 400 and "超过单个文件 1 MB" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_identical_files_are_stored_once_and_downloaded_by_their_chinese_name(app, client, session, measure):
    assert action(client, measure.id, "evidence", files=[("整改报告.pdf", PDF), ("副本.pdf", PDF)]).status_code == 302
    items = session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()
    assert len(items) == 2 and items[0].sha256 == items[1].sha256
    blobs = [p for p in (app.instance_path and __import__("pathlib").Path(app.instance_path) / "evidence").rglob("*")
             if p.is_file() and p.parent.name != "tmp"]
    assert len(blobs) == 1
    download = client.get(f"/evidence/{items[0].id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()
    preview = client.get(f"/evidence/{items[0].id}/preview")
    assert preview.headers["Content-Type"] == "application/pdf" and preview.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    preview.close()


def test_evidence_of_a_signed_off_measure_cannot_be_removed(client, session, measure, make_measure):
    action(client, measure.id, "evidence", files=[("纪要.pdf", PDF)])
    item = session.scalar(sa.select(Evidence))
    session.get(Measure, measure.id).status = S.DONE
    session.commit()
    refused = client.post(f"/evidence/{item.id}/delete")
    assert refused.status_code == 409 and "不能删除" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Evidence, item.id).deleted_at is None


def test_other_units_measures_are_invisible_and_cooperating_ones_read_only(client, session, owner, make_measure, make_department):
    elsewhere = make_measure(unit="规划建设局")
    assert client.get(f"/problems/{elsewhere.problem_id}").status_code == 404
    assert client.post(f"/measures/{elsewhere.id}/acknowledge").status_code == 404
    cooperating = make_measure(unit="规划建设局", cooperating_units=[make_department("组织人事部")])
    assert client.get(f"/problems/{cooperating.problem_id}").status_code == 200
    refused = action(client, cooperating.id, "progress", text="越权填报", version=1)
    assert refused.status_code == 403
    assert updates(session, cooperating) == []


def test_viewer_cannot_post_anything(client, login_as, session, make_measure):
    login_as(Role.VIEWER)
    measure = make_measure()
    assert client.get(f"/problems/{measure.problem_id}").status_code == 200
    for name in ("progress", "comment", "extension", "submit"):
        assert action(client, measure.id, name, text="x", note="x", reason="x", version=1).status_code == 403
    assert updates(session, measure) == []


def test_soft_delete_hides_and_restore_brings_back(app, client, session, login, login_as, make_user, make_measure):
    login_as(Role.SUPERVISOR)
    owner = make_user(Role.OWNER, department="组织人事部")
    measure = make_measure(unit="组织人事部")
    assert client.post(f"/measures/{measure.id}/delete").status_code == 302
    owner_client = app.test_client()
    login(owner, on=owner_client)
    assert owner_client.get(f"/problems/{measure.problem_id}").status_code == 404
    assert measure.text not in owner_client.get("/board").get_data(as_text=True)
    assert measure.text in client.get("/list?deleted=1").get_data(as_text=True)
    assert client.post(f"/measures/{measure.id}/restore").status_code == 302
    assert owner_client.get(f"/problems/{measure.problem_id}").status_code == 200
    actions = session.scalars(sa.select(AuditLog.action).where(AuditLog.object_id == measure.id)).all()
    assert actions == ["delete", "restore"]


def test_problem_closes_when_all_measures_are_done(client, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    first = make_measure(status=S.DONE)
    make_measure(problem=first.problem, status=S.LONG_TERM)
    page = client.get(f"/problems/{first.problem_id}").get_data(as_text=True)
    assert 'id="problem-status">已销号<' in page


@pytest.mark.parametrize("name", ["..\\报告.pdf", "C:\\Users\\报告.pdf", "a/b.pdf", "..", "报\x00告.pdf", ""])
def test_file_names_with_paths_or_control_characters_are_refused(name):
    from rectify.tracking.evidence import EvidenceError, clean_filename

    with pytest.raises(EvidenceError):
        clean_filename(name)


def test_chinese_file_names_are_kept():
    from rectify.tracking.evidence import clean_filename

    assert clean_filename(" 2023年 整改报告（终稿）.pdf ") == "2023年 整改报告（终稿）.pdf"


def test_a_nul_character_in_a_form_is_dropped_not_a_server_error(client, session, measure):
    response = action(client, measure.id, "progress", text="已召开\x00专题会议。", version=1)
    assert response.status_code == 302
    assert [u.text for u in updates(session, measure)] == ["已召开专题会议。"]


OPERATIONS = {  # action in workflow.RULES: how each door's operation is called
    "acknowledge": lambda m, u: workflow.acknowledge(m, u),
    "progress": lambda m, u: workflow.post_progress(m, u, "进展"),
    "evidence": lambda m, u: workflow.attach_files(m, u, []),
    "submit": lambda m, u: workflow.submit_for_review(m, u, "已完成"),
    "extension": lambda m, u: workflow.request_extension(m, u, date(2099, 1, 1), "协调中"),
    "approve": lambda m, u: workflow.approve(m, u),
    "return": lambda m, u: workflow.return_for_rework(m, u, "材料不全"),
    "comment": lambda m, u: workflow.comment(m, u, "意见"),
    "edit": lambda m, u: workflow.update_measure(m, u, None, goal="目标"),
    "delete": lambda m, u: workflow.set_deleted(m, u, True),
    "restore": lambda m, u: workflow.set_deleted(m, u, False),
}
PANES = {"progress": "progress", "evidence": "evidence", "submit": "submit", "extension": "extension",
         "approve": "review", "comment": "comment"}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_page_the_api_and_the_operations_follow_one_rule(app, client, session, login, make_user, make_measure, role):
    """Which actions a measure offers comes from workflow.available_actions alone: the ticket page
    shows exactly those buttons, the API lists exactly those, and every other action is refused
    by its operation with the rule's own reason."""
    from rectify.accounts.tokens import create_token
    from rectify.tracking import workflow as rules

    user = make_user(role, department="组织人事部", person=True)
    first = make_measure(owners=[user.person], unit="组织人事部", status=S.NOT_STARTED)
    made = [first] + [make_measure(problem=first.problem, owners=[user.person], unit="组织人事部", status=status,
                                   is_long_term=status is S.LONG_TERM) for status in list(S)[1:]]
    made.append(make_measure(problem=first.problem, owners=[user.person], unit="组织人事部", deleted_at=datetime(2023, 1, 1)))
    made.append(make_measure(problem=first.problem, unit="组织人事部", acknowledged_at=datetime(2023, 1, 1),
                             status=S.IN_PROGRESS))
    _, token = create_token(user, "test")
    session.commit()
    login(user)
    page = client.get(f"/problems/{first.problem_id}").get_data(as_text=True)
    seen = set()
    for measure in made:
        actions = rules.available_actions(measure, user)
        seen |= actions
        for action, pane in PANES.items():
            assert (f'data-bs-target="#pane-{measure.id}-{pane}"' in page) is (action in actions), (measure.status, action)
        for action, route in (("acknowledge", "acknowledge"), ("edit", "edit"), ("delete", "delete"), ("restore", "restore")):
            assert (f"/measures/{measure.id}/{route}\"" in page) is (action in actions), (measure.status, action)
        if measure.deleted_at is None:
            api = client.get(f"/api/v1/measures/{measure.id}", headers={"Authorization": f"Bearer {token}"}).json
            assert api["actions"] == sorted(actions)
        for action, operation in OPERATIONS.items():
            with app.app_context():
                target, who = session.get(Measure, measure.id), session.get(type(user), user.id)
                refusal = rules.refusal(target, who, action)
                try:
                    operation(target, who)
                except rules.WorkflowError as error:
                    if refusal is None:
                        assert error.status == 400, (action, error.message)  # the data, not the rule
                    else:
                        assert (error.status, error.message) == (refusal.status, refusal.message), action
                else:
                    assert refusal is None, (measure.status, action, "done although the rule refuses it")
                finally:
                    session.rollback()
    expected = {Role.ADMIN: set(OPERATIONS), Role.SUPERVISOR: set(OPERATIONS), Role.VIEWER: set(),
                Role.LEADER: {"comment"}, Role.OWNER: {"acknowledge", "progress", "evidence", "submit", "extension",
                                                       "comment", "remove_evidence"}}[role]
    assert seen - {"remove_evidence"} == expected - {"remove_evidence"}  # the test saw each action offered
