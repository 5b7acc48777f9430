"""Large ledgers made in the background: the offer, the job, its progress, its file, its failures."""
import io
import os
import re
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from rectify.core.extensions import db
from rectify.core.timeutil import local_today, utcnow
from rectify.demo.generate import generate
from rectify.ledgers.background import INTERRUPTED
from rectify.ledgers.export import export_ledger
from rectify.models import Batch, ExportState, LedgerExport, MeasureStatus, Role, SourceKind
from rectify.tracking.filters import MeasureFilters


@pytest.fixture
def app_config():
    return {"RECTIFY_LEDGER_BACKGROUND_ROWS": 3}


@pytest.fixture
def five(make_measure):
    first = make_measure(text="措施1", status=MeasureStatus.IN_PROGRESS)
    for i in range(2, 6):
        make_measure(problem=first.problem, text=f"措施{i}", status=MeasureStatus.DONE if i == 5 else MeasureStatus.IN_PROGRESS)
    return first


def wait_for(client, job_url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(job_url + "?format=json").json
        if state["state"] not in ("queued", "running"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"the export did not finish in {timeout} s: {state}")


def start(client, query=""):
    offer = client.get(f"/ledger/export?{query}")
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    hidden = re.search(r'name="query" type="hidden" value="([^"]*)"', offer.get_data(as_text=True)).group(1)
    response = client.post("/ledger/exports", data={"query": hidden.replace("&amp;", "&")})
    assert response.status_code == 303
    return response.location


def test_a_large_export_is_offered_made_in_the_background_and_downloaded(client, login_as, five):
    login_as(Role.SUPERVISOR)
    offer = client.get("/ledger/export?status=in_progress").get_data(as_text=True)
    assert 'id="export-total">4<' in offer and "将在后台生成" in offer and "开始生成" in offer

    job_url = start(client, "status=in_progress")
    page = client.get(job_url).get_data(as_text=True)
    assert "全部批次整改台账" in page and 'id="export-bar"' in page
    state = wait_for(client, job_url)
    assert state["state"] == "done" and (state["done"], state["total"], state["percent"]) == (4, 4, 100)
    assert state["message"] == "已完成：共 4 项措施。"

    response = client.get(state["download"])
    sheet = load_workbook(io.BytesIO(response.data))["整改台账"]
    response.close()
    assert sorted(c.value for c in sheet["D"][3:] if c.value) == ["措施1", "措施2", "措施3", "措施4"]  # the filter held
    finished = client.get(job_url).get_data(as_text=True)
    assert "已完成：共 4 项措施。" in finished and 'id="export-download"' in finished and "d-none" not in finished
    listing = client.get("/ledger/").get_data(as_text=True)
    assert 'id="ledger-jobs"' in listing and state["filename"] in listing


def test_a_small_export_is_still_sent_at_once(client, login_as, five):
    login_as(Role.SUPERVISOR)
    response = client.get("/ledger/export?status=done")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    response.close()


def test_progress_is_reported_while_the_rows_are_written(app, session, tmp_path):
    with app.app_context():
        generate(800, local_today())  # 2,400 measures: one full chunk of 2,000 and the rest
        seen = []
        summary = export_ledger(MeasureFilters(), None, tmp_path / "台账.xlsx", progress=seen.append)
        # The rows were streamed (a server-side cursor on PostgreSQL) by that statement alone:
        # the session's connection writes as before.
        db.session.add(Batch(kind=SourceKind.XUNCHA, title="导出之后"))
        db.session.commit()
    assert seen == [2000, 2400] and summary.measures == 2400


def jobs(session):
    session.expire_all()
    return session.scalars(sa.select(LedgerExport).order_by(LedgerExport.id)).all()


def test_one_ledger_at_a_time_per_user(client, session, login_as, five):
    user = login_as(Role.SUPERVISOR)
    running = LedgerExport(user_id=user.id, query="", title="全部批次", filename="a.xlsx", total=5,
                           state=ExportState.RUNNING)
    session.add(running)
    session.commit()
    assert "您已有一份台账正在生成" in client.get("/ledger/export").get_data(as_text=True)
    response = client.post("/ledger/exports", data={"query": ""})
    assert response.status_code == 303 and response.location.endswith(f"/ledger/exports/{running.id}")
    assert len(jobs(session)) == 1


def test_a_job_whose_process_stopped_is_shown_as_interrupted_and_blocks_nothing(client, session, login_as, five):
    user = login_as(Role.SUPERVISOR)
    old = utcnow() - timedelta(hours=1)
    stopped = LedgerExport(user_id=user.id, query="", title="全部批次", filename="a.xlsx", total=5, done=2,
                           state=ExportState.RUNNING, created_at=old, updated_at=old)
    session.add(stopped)
    session.commit()
    state = client.get(f"/ledger/exports/{stopped.id}?format=json").json
    assert state["state"] == "failed" and state["message"] == INTERRUPTED
    assert wait_for(client, start(client))["state"] == "done"
    assert len(jobs(session)) == 2


def test_a_failed_export_says_so_and_lists_no_file(app, client, session, login_as, five):
    user = login_as(Role.SUPERVISOR)
    folder = app.instance_path + f"/ledgers/users/{user.id}"
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    with open(folder, "w") as blocker:  # the user's ledger folder cannot be made
        blocker.write("")
    state = wait_for(client, start(client))
    assert state["state"] == "failed" and "生成台账时出错" in state["message"] and "download" not in state
    assert jobs(session)[0].state is ExportState.FAILED


def test_someone_elses_job_and_an_unknown_job_are_not_found(client, session, make_user, login, five):
    owner = make_user(Role.SUPERVISOR)
    job = LedgerExport(user_id=owner.id, query="", title="全部批次", filename="a.xlsx", total=5)
    session.add(job)
    session.commit()
    login(make_user(Role.SUPERVISOR))
    for url in (f"/ledger/exports/{job.id}", f"/ledger/exports/{job.id}?format=json", "/ledger/exports/99999"):
        response = client.get(url)
        assert response.status_code == 404 and "未找到该台账导出任务" in response.get_data(as_text=True)


def test_a_forged_or_expired_start_is_refused_and_starts_nothing(app, client, session, login_as, five):
    login_as(Role.SUPERVISOR)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/ledger/exports", data={"query": ""})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert jobs(session) == []
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/ledger/exports", data={})
    assert response.status_code == 400 and "导出请求无效，请回到看板重新导出。" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerExport)) == 0


def test_the_longest_filters_fit_in_a_job(client, session, login_as, five):
    login_as(Role.SUPERVISOR)
    query = urlencode({"q": "台" * 100, "leader": "领" * 64, "person": "人" * 64, "status": "in_progress"})
    assert len(query) > 2000  # percent-encoded Chinese
    response = client.post("/ledger/exports", data={"query": query})
    assert response.status_code == 303
    state = wait_for(client, response.location)
    assert (state["state"], state["total"]) == ("done", 0)
    assert MeasureFilters.from_args(MultiDict(parse_qsl(jobs(session)[0].query))).q == "台" * 100
