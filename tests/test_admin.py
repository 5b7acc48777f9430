import re

import sqlalchemy as sa

from rectify.accounts.passwords import password_problem
from rectify.models import AuditLog, Department, Role, User


def _temporary_password(response) -> str:
    return re.search(r'id="temporary-password">([^<]+)<', response.get_data(as_text=True)).group(1)


def user_count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User))


def test_admin_creates_a_user_who_must_change_the_password(app, client, session, login_as, make_department):
    login_as(Role.ADMIN)
    unit = make_department("招商服务局")
    response = client.post(
        "/admin/users/new",
        data={"username": "WuGang", "name": "吴刚", "department_id": unit.id, "role": "owner",
              "email": "wugang@example.gov.cn", "is_active": "y"},
    )
    assert response.status_code == 200
    password = _temporary_password(response)
    assert password_problem(password, "wugang") is None
    session.expire_all()
    user = session.scalar(sa.select(User).where(User.username == "wugang"))
    assert (user.name, user.role, user.department.name) == ("吴刚", Role.OWNER, "招商服务局")
    assert user.must_change_password
    created = session.scalar(sa.select(AuditLog).where(AuditLog.object_type == "User", AuditLog.object_id == user.id))
    assert created.action == "create" and created.changes["name"] == "吴刚"

    newcomer = app.test_client()
    assert newcomer.post("/login", data={"username": "wugang", "password": password}).status_code == 302
    assert newcomer.get("/").location == "/account/password"


def test_duplicate_username_is_refused_and_nothing_is_added(client, session, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(Role.OWNER, username="zhoujie")
    before = user_count(session)
    response = client.post("/admin/users/new", data={"username": "ZhouJie", "name": "周洁", "department_id": 0, "role": "owner"})
    assert response.status_code == 400
    assert "已被使用" in response.get_data(as_text=True)
    assert user_count(session) == before


def test_bad_fields_are_named(client, session, login_as):
    login_as(Role.ADMIN)
    before = user_count(session)
    response = client.post(
        "/admin/users/new",
        data={"username": "张三", "name": "", "department_id": 0, "role": "owner", "email": "not-an-email"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "用户名只能包含" in page and "请输入姓名" in page and "电子邮箱格式不正确" in page
    assert user_count(session) == before


def test_editing_a_user_is_audited_field_by_field(client, session, login_as, make_user, make_department):
    admin = login_as(Role.ADMIN)
    user = make_user(Role.OWNER, name="周洁", department="组织人事部")
    unit = make_department("纪工委")
    response = client.post(
        f"/admin/users/{user.id}/edit",
        data={"username": user.username, "name": "周洁", "department_id": unit.id, "role": "leader", "is_active": "y"},
    )
    assert response.status_code == 302
    entry = session.scalar(sa.select(AuditLog).where(AuditLog.action == "update", AuditLog.object_id == user.id))
    assert entry.actor_id == admin.id
    assert entry.changes == {"department": ["组织人事部", "纪工委"], "role": ["责任人", "责任领导"]}


def test_the_last_admin_cannot_be_demoted_or_disabled(client, session, login_as):
    admin = login_as(Role.ADMIN)
    demote = client.post(
        f"/admin/users/{admin.id}/edit",
        data={"username": admin.username, "name": admin.name, "department_id": 0, "role": "supervisor", "is_active": "y"},
    )
    assert demote.status_code == 409
    assert "至少需要保留一名" in demote.get_data(as_text=True)
    disable = client.post(
        f"/admin/users/{admin.id}/edit",
        data={"username": admin.username, "name": admin.name, "department_id": 0, "role": "admin"},
    )
    assert disable.status_code == 409
    assert "不能停用自己" in disable.get_data(as_text=True)
    session.expire_all()
    stored = session.get(User, admin.id)
    assert stored.role is Role.ADMIN and stored.is_active


def test_reset_password_gives_a_new_temporary_password(app, client, session, login_as, make_user):
    login_as(Role.ADMIN)
    user = make_user(Role.OWNER)
    response = client.post(f"/admin/users/{user.id}/reset-password")
    assert response.status_code == 200
    password = _temporary_password(response)
    assert password_problem(password, user.username) is None
    browser = app.test_client()
    assert browser.post("/login", data={"username": user.username, "password": password}).status_code == 302
    assert browser.get("/").location == "/account/password"


def test_unknown_user_is_404(client, login_as):
    login_as(Role.ADMIN)
    response = client.get("/admin/users/9999/edit")
    assert response.status_code == 404
    assert "未找到该用户" in response.get_data(as_text=True)


def test_departments_can_be_created_nested_renamed_and_deleted(client, session, login_as):
    login_as(Role.ADMIN)
    assert client.post("/admin/departments/new", data={"name": " 宣传统战部 ", "parent_id": 0}).status_code == 302
    parent = session.scalar(sa.select(Department).where(Department.name == "宣传统战部"))
    assert client.post("/admin/departments/new", data={"name": "党员管理股", "parent_id": parent.id}).status_code == 302
    child = session.scalar(sa.select(Department).where(Department.name == "党员管理股"))
    assert child.parent_id == parent.id
    response = client.post(f"/admin/departments/{child.id}/edit", data={"name": "党员教育管理股", "parent_id": parent.id})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Department, child.id).name == "党员教育管理股"
    child_id = child.id
    assert client.post(f"/admin/departments/{child_id}/delete").status_code == 302
    session.expire_all()
    assert session.get(Department, child_id) is None


def test_department_rules(client, session, login_as, make_department):
    login_as(Role.ADMIN, department=None)
    parent = make_department("组织人事部")
    child = make_department("党员管理股", parent=parent)
    same_name = client.post("/admin/departments/new", data={"name": "组织人事部", "parent_id": 0})
    assert same_name.status_code == 400 and "已有同名部门" in same_name.get_data(as_text=True)
    cycle = client.post(f"/admin/departments/{parent.id}/edit", data={"name": "组织人事部", "parent_id": child.id})
    assert "不是有效的选择" in cycle.get_data(as_text=True)
    assert cycle.status_code == 400
    in_use = client.post(f"/admin/departments/{parent.id}/delete")
    assert in_use.status_code == 409 and "不能删除" in in_use.get_data(as_text=True)
    session.expire_all()
    assert session.get(Department, parent.id).parent_id is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Department)) == 2


def test_a_new_user_has_no_default_role(client, session, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/users/new").get_data(as_text=True)
    role = re.search(r'<select[^>]*name="role".*?</select>', page, re.S).group(0)
    assert role.index('<option value="">请选择角色</option>') < role.index("管理员") and "selected" not in role
    refused = client.post("/admin/users/new", data={"username": "wangwu", "name": "王五", "department_id": 0, "role": ""})
    assert refused.status_code == 400 and "请选择角色。" in refused.get_data(as_text=True)
    assert session.scalar(sa.select(User).where(User.username == "wangwu")) is None
