"""Security headers on every response, the remember-me cookie's flags, a CSRF token renewed at login."""
import re

import pytest

from rectify.core.security import CONTENT_SECURITY_POLICY
from rectify.models import Role

import test_permissions
from conftest import PASSWORD
from test_permissions import ANONYMOUS, ROLES

world = test_permissions.world  # the permission matrix's seeded objects, one of each kind

# The evidence files keep their own, stricter policy: a sandbox that runs nothing.
EVIDENCE = {"tickets.download_evidence", "tickets.preview_evidence"}


def url_for_rule(rule, world):
    """The rule's path with an existing object's id (or a harmless value) for every argument."""
    values = {
        "problem_id": world["problem"], "measure_id": world["measure"], "batch_id": world["batch"],
        "evidence_id": world["evidence"], "request_id": world["extension"], "user_id": world["user"],
        "department_id": world["department"], "record_id": world["import_record"], "token_id": 99999,
        "job_id": 99999, "hook_id": 99999, "name": "outbox" if rule.endpoint == "jobs.run_now" else "none.xlsx",
        "token": "0123456789abcdef0123456789abcdef", "action": "disable" if rule.endpoint == "webhooks.switch" else "delete",
        "filename": "css/app.css",
    }
    return re.sub(r"<(?:[^<>]+:)?(\w+)>", lambda match: str(values[match.group(1)]), rule.rule)


def header_problems(response, endpoint=None) -> list[str]:
    """What is missing or wrong in the security headers of ``response``."""
    expected = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    problems = [f"{name}: {response.headers.get(name)!r}" for name, value in expected.items()
                if response.headers.get(name) != value]
    policy = response.headers.get("Content-Security-Policy")
    if endpoint in EVIDENCE and response.status_code == 200:
        if not (policy or "").startswith("sandbox; default-src 'none'"):
            problems.append(f"evidence policy: {policy!r}")
    elif policy != CONTENT_SECURITY_POLICY:
        problems.append(f"Content-Security-Policy: {policy!r}")
    return problems


def test_the_policy_allows_only_the_apps_own_files():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == directives["script-src"] == directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["object-src"] == directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == directives["form-action"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("role", ROLES, ids=lambda r: getattr(r, "value", r))
def test_every_response_carries_the_security_headers(app, client, make_user, login, world, role):
    if role != ANONYMOUS:
        login(make_user(role, department="组织人事部"))
    wrong = {}
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    for rule in rules:
        url = url_for_rule(rule, world)
        response = client.get(url)  # a POST-only route answers 405: an error page to check too
        response.close()
        problems = header_problems(response, rule.endpoint)
        if problems:
            wrong[f"GET {url} → {response.status_code}"] = problems
    for url in ("/no/such/page", "/api/v1/no/such/route", "/static/no/such/file.js"):
        response = client.get(url)
        assert response.status_code == 404
        if header_problems(response):
            wrong[f"GET {url} → 404"] = header_problems(response)
    assert len(rules) > 70 and not wrong, wrong


def test_api_answers_carry_the_headers_too(client, runner, make_user, world):
    user = make_user(Role.SUPERVISOR)
    token = runner.invoke(args=["users", "token", user.username]).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    for url in ("/api/v1/me", f"/api/v1/measures/{world['measure']}", "/api/v1/openapi.json"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and response.is_json
        assert header_problems(response) == []
    evidence = client.get(f"/evidence/{world['evidence']}/preview")
    assert evidence.status_code == 302  # no session: to the login page, under the app's policy
    assert header_problems(evidence) == []


def test_a_signed_in_user_gets_evidence_under_its_sandbox_policy(client, login_as, world):
    login_as(Role.SUPERVISOR, department="组织人事部")
    response = client.get(f"/evidence/{world['evidence']}/preview")
    response.close()
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _remember_cookie(response) -> str:
    cookies = [value for name, value in response.headers.items()
               if name == "Set-Cookie" and value.startswith("remember_token=")]
    assert len(cookies) == 1, response.headers
    return cookies[0]


def test_the_remember_cookie_is_lax_and_http_only(client, make_user):
    user = make_user(Role.OWNER)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookie = _remember_cookie(response)
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Secure" not in cookie  # served over plain HTTP unless SESSION_COOKIE_SECURE says otherwise


@pytest.mark.parametrize("app_config", [{"SESSION_COOKIE_SECURE": True}])
def test_the_remember_cookie_is_secure_with_the_session_cookie(client, make_user):
    user = make_user(Role.OWNER)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"},
                           base_url="https://localhost")
    cookie = _remember_cookie(response)
    assert "Secure" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_form_token_from_before_login_is_refused_after_it(client, make_user):
    user = make_user(Role.OWNER)
    before = _csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302 and response.location == "/"

    refused = client.post("/account/tokens", data={"name": "OA 对接", "csrf_token": before})
    assert refused.status_code == 400 and "安全令牌" in refused.get_data(as_text=True)
    after = _csrf_token(client.get("/account/tokens").get_data(as_text=True))
    assert after != before
    assert client.post("/account/tokens", data={"name": "OA 对接", "csrf_token": before}).status_code == 400
    created = client.post("/account/tokens", data={"name": "OA 对接", "csrf_token": after})
    assert created.status_code == 200 and 'id="new-token"' in created.get_data(as_text=True)
