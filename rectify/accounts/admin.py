"""Administration: user accounts and departments (管理员 only)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from rectify.accounts import audit
from rectify.accounts.forms import NO_DEPARTMENT, DepartmentForm, UserForm, department_choices
from rectify.accounts.operations import UserError, create_user, generate_password, reset_password, update_user
from rectify.core.extensions import db
from rectify.core.forms import EmptyForm
from rectify.core.timeutil import utcnow
from rectify.models import Department, Measure, Person, Problem, Role, User
from rectify.tracking.access import require
from rectify.tracking.permissions import can_manage_users

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only():
    require(can_manage_users(current_user))


@bp.route("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    departments = dict(db.session.execute(select(Department.id, Department.name)).all())
    return render_template("admin/users.html", users=rows, departments=departments, form=EmptyForm())


def _user_form(user=None):
    form = UserForm(obj=user)
    form.department_id.choices = department_choices()
    if user is not None and not form.is_submitted():
        form.department_id.data = user.department_id or NO_DEPARTMENT
        form.role.data = user.role.value
    return form


def _fields(form):
    return dict(
        username=form.username.data,
        name=form.name.data,
        department_id=form.department_id.data or None,
        role=Role(form.role.data),
        email=form.email.data or None,
        phone=form.phone.data or None,
        is_active=form.is_active.data,
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        password = generate_password(form.username.data.strip().lower())
        try:
            user = create_user(by=current_user, password=password, must_change=True, **_fields(form))
        except UserError as error:
            form.username.errors.append(str(error))
        else:
            db.session.commit()
            return render_template("admin/password_shown.html", user=user, password=password)
    return render_template("admin/user_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id):
    user = db.get_or_404(User, user_id, description="未找到该用户。")
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            update_user(user, by=current_user, **_fields(form))
        except UserError as error:
            flash(str(error), "danger")
            db.session.rollback()
            return render_template("admin/user_form.html", form=form, user=user), 409
        db.session.commit()
        flash(f"已保存用户 {user.name}。", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), 400 if form.errors else 200


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
def reset_user_password(user_id):
    user = db.get_or_404(User, user_id, description="未找到该用户。")
    EmptyForm().validate_on_submit()
    password = reset_password(user, by=current_user, now=utcnow())
    db.session.commit()
    return render_template("admin/password_shown.html", user=user, password=password, reset=True)


@bp.route("/departments")
def departments():
    rows = db.session.scalars(select(Department).order_by(Department.name)).all()
    counts = dict(
        db.session.execute(
            select(User.department_id, func.count()).group_by(User.department_id)
        ).all()
    )
    names = {d.id: d.name for d in rows}
    return render_template(
        "admin/departments.html", departments=rows, counts=counts, names=names, form=EmptyForm()
    )


@bp.route("/departments/new", methods=["GET", "POST"])
@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id=None):
    department = None
    if department_id is not None:
        department = db.get_or_404(Department, department_id, description="未找到该部门。")
    form = DepartmentForm(obj=department, department=department)
    if department is not None and not form.is_submitted():
        form.parent_id.data = department.parent_id or NO_DEPARTMENT
    if form.validate_on_submit():
        if department is None:
            department = Department(name=form.name.data)
            db.session.add(department)
            before = {}
        else:
            before = audit.snapshot(department, ["name", "parent"])
        department.name = form.name.data
        department.parent_id = form.parent_id.data or None
        department.robot_kind = form.robot_kind.data or None
        department.robot_url = form.robot_url.data.strip() if form.robot_kind.data and form.robot_url.data else None
        department.robot_secret = form.robot_secret.data.strip() or None if form.robot_kind.data else None
        db.session.flush()
        db.session.refresh(department, ["parent"])
        if before:
            audit.record_changes(current_user, "update", department, before)
        else:
            audit.record(current_user, "create", department, audit.snapshot(department, ["name", "parent"]))
        db.session.commit()
        flash(f"已保存部门 {department.name}。", "success")
        return redirect(url_for("admin.departments"))
    status = 400 if form.errors else 200
    return render_template("admin/department_form.html", form=form, department=department), status


def _department_in_use(department) -> bool:
    checks = [
        select(User.id).where(User.department_id == department.id),
        select(Person.id).where(Person.department_id == department.id),
        select(Problem.id).where(Problem.lead_unit_id == department.id),
        select(Measure.id).where(Measure.lead_unit_id == department.id),
        select(Measure.id).where(Measure.cooperating_units.any(Department.id == department.id)),
        select(Department.id).where(Department.parent_id == department.id),
    ]
    return any(db.session.scalar(check.limit(1)) is not None for check in checks)


@bp.route("/departments/<int:department_id>/delete", methods=["POST"])
def delete_department(department_id):
    department = db.get_or_404(Department, department_id, description="未找到该部门。")
    EmptyForm().validate_on_submit()
    if _department_in_use(department):
        flash(f"部门 {department.name} 仍有人员、下级部门或整改事项，不能删除。", "danger")
        return departments(), 409
    audit.record(current_user, "delete", department, {"name": [department.name, None]})
    db.session.delete(department)
    db.session.commit()
    flash(f"已删除部门 {department.name}。", "success")
    return redirect(url_for("admin.departments"))
