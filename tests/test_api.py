"""The JSON API: tokens, scope, the workflow through JSON, clear errors that change nothing."""
import re

import pytest
import sqlalchemy as sa

from rectify.models import ApiToken, Measure, MeasureStatus, ProgressUpdate, Role

S = MeasureStatus


@pytest.fixture
def token_for(runner):
    def make(user):
        result = runner.invoke(args=["users", "token", user.username, "--name", "测试"])
        assert result.exit_code == 0, result.output
        return {"Authorization": f"Bearer {result.stdout.strip()}"}

    return make


@pytest.fixture
def owner(make_user):
    return make_user(Role.OWNER, name="周洁", department="组织人事部", person=True)


@pytest.fixture
def mine(make_measure, owner):
    return make_measure(owners=[owner.person], unit="组织人事部", text="完善流动党员台账")


def test_tokens_are_shown_once_kept_hashed_and_revocable(app, client, session, owner, token_for, login):
    headers = token_for(owner)
    plain = headers["Authorization"][7:]
    assert plain.startswith("rct_") and len(plain) > 40
    stored = session.scalar(sa.select(ApiToken))
    assert stored.token_hash != plain and plain not in (stored.prefix + "x")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json == {"id": owner.id, "username": owner.username, "name": "周洁",
                                                 "role": "owner", "department": "组织人事部"}
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer rct_wrong"}).json["error"]["code"] == "unauthorized"
    login(owner)
    page = client.get("/account/tokens").get_data(as_text=True)
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page).group(1)
    client.post(f"/account/tokens/{token_id}/revoke")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_profile_page_creates_a_token_shown_once(client, owner, login):
    login(owner)
    created = client.post("/account/tokens", data={"name": "OA 对接"}).get_data(as_text=True)
    token = re.search(r'id="new-token">(rct_[^<]+)<', created).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/account/tokens").get_data(as_text=True)


def test_reads_stay_within_scope(client, make_user, make_measure, mine, token_for):
    elsewhere = make_measure(problem=mine.problem, unit="规划建设局", text="别单位的措施")
    owner_headers = token_for(mine.owners[0].user)
    listing = client.get("/api/v1/measures", headers=owner_headers).json
    assert [m["text"] for m in listing["items"]] == ["完善流动党员台账"] and listing["total"] == 1
    assert client.get(f"/api/v1/measures/{elsewhere.id}", headers=owner_headers).status_code == 404
    problem = client.get(f"/api/v1/problems/{mine.problem_id}", headers=owner_headers).json
    assert [m["id"] for m in problem["measures"]] == [mine.id]
    assert client.get("/api/v1/problems", headers=owner_headers).json["items"] == [{
        "id": mine.problem_id, "batch_id": mine.problem.batch_id, "number": "1", "aspect": None,
        "description": "流动党员管理不规范。", "status": "not_started", "measures": 1}]
    supervisor = token_for(make_user(Role.SUPERVISOR))
    assert client.get("/api/v1/problems?status=done", headers=supervisor).json["total"] == 0
    assert client.get("/api/v1/problems", headers=supervisor).json["items"][0]["measures"] == 2
    assert client.get("/api/v1/measures", headers=supervisor).json["total"] == 2
    assert client.get("/api/v1/measures?status=in_progress", headers=supervisor).json["total"] == 0
    bad = client.get("/api/v1/measures?status=finished", headers=supervisor)
    assert bad.status_code == 400 and "status" in bad.json["error"]["message"]


def test_writes_go_through_the_workflow(client, session, make_user, mine, token_for):
    headers = token_for(mine.owners[0].user)
    done = client.post(f"/api/v1/measures/{mine.id}/progress", json={"text": "已完成台账核对。", "version": 1}, headers=headers)
    assert done.status_code == 200 and done.json["status"] == "in_progress" and done.json["version"] == 2
    stale = client.post(f"/api/v1/measures/{mine.id}/progress", json={"text": "基于旧版本"},
                        headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 409 and "已被他人修改" in stale.json["error"]["message"]
    no_evidence = client.post(f"/api/v1/measures/{mine.id}/submit", json={"note": "已完成"}, headers=headers)
    assert no_evidence.status_code == 400 and "佐证材料" in no_evidence.json["error"]["message"]
    forged = client.post(f"/api/v1/measures/{mine.id}/approve", json={}, headers=headers)
    assert forged.status_code == 403
    viewer = token_for(make_user(Role.VIEWER))
    assert client.post(f"/api/v1/measures/{mine.id}/progress", json={"text": "x"}, headers=viewer).status_code == 403
    supervisor = token_for(make_user(Role.SUPERVISOR))
    early = client.post(f"/api/v1/measures/{mine.id}/return", json={"reason": "不够"}, headers=supervisor)
    assert early.status_code == 409 and "不能退回" in early.json["error"]["message"]
    session.expire_all()
    assert [u.text for u in session.scalars(sa.select(ProgressUpdate))] == ["已完成台账核对。"]
    assert session.get(Measure, mine.id).status is S.IN_PROGRESS


@pytest.mark.parametrize(
    "payload, content_type, code",
    [
        ('{"text": ', "application/json", "invalid_json"),
        ('["不是对象"]', "application/json", "invalid_json"),
        ('{"text": "进展", "extra": 1}', "application/json", "unknown_field"),
        ('{"text": 42}', "application/json", "invalid_field"),
        ('{"text": "进展", "version": true}', "application/json", "invalid_field"),
    ],
)
def test_malformed_requests_are_refused_and_change_nothing(client, session, mine, token_for, payload, content_type, code):
    response = client.post(f"/api/v1/measures/{mine.id}/progress", data=payload, content_type=content_type,
                           headers=token_for(mine.owners[0].user))
    assert response.status_code == 400 and response.json["error"]["code"] == code
    assert session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == 0


@pytest.mark.parametrize("app_config", [{"RECTIFY_MAX_REQUEST_MB": 1}])
def test_unknown_routes_methods_and_huge_bodies_are_json_errors(client, mine, token_for):
    headers = token_for(mine.owners[0].user)
    assert client.get("/api/v1/nothing", headers=headers).json["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/measures/{mine.id}/progress", headers=headers).status_code == 405
    huge = client.post(f"/api/v1/measures/{mine.id}/progress", data="x" * (2 * 1024 * 1024),
                       content_type="application/json", headers=headers)
    assert huge.status_code == 413 and huge.json["error"]["message"].startswith("上传的内容超过")


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(client, mine, token_for):
    for headers in (token_for(mine.owners[0].user), {}):  # routing comes before the token check
        response = client.delete(f"/api/v1/measures/{mine.id}", headers=headers)
        assert response.status_code == 405 and response.is_json
        assert response.json["error"] == {"code": "method_not_allowed", "message": "该页面不支持此操作方式。"}
        assert "GET" in response.headers["Allow"] and "DELETE" not in response.headers["Allow"]
    response = client.get(f"/api/v1/measures/{mine.id}/acknowledge", headers=token_for(mine.owners[0].user))
    assert response.status_code == 405 and response.headers["Allow"].split(", ").count("POST") == 1


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_an_unexpected_failure_is_a_logged_json_500(client, mine, token_for, monkeypatch, caplog):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("rectify.ledgers.export.export_ledger", disk_full)
    response = client.get("/api/v1/ledger.xlsx", headers=token_for(mine.owners[0].user))
    assert response.status_code == 500 and response.is_json
    request_id = response.headers["X-Request-Id"]
    assert response.json == {"error": {"code": "internal_server_error",
                                       "message": f"系统出现错误，已记录。请稍后重试，或联系管理员。（错误编号：{request_id}）"}}
    assert "No space left" not in response.get_data(as_text=True)
    assert "Unhandled error" in caplog.text and "No space left on device" in caplog.text
    assert any(getattr(record, "request_id", None) == request_id for record in caplog.records)


def test_a_write_that_lost_a_race_is_a_json_409(client, session, mine, token_for, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    from rectify.tracking import workflow

    acknowledge = workflow.acknowledge

    def acknowledge_after_another_request_saved(measure, by):
        acknowledge(measure, by)
        # What the version counter raises on PostgreSQL when another request saved the measure
        # since this one read it (SQLite lets one writer at a time, so the race needs a fake there).
        raise StaleDataError("UPDATE statement on table 'measure' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(workflow, "acknowledge", acknowledge_after_another_request_saved)
    response = client.post(f"/api/v1/measures/{mine.id}/acknowledge", headers=token_for(mine.owners[0].user))
    assert response.status_code == 409 and response.json["error"]["code"] == "conflict"
    session.expire_all()
    assert session.get(Measure, mine.id).acknowledged_at is None


def test_every_api_route_is_described(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    described = {(f"/api/v1{path}", method.upper()) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in described, (path, method)


def test_the_whole_round_through_the_api(client, session, make_user, mine, token_for):
    import io

    owner = token_for(mine.owners[0].user)
    supervisor = token_for(make_user(Role.SUPERVISOR))
    files = {"files": [(io.BytesIO(b"%PDF-1.4 x"), "会议纪要.pdf"), (io.BytesIO(b"%PDF-1.4 y"), "台账.pdf")]}
    uploaded = client.post(f"/api/v1/measures/{mine.id}/evidence", data=files, headers=owner,
                           content_type="multipart/form-data")
    assert uploaded.status_code == 200 and [f["filename"] for f in uploaded.json["files"]] == ["会议纪要.pdf", "台账.pdf"]
    bad_file = client.post(f"/api/v1/measures/{mine.id}/evidence", data={"files": [(io.BytesIO(b"MZ"), "x.exe")]},
                           headers=owner, content_type="multipart/form-data")
    assert bad_file.status_code == 400 and "文件类型" in bad_file.json["error"]["message"]
    submitted = client.post(f"/api/v1/measures/{mine.id}/submit", json={"note": "已全部完成"}, headers=owner)
    assert submitted.json["status"] == "pending_review"
    approved = client.post(f"/api/v1/measures/{mine.id}/approve", json={"note": "同意"}, headers=supervisor)
    assert approved.status_code == 200 and approved.json["status"] == "done"


def test_extension_through_the_api(client, session, make_user, make_measure, owner, token_for):
    from datetime import date

    measure = make_measure(owners=[owner.person], unit="组织人事部", due_on=date(2030, 1, 31))
    headers = token_for(owner)
    assert client.post(f"/api/v1/measures/{measure.id}/extension", json={"until": "明年", "reason": "x"},
                       headers=headers).json["error"]["code"] == "invalid_field"
    asked = client.post(f"/api/v1/measures/{measure.id}/extension", json={"until": "2030-03-31", "reason": "需协调"},
                        headers=headers)
    assert asked.status_code == 200 and asked.json["status"] == "pending"
    supervisor = token_for(make_user(Role.SUPERVISOR))
    assert client.post(f"/api/v1/extensions/{asked.json['id']}/decision", json={"approve": True},
                       headers=headers).status_code == 403
    decided = client.post(f"/api/v1/extensions/{asked.json['id']}/decision", json={"approve": True}, headers=supervisor)
    assert decided.json == {"id": asked.json["id"], "status": "approved", "due_on": "2030-03-31"}


def test_import_ledger_and_notifications_through_the_api(client, session, make_user, mine, token_for):
    import io

    from openpyxl import load_workbook

    from rectify.models import Problem

    import ledgers

    supervisor = token_for(make_user(Role.SUPERVISOR))
    form = {"batch": "API导入", "kind": "巡察", "feedback_date": "2023-03-15"}
    dry = client.post("/api/v1/imports", data={**form, "dry_run": "true", "file": (io.BytesIO(ledgers.messy_ledger()), "台账.xlsx")},
                      headers=supervisor, content_type="multipart/form-data")
    assert dry.status_code == 200 and dry.json["measures"] == 5 and dry.json["imported"] is False
    bad = client.post("/api/v1/imports", data={**form, "file": (io.BytesIO(b"nope"), "台账.xlsx")},
                      headers=supervisor, content_type="multipart/form-data")
    assert bad.status_code == 422 and bad.json["errors"][0]["message"]
    done = client.post("/api/v1/imports", data={**form, "file": (io.BytesIO(ledgers.messy_ledger()), "台账.xlsx")},
                       headers=supervisor, content_type="multipart/form-data")
    assert done.json["imported"] is True
    assert session.scalar(sa.select(sa.func.count()).select_from(Problem)) == 4
    owner = token_for(mine.owners[0].user)
    assert client.post("/api/v1/imports", headers=owner).status_code == 403
    response = client.get("/api/v1/ledger.xlsx", headers=owner)
    sheet = load_workbook(io.BytesIO(response.data))["整改台账"]
    response.close()
    texts = [c.value for c in sheet["D"] if c.value and c.row > 3]
    assert "完善流动党员台账" in texts and "建立意识形态工作台账。" in texts  # the unit's own and cooperating
    assert "规范公务接待审批，实行“一事一单”。" not in texts  # another unit's
    notices = client.get("/api/v1/notifications", headers=owner).json["items"]  # 周洁 was given two measures
    assert len(notices) == 1 and notices[0]["read"] is False
    assert client.get("/api/v1/notifications", headers=owner).json["items"][0]["read"] is False  # reading marks nothing


def test_numbers_the_fuzzer_sends_are_refused_plainly(client, owner, token_for):
    api_token = token_for(owner)
    for page in ("²", "0", "100001", "9" * 5000):
        response = client.get("/api/v1/measures", query_string={"page": page}, headers=api_token)
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid_field", page
    response = client.get("/api/v1/ledger.xlsx", query_string={"batch": "²"}, headers=api_token)
    assert response.status_code == 400
