"""``flask --app app users …``: user accounts from the command line."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from rectify.accounts.operations import UserError, create_user, find_or_create_department
from rectify.core.extensions import db
from rectify.models import Role, User

users_cli = AppGroup("users", help="管理用户账号。")


def _check_password(ctx, param, value):
    from rectify.accounts.passwords import password_problem

    # Options given before --password are known here; create_user checks the rest.
    personal = (ctx.params.get("name"), ctx.params.get("email"), ctx.params.get("phone"))
    problem = password_problem(value, ctx.params.get("username", ""), personal)
    if problem:
        raise click.BadParameter(problem)
    return value


@users_cli.command("add")
@click.argument("username")
@click.option("--name", required=True, help="姓名")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="角色")
@click.option("--department", help="所在部门名称（不存在时自动创建）")
@click.option("--email", help="电子邮箱")
@click.option("--phone", help="手机号码")
@click.option(
    "--password",
    prompt="密码",
    hide_input=True,
    confirmation_prompt="再次输入密码",
    callback=_check_password,
    help="不提供时交互输入",
)
def add_user(username, name, role, department, email, phone, password):
    """添加用户 USERNAME。"""
    department_id = None
    if department:
        unit, created = find_or_create_department(department.strip())
        department_id = unit.id
        if created:
            click.echo(f"已新建部门：{unit.name}")
    try:
        user = create_user(
            username=username,
            name=name,
            password=password,
            role=Role(role),
            department_id=department_id,
            email=email,
            phone=phone,
        )
    except UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"已添加用户 {user.username}（{user.name}，{user.role.label}）")


@users_cli.command("password")
@click.argument("username")
def reset_password_command(username):
    """为用户 USERNAME 重置密码：显示一个临时密码（只显示这一次），首次登录时须修改。"""
    from rectify.accounts.operations import reset_password
    from rectify.core.timeutil import utcnow

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"未找到用户 {username}（可用 flask --app app users list 查看全部用户）。")
    password = reset_password(user, by=None, now=utcnow())
    db.session.commit()
    click.echo(f"已重置 {user.username}（{user.name}）的密码，该用户在其他设备上的登录和 API 访问令牌已失效。")
    click.echo(f"临时密码：{password}")
    click.echo("请把临时密码告知本人；首次登录后须修改密码。")
    if not user.is_active:
        click.echo("注意：该账号已停用，启用后才能登录。")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="命令行创建", show_default=True, help="令牌用途，便于识别")
def create_token_command(username, name):
    """为用户 USERNAME 创建 API 访问令牌（只显示这一次）。"""
    from rectify.accounts.tokens import create_token

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"未找到用户 {username}")
    _, plain = create_token(user, name)
    db.session.commit()
    click.echo(plain)


@users_cli.command("list")
def list_users():
    """列出全部用户。"""
    for user in db.session.scalars(select(User).order_by(User.username)):
        unit = user.department.name if user.department else "-"
        state = "" if user.is_active else "（已停用）"
        click.echo(f"{user.username}\t{user.name}\t{user.role.label}\t{unit}{state}")
