import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rectify.accounts.operations import generate_password
from rectify.accounts.passwords import password_problem
from rectify.core.extensions import db
from rectify.models import AuditLog, LoginFailure, Role, User

from conftest import PASSWORD, make_app


def test_login_page_is_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "用户名" in page and "密码" in page and 'name="username"' in page and 'name="password"' in page


def test_pages_need_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_login_and_logout(client, make_user):
    user = make_user(Role.OWNER, name="周洁")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    assert "周洁" in client.get("/").get_data(as_text=True)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_username_is_case_insensitive(client, make_user):
    make_user(Role.OWNER, username="zhoujie")
    response = client.post("/login", data={"username": " ZhouJie ", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("username, password", [("owner1", "wrong-password"), ("nobody", PASSWORD)])
def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user, username, password):
    make_user(Role.OWNER, username="owner1")
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "用户名或密码错误" in page
    assert "不存在" not in page
    assert client.get("/").status_code == 302


def test_empty_form_is_400_with_field_messages(client):
    response = client.post("/login", data={})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请输入用户名" in page and "请输入密码" in page


def test_disabled_account_is_refused(client, make_user):
    user = make_user(Role.OWNER, is_active=False)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 403
    assert "已停用" in response.get_data(as_text=True)
    wrong = client.post("/login", data={"username": user.username, "password": "nope-nope1"})
    assert wrong.status_code == 401 and "已停用" not in wrong.get_data(as_text=True)


def test_disabling_a_signed_in_user_ends_the_session(client, session, login_as):
    user = login_as(Role.OWNER)
    assert client.get("/").status_code == 200
    session.get(User, user.id).is_active = False
    session.commit()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/admin/users", "/admin/users"),
        ("/?batch=1", "/?batch=1"),
        ("http://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_local_paths(client, make_user, target, expected):
    user = make_user(Role.ADMIN)
    response = client.post(
        "/login", query_string={"next": target}, data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.location == expected


@pytest.mark.parametrize("app_config", [{"RECTIFY_LOGIN_RATE_LIMIT": "3 per minute"}])
def test_repeated_failures_are_throttled(client, make_user):
    user = make_user(Role.OWNER, username="target")
    other = make_user(Role.OWNER, username="bystander")
    for _ in range(3):
        assert client.post("/login", data={"username": "target", "password": "bad-guess1"}).status_code == 401
    blocked = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "尝试次数过多，请 1 分钟后再试。" in blocked.get_data(as_text=True)
    assert 50 <= int(blocked.headers["Retry-After"]) <= 60
    # Another account from the same address is not locked out by someone else's failures.
    assert client.post("/login", data={"username": other.username, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("app_config", [{"RECTIFY_LOGIN_RATE_LIMIT": "3 per minute"}])
def test_the_throttle_lets_go_once_the_failures_are_older_than_its_window(client, session, make_user):
    user = make_user(Role.OWNER)
    for _ in range(3):
        assert client.post("/login", data={"username": user.username, "password": "bad-guess1"}).status_code == 401
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 429
    # A minute passes for two of the three failures: one left counts, and the password works again.
    oldest = session.scalars(sa.select(LoginFailure.id).order_by(LoginFailure.id).limit(2)).all()
    session.execute(sa.update(LoginFailure).where(LoginFailure.id.in_(oldest))
                    .values(failed_at=LoginFailure.failed_at - timedelta(seconds=61)))
    session.commit()
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    # The next failure clears away what no longer counts.
    client.post("/logout")
    client.post("/login", data={"username": user.username, "password": "bad-guess2"})
    assert session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 2


@pytest.mark.parametrize("app_config", [{"RECTIFY_LOGIN_RATE_LIMIT": "3 per minute"}])
def test_every_app_process_counts_the_same_failures(app, database_url, tmp_path, make_user):
    """Behind a load balancer each guess may reach another process: the count is the database's,
    so a second app on the same database refuses the fourth guess as the first would."""
    user = make_user(Role.OWNER)
    other_process = make_app(database_url, tmp_path / "other", RECTIFY_LOGIN_RATE_LIMIT="3 per minute")
    try:
        clients = [app.test_client(), other_process.test_client()]
        for attempt in range(3):
            response = clients[attempt % 2].post("/login", data={"username": user.username, "password": "bad-guess1"})
            assert response.status_code == 401
        for each in clients:
            assert each.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 429
    finally:
        other_process.extensions["rectify.ledger_worker"].shutdown(wait=True)
        with other_process.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("app_config", [{"RECTIFY_LOGIN_RATE_LIMIT": "3 per minute"}])
def test_a_user_name_of_any_length_is_counted(client):
    """What is typed as a user name is not bounded by the form: longer than the column, it is
    counted by its first 150 characters (PostgreSQL would refuse it whole: a 500)."""
    typed = "猜" * 400
    for _ in range(3):
        assert client.post("/login", data={"username": typed, "password": "bad-guess1"}).status_code == 401
    assert client.post("/login", data={"username": typed, "password": "bad-guess1"}).status_code == 429


@pytest.mark.parametrize("app_config", [{"RECTIFY_LOGIN_RATE_LIMIT": "3 per minute"}])
def test_successful_logins_are_not_counted(client, make_user):
    user = make_user(Role.OWNER)
    for _ in range(5):
        assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
        client.post("/logout")


def test_temporary_password_must_be_changed_first(client, session, login_as):
    user = login_as(Role.SUPERVISOR, must_change_password=True)
    response = client.get("/")
    assert response.status_code == 302 and response.location == "/account/password"
    assert client.get("/admin/users").status_code in (302, 403)
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "Xinmima2024", "confirm": "Xinmima2024"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    refreshed = session.get(User, user.id)
    session.refresh(refreshed)
    assert not refreshed.must_change_password
    assert refreshed.check_password("Xinmima2024") and not refreshed.check_password(PASSWORD)


@pytest.mark.parametrize(
    "current, new, confirm, message",
    [
        ("wrong-password1", "Xinmima2024", "Xinmima2024", "当前密码不正确"),
        (PASSWORD, "short1", "short1", "至少需要 8 位"),
        (PASSWORD, "abcdefghij", "abcdefghij", "至少两类"),
        (PASSWORD, "Xinmima2024", "Xinmima2025", "两次输入的新密码不一致"),
        (PASSWORD, PASSWORD, PASSWORD, "不能与当前密码相同"),
    ],
)
def test_bad_password_changes_are_refused(client, session, login_as, current, new, confirm, message):
    user = login_as(Role.OWNER)
    response = client.post("/account/password", data={"current": current, "new": new, "confirm": confirm})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).check_password(PASSWORD)


def test_password_change_signs_out_other_sessions(app, client, session, login_as):
    user = login_as(Role.OWNER)
    other_browser = app.test_client()
    other_browser.post("/login", data={"username": user.username, "password": PASSWORD})
    assert other_browser.get("/").status_code == 200
    client.post("/account/password", data={"current": PASSWORD, "new": "Xinmima2024", "confirm": "Xinmima2024"})
    assert client.get("/").status_code == 200
    assert other_browser.get("/").status_code == 302
    entry = session.scalar(sa.select(AuditLog).where(AuditLog.action == "change_password"))
    assert entry.actor_id == user.id


def _cookies(client) -> dict:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _browser_with(app, cookies: dict):
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser


def test_signing_out_ends_the_sign_in_for_copied_cookies_too(app, client, make_user):
    """A session cookie and a remember cookie copied before signing out sign no one in after."""
    user = make_user(Role.OWNER)
    client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"})
    copied = _cookies(client)
    assert set(copied) >= {"session", "remember_token"}
    assert _browser_with(app, copied).get("/").status_code == 200
    assert _browser_with(app, {"remember_token": copied["remember_token"]}).get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302
    assert _browser_with(app, copied).get("/").status_code == 302
    assert _browser_with(app, {"remember_token": copied["remember_token"]}).get("/").status_code == 302


def test_signing_out_one_browser_leaves_the_others_signed_in(app, client, make_user):
    user = make_user(Role.OWNER)
    phone = app.test_client()
    for browser in (client, phone):
        browser.post("/login", data={"username": user.username, "password": PASSWORD})
    client.post("/logout")
    assert client.get("/").status_code == 302 and phone.get("/").status_code == 200


def _api_token(app, user) -> str:
    from rectify.accounts.tokens import create_token
    from rectify.core.extensions import db

    with app.app_context():
        _, token = create_token(db.session.merge(user), "OA 对接")
        db.session.commit()
    return token


def test_changing_ones_password_revokes_api_tokens(app, client, login_as):
    user = login_as(Role.OWNER)
    token = _api_token(app, user)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    client.post("/account/password", data={"current": PASSWORD, "new": "Xinmima2024", "confirm": "Xinmima2024"})
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert "已撤销" in client.get("/account/tokens").get_data(as_text=True)


def test_a_reset_by_an_administrator_ends_sign_ins_and_tokens(app, client, session, make_user, login_as):
    user = make_user(Role.OWNER)
    browser = app.test_client()
    browser.post("/login", data={"username": user.username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {_api_token(app, user)}"}
    assert browser.get("/").status_code == 200 and browser.get("/api/v1/me", headers=headers).status_code == 200
    login_as(Role.ADMIN)
    assert client.post(f"/admin/users/{user.id}/reset-password").status_code == 200
    assert browser.get("/").status_code == 302
    assert browser.get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_forms_need_their_csrf_token(client, make_user):
    user = make_user(Role.OWNER)
    data = {"username": user.username, "password": PASSWORD}
    missing = client.post("/login", data=data)
    assert missing.status_code == 400
    assert "安全令牌" in missing.get_data(as_text=True)
    forged = client.post("/login", data={**data, "csrf_token": "forged"})
    assert forged.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={**data, "csrf_token": token}).status_code == 302
    # Logging out needs the token too, so another site cannot sign a user out.
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "password, reason",
    [
        ("password1", "该密码过于常见"),
        ("12345678a", "该密码过于常见"),
        ("qwerty123", "该密码过于常见"),
        ("Aa123456", "该密码过于常见"),
        ("woaini1314", "容易被猜中"),
        ("P@ssw0rd", "与常见密码相似"),
        ("aaaaaaaa1", "密码由重复字符组成"),
        ("zxcvbnm,./1", "键盘上相邻的按键"),
        ("wsxcde34", "键盘上相邻的按键"),
        ("abcdefg123", "连续的字母或数字"),
        ("19880808a", "以日期为主"),
        (" abc12345 ", "不能以空格开头或结尾"),
        ("Xinmima2024 ", "不能以空格开头或结尾"),
        ("Zhenggai2023!", "本系统的名称"),
        ("Rectify2024!", "本系统的名称"),
        ("wugang-2024", "不能包含用户名"),
        ("Wg.13955501234", "手机号码"),
        ("Gang.wu2024!", "电子邮箱"),
        ("abcdefghij", "至少两类"),
        ("Ab1" + "x" * 126, "不能超过 128 位"),
    ],
)
def test_guessable_passwords_are_refused_with_the_reason(password, reason):
    problem = password_problem(password, "wugang", ("吴刚", "gang.wu@example.gov.cn", "13955501234"))
    assert problem is not None and reason in problem


@pytest.mark.parametrize("password", ["Xinmima2024", "Qingshan-Lvshui7", "correct horse battery staple", "Hongqi#1921abc"])
def test_strong_passwords_pass(password):
    assert password_problem(password, "wugang", ("吴刚", "gang.wu@example.gov.cn", "13812345678")) is None


def test_generated_temporary_passwords_always_pass():
    for _ in range(200):
        assert password_problem(generate_password("admin"), "admin") is None


@pytest.mark.parametrize("new, reason", [("password1", "该密码过于常见"), ("aaaaaaaa1", "重复字符"),
                                         (" Xinmima2024", "空格"), ("Zj.13955501234", "个人信息")])
def test_changing_to_a_guessable_password_is_refused(client, session, login_as, new, reason):
    user = login_as(Role.OWNER, name="周洁", phone="13955501234")
    response = client.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).check_password(PASSWORD)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_form_sent_after_the_sign_in_expired_goes_through_the_login_back_to_the_form(client, make_user, make_measure):
    user = make_user(Role.OWNER, person=True)
    measure = make_measure(owners=[user.person])
    page = f"http://localhost/problems/{measure.problem_id}"
    sent = client.post(f"/measures/{measure.id}/progress", data={f"m{measure.id}-progress-text": "已召开专题会"},
                       headers={"Referer": page})
    assert sent.status_code == 302
    assert sent.headers["Location"] == f"/login?next=/problems/{measure.problem_id}&expired=1"
    login_page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "登录已过期，请重新登录" in login_page and "data-keep-draft" in login_page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    signed_in = client.post(sent.headers["Location"], data={"username": user.username, "password": PASSWORD,
                                                             "csrf_token": token})
    assert signed_in.headers["Location"] == f"/problems/{measure.problem_id}#restore-draft"


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_form_sent_with_an_expired_token_goes_back_to_the_form(client, login, make_user, make_measure):
    user = login(make_user(Role.OWNER, person=True))
    measure = make_measure(owners=[user.person])
    sent = client.post(f"/measures/{measure.id}/progress", data={"csrf_token": "expired"},
                       headers={"Referer": f"http://localhost/problems/{measure.problem_id}"})
    assert sent.status_code == 302 and sent.headers["Location"] == f"/problems/{measure.problem_id}#restore-draft"
    assert "页面已过期，未能提交" in client.get(sent.headers["Location"]).get_data(as_text=True)
    elsewhere = client.post(f"/measures/{measure.id}/progress", data={}, headers={"Referer": "http://evil.example/x"})
    assert elsewhere.status_code == 400  # not one of our pages: no redirect there
