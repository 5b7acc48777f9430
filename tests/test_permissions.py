"""Every route × every role, and the visibility rules in Python and SQL agreeing."""
import io
from datetime import date

import pytest
import sqlalchemy as sa

from rectify.models import (
    AuditLog,
    Batch,
    Department,
    Evidence,
    ExtensionRequest,
    ImportRecord,
    Measure,
    Person,
    Problem,
    ProgressUpdate,
    Role,
    SourceKind,
    User,
)
from rectify.tracking import evidence
from rectify.tracking.permissions import can_comment, can_view_measure, can_work_on, measure_scope

ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, *Role]
SIGNED_IN = set(Role)
ADMIN = {Role.ADMIN}
SUPERVISORS = {Role.ADMIN, Role.SUPERVISOR}
WORKERS = {Role.ADMIN, Role.SUPERVISOR, Role.OWNER}
COMMENTERS = {Role.ADMIN, Role.SUPERVISOR, Role.OWNER, Role.LEADER}
PUBLIC = {ANONYMOUS, *Role}
REPORTERS = {Role.ADMIN, Role.SUPERVISOR, Role.VIEWER}  # the 整改情况报告 speaks for the whole office
BULLETIN_READERS = REPORTERS | {Role.LEADER}
TOKEN_ONLY = frozenset()  # allowed to no one by session; tests/test_api.py covers tokens

# endpoint: (method, url template, roles allowed). The world below fills in the ids; the
# signed-in user of each role belongs to the unit that leads the measure.
ROUTES = {
    "static": ("GET", "/static/css/app.css", PUBLIC),
    "auth.login": ("GET", "/login", PUBLIC),
    "main.health": ("GET", "/healthz", PUBLIC),
    "auth.logout": ("POST", "/logout", SIGNED_IN),
    "auth.change_password": ("GET", "/account/password", SIGNED_IN),
    "auth.tokens": ("GET", "/account/tokens", SIGNED_IN),
    "auth.revoke_token": ("POST", "/account/tokens/99999/revoke", SIGNED_IN),
    "main.index": ("GET", "/", SIGNED_IN),
    "directory.directory_json": ("GET", "/directory.json", SIGNED_IN),
    "board.board": ("GET", "/board", SIGNED_IN),
    "board.measure_list": ("GET", "/list", SIGNED_IN),
    "board.assign": ("POST", "/list/assign", SUPERVISORS),
    "batches.index": ("GET", "/batches/", SIGNED_IN),
    "batches.edit": ("GET", "/batches/{batch}/edit", SUPERVISORS),
    "batches.new_problem": ("GET", "/batches/{batch}/problems/new", SUPERVISORS),
    "batches.batch": ("GET", "/batches/{batch}", SIGNED_IN),
    "reports.report_docx": ("GET", "/batches/{batch}/report.docx", REPORTERS),
    "reports.bulletin_page": ("GET", "/reports/bulletin", BULLETIN_READERS),
    "reports.bulletin_docx": ("GET", "/reports/bulletin.docx", BULLETIN_READERS),
    "reports.bulletin_file": ("GET", "/reports/bulletins/none.docx", BULLETIN_READERS),
    "reports.signoff": ("GET", "/problems/{problem}/signoff", SIGNED_IN),
    "reports.signoff_docx": ("GET", "/problems/{problem}/signoff.docx", SIGNED_IN),
    "tickets.problem": ("GET", "/problems/{problem}", SIGNED_IN),
    "imports.index": ("GET", "/imports/", SUPERVISORS),
    "ledgers.index": ("GET", "/ledger/", SIGNED_IN),
    "notifications.index": ("GET", "/notifications/", SIGNED_IN),
    "notifications.mark_read": ("POST", "/notifications/read", SIGNED_IN),
    "notifications.preferences": ("GET", "/notifications/settings", SIGNED_IN),
    "webhooks.webhooks": ("GET", "/admin/webhooks", ADMIN),
    "webhooks.deliveries": ("GET", "/admin/webhooks/99999", ADMIN),
    "webhooks.switch": ("POST", "/admin/webhooks/99999/disable", ADMIN),
    "ledgers.export": ("GET", "/ledger/export", SIGNED_IN),
    "ledgers.start_export": ("POST", "/ledger/exports", SIGNED_IN),
    "ledgers.export_progress": ("GET", "/ledger/exports/99999", SIGNED_IN),
    "ledgers.download": ("GET", "/ledger/files/none.xlsx", SIGNED_IN),
    "ledgers.upload": ("GET", "/ledger/upload", SIGNED_IN),
    "ledgers.scheduled": ("GET", "/ledger/scheduled/none.xlsx", SUPERVISORS),
    "ledgers.confirm_upload": ("POST", "/ledger/upload/confirm", SIGNED_IN),
    "imports.upload": ("POST", "/imports/", SUPERVISORS),
    "imports.confirm": ("POST", "/imports/confirm", SUPERVISORS),
    "imports.remap": ("POST", "/imports/remap", SUPERVISORS),
    "imports.undo": ("POST", "/imports/{import_record}/undo", SUPERVISORS),
    "imports.template": ("GET", "/imports/template.xlsx", SUPERVISORS),
    "imports.marked": ("GET", "/imports/marked/0123456789abcdef0123456789abcdef", SUPERVISORS),
    "imports.preview_page": ("GET", "/imports/preview/0123456789abcdef0123456789abcdef?filename=a.xlsx", SUPERVISORS),
    "tickets.edit_problem": ("GET", "/problems/{problem}/edit", SUPERVISORS),
    "tickets.delete_problem": ("POST", "/problems/{problem}/delete", SUPERVISORS),
    "tickets.new_measure": ("GET", "/problems/{problem}/measures/new", SUPERVISORS),
    "tickets.edit_measure": ("GET", "/measures/{measure}/edit", SUPERVISORS),
    "tickets.delete_measure": ("POST", "/measures/{measure}/delete", SUPERVISORS),
    "tickets.acknowledge": ("POST", "/measures/{measure}/acknowledge", WORKERS),
    "tickets.progress": ("POST", "/measures/{measure}/progress", WORKERS),
    "tickets.upload_evidence": ("POST", "/measures/{measure}/evidence", WORKERS),
    "tickets.submit": ("POST", "/measures/{measure}/submit", WORKERS),
    "tickets.request_extension": ("POST", "/measures/{measure}/extension", WORKERS),
    "tickets.comment": ("POST", "/measures/{measure}/comment", COMMENTERS),
    "tickets.review": ("POST", "/measures/{measure}/review", SUPERVISORS),
    "tickets.decide_extension": ("POST", "/extensions/{extension}/decide", SUPERVISORS),
    "tickets.download_evidence": ("GET", "/evidence/{evidence}", SIGNED_IN),
    "tickets.preview_evidence": ("GET", "/evidence/{evidence}/preview", SIGNED_IN),
    "tickets.delete_evidence": ("POST", "/evidence/{evidence}/delete", WORKERS),
    "api.openapi": ("GET", "/api/v1/openapi.json", PUBLIC),
    # The API ignores session cookies: signed in or not, without a token every role gets 401.
    "api.me": ("GET", "/api/v1/me", TOKEN_ONLY),
    "api.batches": ("GET", "/api/v1/batches", TOKEN_ONLY),
    "api.measures": ("GET", "/api/v1/measures", TOKEN_ONLY),
    "api.measure": ("GET", "/api/v1/measures/{measure}", TOKEN_ONLY),
    "api.problem": ("GET", "/api/v1/problems/{problem}", TOKEN_ONLY),
    "api.problems": ("GET", "/api/v1/problems", TOKEN_ONLY),
    "api.acknowledge": ("POST", "/api/v1/measures/{measure}/acknowledge", TOKEN_ONLY),
    "api.progress": ("POST", "/api/v1/measures/{measure}/progress", TOKEN_ONLY),
    "api.submit": ("POST", "/api/v1/measures/{measure}/submit", TOKEN_ONLY),
    "api.approve": ("POST", "/api/v1/measures/{measure}/approve", TOKEN_ONLY),
    "api.return_measure": ("POST", "/api/v1/measures/{measure}/return", TOKEN_ONLY),
    "api.evidence": ("POST", "/api/v1/measures/{measure}/evidence", TOKEN_ONLY),
    "api.extension": ("POST", "/api/v1/measures/{measure}/extension", TOKEN_ONLY),
    "api.extension_decision": ("POST", "/api/v1/extensions/{extension}/decision", TOKEN_ONLY),
    "api.imports": ("POST", "/api/v1/imports", TOKEN_ONLY),
    "api.ledger": ("GET", "/api/v1/ledger.xlsx", TOKEN_ONLY),
    "api.notifications": ("GET", "/api/v1/notifications", TOKEN_ONLY),
    "api.read_notifications": ("POST", "/api/v1/notifications/read", TOKEN_ONLY),
    "api.measure_history": ("GET", "/api/v1/measures/{measure}/history", TOKEN_ONLY),
    "api.download_evidence": ("GET", "/api/v1/evidence/{evidence}", TOKEN_ONLY),
    "api.problem_audit": ("GET", "/api/v1/problems/{problem}/audit", TOKEN_ONLY),
    "api.submit_plan": ("POST", "/api/v1/problems/{problem}/plan", TOKEN_ONLY),
    "api.approve_plan": ("POST", "/api/v1/problems/{problem}/plan/approve", TOKEN_ONLY),
    "api.return_plan": ("POST", "/api/v1/problems/{problem}/plan/return", TOKEN_ONLY),
    "plans.save": ("POST", "/problems/{problem}/plan", SUPERVISORS),
    "plans.approve": ("POST", "/problems/{problem}/plan/approve", SUPERVISORS),
    "plans.return_plan": ("POST", "/problems/{problem}/plan/return", SUPERVISORS),
    "admin.users": ("GET", "/admin/users", ADMIN),
    "admin.new_user": ("GET", "/admin/users/new", ADMIN),
    "admin.edit_user": ("GET", "/admin/users/{user}/edit", ADMIN),
    "admin.reset_user_password": ("POST", "/admin/users/{user}/reset-password", ADMIN),
    "admin.departments": ("GET", "/admin/departments", ADMIN),
    "admin.edit_department": ("GET", "/admin/departments/{department}/edit", ADMIN),
    "admin.delete_department": ("POST", "/admin/departments/{department}/delete", ADMIN),
    "jobs.index": ("GET", "/admin/jobs", ADMIN),
    "reminders.settings": ("GET", "/admin/reminders", ADMIN),
    "jobs.run_now": ("POST", "/admin/jobs/outbox/run", ADMIN),
}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES)


@pytest.fixture
def world(session, make_user, make_department, make_measure):
    target = make_user(Role.OWNER, username="target")
    spare = make_department("待撤并科室")
    measure = make_measure(unit="组织人事部")
    stored = evidence.store(io.BytesIO(b"%PDF-1.4 test"), "纪要.pdf")
    item = Evidence(measure=measure, filename=stored.filename, sha256=stored.sha256, size=stored.size,
                    content_type=stored.content_type)
    extension = ExtensionRequest(measure=measure, new_due_on=date(2030, 1, 1), reason="协调中")
    record = ImportRecord(batch=measure.problem.batch, filename="台账.xlsx", sha256="0" * 64, size=1,
                          created_ids={"problems": [], "measures": []})
    session.add_all([item, extension, record])
    session.commit()
    return dict(user=target.id, department=spare.id, batch=measure.problem.batch_id, problem=measure.problem_id,
                measure=measure.id, evidence=item.id, extension=extension.id, import_record=record.id,
                hash=target.password_hash)


def state(session, world):
    """What a refused request must leave as it was."""
    session.expire_all()
    measure = session.get(Measure, world["measure"])
    return (
        session.scalar(sa.select(sa.func.count()).select_from(AuditLog)),
        session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)),
        measure.version, measure.deleted_at, measure.problem.deleted_at,
        session.get(User, world["user"]).password_hash,
        session.get(Department, world["department"]) is not None,
        session.get(Evidence, world["evidence"]).deleted_at,
        session.get(ExtensionRequest, world["extension"]).status,
    )


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
@pytest.mark.parametrize("role", ROLES, ids=lambda r: getattr(r, "value", r))
def test_route_access(client, session, make_user, login, world, endpoint, role):
    method, template, allowed = ROUTES[endpoint]
    if role != ANONYMOUS:
        login(make_user(role, department="组织人事部"))
    before = state(session, world)

    response = client.open(template.format(**world), method=method)
    response.close()

    if allowed is TOKEN_ONLY:
        assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"
    elif role in allowed:
        assert response.status_code in (200, 302, 400, 404, 409), response.status_code
        assert not (response.location or "").startswith("/login") or endpoint == "auth.logout"
    elif role == ANONYMOUS:
        assert response.status_code == 302 and response.location.startswith("/login")
    else:
        assert response.status_code == 403
    if role not in allowed:
        assert state(session, world) == before


@pytest.fixture
def scope_world(session, make_department):
    """Users of every role in 组织人事部 and measures related to them in every way."""
    ours, theirs = make_department("组织人事部"), make_department("规划建设局")
    users = {}
    for role in Role:
        user = User(username=role.value, name=f"{role.label}甲", role=role, department=ours, password_hash="x")
        session.add(Person(name=user.name, user=user, department=ours))
        users[role] = user
    stranger = User(username="stranger", name="外单位责任人", role=Role.OWNER, department=theirs, password_hash="x")
    session.add(stranger)
    session.flush()

    def person(role):
        return users[role].person

    problem = Problem(batch=Batch(kind=SourceKind.XUNCHA, title="巡察反馈"), description="问题")
    led_problem = Problem(batch=problem.batch, description="领导牵头的问题", leaders=[person(Role.LEADER)])
    session.add_all([problem, led_problem])
    measures = {
        "owner_named": Measure(problem=problem, text="a", lead_unit=theirs, owners=[person(Role.OWNER)]),
        "our_unit": Measure(problem=problem, text="b", lead_unit=ours),
        "cooperating": Measure(problem=problem, text="c", lead_unit=theirs, cooperating_units=[ours]),
        "leader_named": Measure(problem=problem, text="d", lead_unit=theirs, leaders=[person(Role.LEADER)]),
        "problem_leader": Measure(problem=led_problem, text="e", lead_unit=theirs),
        "elsewhere": Measure(problem=problem, text="f", lead_unit=theirs),
    }
    session.add_all(measures.values())
    session.commit()
    users["stranger"] = stranger
    return users, measures


EXPECTED_VISIBLE = {
    Role.ADMIN: "all",
    Role.SUPERVISOR: "all",
    Role.VIEWER: "all",
    Role.LEADER: {"our_unit", "cooperating", "leader_named", "problem_leader"},
    Role.OWNER: {"owner_named", "our_unit", "cooperating"},
    # The stranger's unit leads every measure but "our_unit".
    "stranger": {"owner_named", "cooperating", "leader_named", "problem_leader", "elsewhere"},
}
EXPECTED_WORK = {
    Role.ADMIN: "all",
    Role.SUPERVISOR: "all",
    Role.VIEWER: set(),
    Role.LEADER: set(),
    Role.OWNER: {"owner_named", "our_unit"},
    "stranger": {"owner_named", "cooperating", "leader_named", "problem_leader", "elsewhere"},
}


@pytest.mark.parametrize("who", [*Role, "stranger"], ids=lambda r: getattr(r, "value", r))
def test_visibility_in_python_and_sql_agree(session, scope_world, who):
    users, measures = scope_world
    user = users[who]
    names = {measure.id: name for name, measure in measures.items()}
    in_python = {names[m.id] for m in measures.values() if can_view_measure(user, m)}
    in_sql = {names[i] for i in session.scalars(sa.select(Measure.id).where(measure_scope(user)))}
    expected = set(measures) if EXPECTED_VISIBLE[who] == "all" else EXPECTED_VISIBLE[who]
    assert in_python == in_sql == expected
    workable = {names[m.id] for m in measures.values() if can_work_on(user, m)}
    assert workable == (set(measures) if EXPECTED_WORK[who] == "all" else EXPECTED_WORK[who])
    commentable = {names[m.id] for m in measures.values() if can_comment(user, m)}
    assert commentable >= workable
    if who is Role.VIEWER:
        assert commentable == set()
    if who is Role.LEADER:
        assert commentable == expected


@pytest.fixture
def shared_problem(app, session, scope_world):
    """One problem shared by several units, each measure with its own progress, evidence and
    extension reason, texts that can be looked for on a page."""
    users, measures = scope_world
    for name, measure in measures.items():
        measure.text = f"措施正文-{name}"
        stored = evidence.store(io.BytesIO(b"%PDF-1.4 " + name.encode()), f"佐证-{name}.pdf")
        session.add_all([
            ProgressUpdate(measure=measure, text=f"进展内容-{name}"),
            Evidence(measure=measure, filename=stored.filename, sha256=stored.sha256, size=stored.size,
                     content_type=stored.content_type),
            ExtensionRequest(measure=measure, new_due_on=date(2030, 1, 1), reason=f"延期理由-{name}"),
        ])
    session.commit()
    return users, measures


def _traces(name):
    return [f"措施正文-{name}", f"进展内容-{name}", f"佐证-{name}.pdf", f"延期理由-{name}"]


@pytest.mark.parametrize("who", [*Role, "stranger"], ids=lambda r: getattr(r, "value", r))
def test_a_problem_page_shows_exactly_the_measures_the_api_shows(app, client, session, login, shared_problem, who):
    from rectify.accounts.tokens import create_token

    users, measures = shared_problem
    user = users[who]
    with app.app_context():
        _, token = create_token(session.merge(user), "test")
        session.commit()
    login(user)
    for problem_id in {m.problem_id for m in measures.values()}:
        api = client.get(f"/api/v1/problems/{problem_id}", headers={"Authorization": f"Bearer {token}"})
        page = client.get(f"/problems/{problem_id}")
        shown_by_api = {item["text"].removeprefix("措施正文-") for item in api.json["measures"]} if api.status_code == 200 else set()
        assert page.status_code == (200 if shown_by_api else 404)
        html = page.get_data(as_text=True)
        for name, measure in measures.items():
            if measure.problem_id != problem_id:
                continue
            present = [trace in html for trace in _traces(name)]
            assert present == [name in shown_by_api] * 4, (name, present)


@pytest.mark.parametrize("who", [Role.OWNER, Role.LEADER, Role.SUPERVISOR], ids=lambda r: r.value)
def test_filters_and_lists_name_only_batches_and_units_in_scope(app, client, session, login, scope_world,
                                                                make_measure, make_department, who):
    from rectify.accounts.tokens import create_token

    users, _ = scope_world
    elsewhere = make_measure(unit="审计局")  # another batch, another unit, nothing to do with us
    elsewhere.problem.batch.title = "市委巡视反馈意见（外单位）"
    make_department("未涉及的科室")
    session.commit()
    user = users[who]
    with app.app_context():
        _, token = create_token(session.merge(user), "test")
        session.commit()
    login(user)
    board = client.get("/board").get_data(as_text=True)
    listing = client.get("/list").get_data(as_text=True)
    batches_page = client.get("/batches/").get_data(as_text=True)
    api = client.get("/api/v1/batches", headers={"Authorization": f"Bearer {token}"}).json
    everything = who is Role.SUPERVISOR
    for page in (board, listing, batches_page):
        assert ("市委巡视反馈意见（外单位）" in page) is everything
        assert "巡察反馈" in page
    for page in (board, listing):
        assert ("审计局" in page) is everything and ("未涉及的科室" in page) is everything
        assert "组织人事部" in page
    assert ("市委巡视反馈意见（外单位）" in [b["title"] for b in api["items"]]) is everything
    assert "巡察反馈" in [b["title"] for b in api["items"]]
