"""The forms of the account pages, and the unit choices every form that picks a unit uses."""
from sqlalchemy import select
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from rectify.core.extensions import db
from rectify.core.forms import Form
from rectify.models import Department, Role

NO_DEPARTMENT = 0


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
    # No default: a new account's role is chosen, never the first entry (管理员) by oversight.
    role = SelectField("角色", choices=[SelectChoice("", "请选择角色"), *Role.choices()],
                       validators=[DataRequired("请选择角色。")])
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
