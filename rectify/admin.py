"""Administration: user accounts and departments (管理员 only)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from rectify import audit
from rectify.extensions import db
from rectify.forms import EmptyForm, Form
from rectify.models import Department, Measure, Person, Problem, Role, User
from rectify.permissions import can_manage_users, require
from rectify.timeutil import utcnow
from rectify.users_ops import UserError, create_user, generate_password, reset_password, update_user

bp = Blueprint("admin", __name__, url_prefix="/admin")
NO_DEPARTMENT = 0


@bp.before_request
def admins_only():
    require(can_manage_users(current_user))


def department_choices(exclude=()):
    names = db.session.execute(select(Department.id, Department.name).order_by(Department.name))
    return [SelectChoice(NO_DEPARTMENT, "（无）")] + [
        SelectChoice(id_, name) for id_, name in names if id_ not in exclude
    ]


class UserForm(Form):
    username = StringField(
        "用户名",
        validators=[
            DataRequired("请输入用户名。"),
            Length(max=64, message="用户名不能超过 64 个字符。"),
            Regexp(r"^[A-Za-z0-9_.\-]+$", message="用户名只能包含字母、数字、下划线、点和连字符。"),
        ],
    )
    name = StringField("姓名", validators=[DataRequired("请输入姓名。"), Length(max=64)])
    department_id = SelectField("所在部门", coerce=int)
    role = SelectField("角色", choices=Role.choices())
    email = EmailField("电子邮箱", validators=[Optional(), Email("电子邮箱格式不正确。"), Length(max=254)])
    phone = StringField("手机号码", validators=[Optional(), Length(max=32)])
    is_active = BooleanField("启用", default=True)
    submit = SubmitField("保存")


class DepartmentForm(Form):
    name = StringField("部门名称", validators=[DataRequired("请输入部门名称。"), Length(max=100)])
    parent_id = SelectField("上级部门", coerce=int)
    robot_kind = SelectField("工作群机器人", default="", choices=[SelectChoice("", "（不使用）"), SelectChoice("wecom", "企业微信"),
                                                   SelectChoice("dingtalk", "钉钉"), SelectChoice("feishu", "飞书")])
    robot_url = StringField("机器人 Webhook 地址", validators=[Optional(), Length(max=500),
                                                         Regexp(r"^https?://", message="地址应以 http:// 或 https:// 开头。")])
    robot_secret = StringField("加签密钥（钉钉、飞书，可留空）", validators=[Optional(), Length(max=200)])
    submit = SubmitField("保存")

    def validate_robot_url(self, field):
        if self.robot_kind.data and not field.data:
            raise ValidationError("选择了机器人，请填写 Webhook 地址。")

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.department = department
        excluded = set()
        if department is not None:
            excluded = {department.id} | {d.id for d in _descendants(department)}
        self.parent_id.choices = department_choices(exclude=excluded)
        if self.robot_kind.data is None:  # a unit without a robot: the "none" choice
            self.robot_kind.data = ""

    def validate_name(self, field):
        field.data = field.data.strip()
        clash = db.session.scalar(select(Department).where(Department.name == field.data))
        if clash is not None and clash is not self.department:
            raise ValidationError("已有同名部门。")


def _descendants(department):
    found, todo = [], list(department.children)
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(node.children)
    return found


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


@bp.route("/jobs")
def jobs():
    """定时任务: each job's last runs and next run; run one now."""
    from flask import current_app

    from rectify import backup
    from rectify.models import JobRun
    from rectify.scheduler import JOBS, next_runs

    runs = db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(30)).all()
    # Backups are listed, never served: they hold every password hash.
    return render_template("admin/jobs.html", jobs=JOBS, runs=runs, next_runs=next_runs(current_app),
                           form=EmptyForm(), scheduler=current_app.config["RECTIFY_SCHEDULER"],
                           backups=backup.listing(), backup_folder=backup.folder(),
                           backup_keep=current_app.config["RECTIFY_BACKUP_KEEP"])


@bp.route("/jobs/<name>/run", methods=["POST"])
def run_job_now(name):
    """Run a job at once in this process, recorded like a scheduled run."""
    from rectify.scheduler import JOBS, run_recorded

    if name not in JOBS:
        return render_template("errors/error.html", code=404, title="页面不存在", message="没有这个任务。"), 404
    EmptyForm().validate_on_submit()
    run = run_recorded(name)
    if run.ok:
        flash(f"已运行“{JOBS[name][0]}”。", "success")
    else:
        flash(f"“{JOBS[name][0]}”失败：{run.summary.get('error', '')}", "danger")
    return redirect(url_for("admin.jobs"))


class ReminderSettingsForm(Form):
    due_days = StringField("到期前提醒（天，逗号分隔）", validators=[DataRequired("请填写天数。"),
                           Regexp(r"^\s*\d+(\s*[,，]\s*\d+)*\s*$", message="请填写用逗号分隔的天数，如 7,3,1。")])
    overdue_every = IntegerField("逾期后每隔几天提醒", validators=[NumberRange(1, 30, "应为 1 到 30。")])
    leader_days = IntegerField("逾期几天后同时提醒责任领导（催办）", validators=[NumberRange(0, 365, "应为 0 到 365。")])
    supervisors_days = IntegerField("逾期几天后同时提醒督办员（督办）", validators=[NumberRange(0, 365, "应为 0 到 365。")])
    unacknowledged_days = IntegerField("分派几天未签收时提醒", validators=[NumberRange(1, 60, "应为 1 到 60。")])
    monthly_day = IntegerField("长期坚持事项每月几日起提醒报送进展", validators=[NumberRange(1, 28, "应为 1 到 28。")])
    max_items = IntegerField("每条提醒最多列出几项", validators=[NumberRange(1, 500, "应为 1 到 500。")])
    submit = SubmitField("保存")


SETTING_FIELDS = {
    "due_days": "RECTIFY_REMIND_DUE_DAYS", "overdue_every": "RECTIFY_REMIND_OVERDUE_EVERY",
    "leader_days": "RECTIFY_ESCALATE_LEADER_DAYS", "supervisors_days": "RECTIFY_ESCALATE_SUPERVISORS_DAYS",
    "unacknowledged_days": "RECTIFY_REMIND_UNACKNOWLEDGED_DAYS", "monthly_day": "RECTIFY_REMIND_MONTHLY_DAY",
    "max_items": "RECTIFY_REMIND_MAX_ITEMS",
}


@bp.route("/reminders", methods=["GET", "POST"])
def reminder_settings():
    """提醒设置: the thresholds of the reminder rules, over the configured defaults."""
    from rectify.settings_ops import effective, save

    values = effective()
    form = ReminderSettingsForm(data={field: values[key] for field, key in SETTING_FIELDS.items()})
    if form.validate_on_submit():
        changes = {key: getattr(form, field).data for field, key in SETTING_FIELDS.items()}
        changes["RECTIFY_REMIND_DUE_DAYS"] = ",".join(
            str(d) for d in sorted({int(x) for x in changes["RECTIFY_REMIND_DUE_DAYS"].replace("，", ",").split(",")}, reverse=True))
        save(changes, current_user._get_current_object())
        db.session.commit()
        flash("提醒设置已保存，下次运行时生效。", "success")
        return redirect(url_for("admin.reminder_settings"))
    return render_template("admin/reminder_settings.html", form=form), 400 if form.errors else 200
