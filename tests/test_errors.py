"""Bad requests get a Chinese page with the right status and no traceback."""
import pytest

from rectify.models import Role


def test_unknown_route_is_a_chinese_404(client, login_as):
    login_as(Role.OWNER)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "页面不存在" in page and "Traceback" not in page


def test_wrong_method_is_405_with_allow(client, login_as):
    login_as(Role.ADMIN)
    response = client.get("/admin/users/1/reset-password")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "不支持" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"RECTIFY_MAX_REQUEST_MB": 1}])
def test_oversized_request_is_413(client, login_as):
    login_as(Role.ADMIN)
    response = client.post("/admin/departments/new", data={"name": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "上限 1 MB" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_unexpected_error_is_a_chinese_500_without_traceback(app, client, login_as):
    def broken():
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", "broken", broken)
    login_as(Role.OWNER)
    response = client.get("/broken")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "系统出现错误" in page and "secret internals" not in page and "Traceback" not in page


def test_ids_beyond_what_the_database_holds_are_404_not_500(client, login_as):
    login_as(Role.SUPERVISOR)
    assert client.get("/problems/9223372036854775808").status_code == 404
    assert client.get("/measures/99999999999/edit").status_code == 404
