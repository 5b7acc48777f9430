"""Command-line interface: ``flask --app app users ...`` and ``flask --app app demo ...``."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .models import Role, User
from .users_ops import UserError, create_user, find_or_create_department

users_cli = AppGroup("users", help="管理用户账号。")
demo_cli = AppGroup("demo", help="演示数据。")


def register(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)


def _check_password(ctx, param, value):
    from .auth import password_problem

    problem = password_problem(value, ctx.params.get("username", ""))
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


@users_cli.command("list")
def list_users():
    """列出全部用户。"""
    for user in db.session.scalars(select(User).order_by(User.username)):
        unit = user.department.name if user.department else "-"
        state = "" if user.is_active else "（已停用）"
        click.echo(f"{user.username}\t{user.name}\t{user.role.label}\t{unit}{state}")


@demo_cli.command("load")
def load_demo_command():
    """载入演示数据（批次、问题、措施和演示账号）。"""
    from .demo import load_demo

    try:
        password = load_demo()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"已载入演示数据。演示账号 duban、lingdao、zeren1、zeren2、chakan 的密码：{password}")


@demo_cli.command("generate")
@click.option("--problems", type=click.IntRange(1, 1_000_000), required=True, help="问题数（每个问题 3 项措施）")
@click.option("--seed", type=int, default=2023, show_default=True, help="随机种子（相同种子生成相同数据）")
def generate_command(problems, seed):
    """生成大量仿真数据（用于性能测试和试用）。"""
    import time

    from .generate import generate
    from .timeutil import local_today

    started = time.perf_counter()
    counts = generate(problems, local_today(), seed=seed)
    db.session.commit()
    summary = "，".join(f"{key} {value}" for key, value in counts.items())
    click.echo(f"已生成：{summary}（用时 {time.perf_counter() - started:.1f} 秒）")
