"""Command-line interface: ``flask --app app users ...`` and ``flask --app app demo ...``."""
import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select, text

from rectify.extensions import db
from rectify.models import MeasureStatus, Role, SourceKind, User
from rectify.users_ops import UserError, create_user, find_or_create_department

users_cli = AppGroup("users", help="管理用户账号。")
findings_cli = AppGroup("findings", help="导入巡视巡察等反馈问题。")
ledger_cli = AppGroup("ledger", help="整改台账。")
reminders_cli = AppGroup("reminders", help="到期、逾期提醒与督办。")
scheduler_cli = AppGroup("scheduler", help="定时任务。")
demo_cli = AppGroup("demo", help="演示数据。")


def register(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(findings_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _check_password(ctx, param, value):
    from rectify.passwords import password_problem

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


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="命令行创建", show_default=True, help="令牌用途，便于识别")
def create_token_command(username, name):
    """为用户 USERNAME 创建 API 访问令牌（只显示这一次）。"""
    from rectify.api.tokens import create_token

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


@demo_cli.command("load")
def load_demo_command():
    """载入演示数据（批次、问题、措施和演示账号）。"""
    from rectify.demo import load_demo

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

    from rectify.generate import generate
    from rectify.timeutil import local_today

    started = time.perf_counter()
    counts = generate(problems, local_today(), seed=seed)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum would do within the hour: mark the new pages all-visible, so the
        # deadline walks are index-only scans from the first request on (VACUUM needs autocommit).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    summary = "，".join(f"{key} {value}" for key, value in counts.items())
    click.echo(f"已生成：{summary}（用时 {time.perf_counter() - started:.1f} 秒）")


@findings_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--batch", "title", help="批次名称（默认：文件名）；已有同名批次时更新该批次")
@click.option("--kind", type=click.Choice([k.label for k in SourceKind]), default="其他", show_default=True, help="来源")
@click.option("--feedback-date", type=click.DateTime(["%Y-%m-%d"]), help="反馈日期 YYYY-MM-DD（推定未写年份的时限）")
@click.option("--dry-run", is_flag=True, help="只检查，不写入")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
def import_findings_command(file, title, kind, feedback_date, dry_run, as_json):
    """导入问题清单 FILE（.xlsx/.xls/.ods）。退出码：0 已导入（或 --dry-run 检查通过），1 被拒绝，2 用法错误。"""
    import json
    from pathlib import Path

    from rectify.importer import BatchSpec, import_findings

    path = Path(file)
    spec = BatchSpec(title=(title or path.stem).strip(), kind=SourceKind.from_label(kind),
                     feedback_on=feedback_date.date() if feedback_date else None)
    report = import_findings(path.read_bytes(), path.name, spec, by=None, via="cli",
                             progress=lambda stage: click.echo(f"{stage}……", err=True))
    if report.errors or dry_run:
        db.session.rollback()
        report.imported = False
    else:
        db.session.commit()
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, default=str))
    else:
        for finding in report.errors:
            click.echo(f"错误：{finding}", err=True)
        for finding in report.warnings:
            click.echo(f"提示：{finding}")
        verdict = f"已导入（导入记录 {report.record_id}）" if report.imported else (
            "检查通过（未写入）" if not report.errors else "未导入")
        click.echo(f"{verdict}：批次“{report.batch}”，问题 {report.problems} 个，措施 {report.measures} 项；"
                   f"新建 {report.created}，更新 {report.updated}，未变 {report.unchanged}。")
    raise SystemExit(1 if report.errors else 0)


@findings_cli.command("history")
@click.option("--limit", default=20, show_default=True, help="最多列出几次")
def import_history_command(limit):
    """列出最近的导入记录（网页、接口、命令行导入的都在内）。"""
    from rectify.importer import DOORS
    from rectify.models import ImportRecord
    from rectify.timeutil import format_datetime

    records = db.session.scalars(select(ImportRecord).order_by(ImportRecord.id.desc()).limit(limit)).all()
    if not records:
        click.echo("还没有导入记录。")
    for r in records:
        state = f"，已于 {format_datetime(r.undone_at)} 撤销" if r.undone_at else ""
        who = r.created_by.name if r.created_by else "系统"
        click.echo(f"{r.id}  {format_datetime(r.created_at)}  {DOORS.get(r.via, r.via)}  {who}  “{r.filename}” → "
                   f"“{r.batch.title}”：问题 {r.problems} 个、措施 {r.measures} 项{state}")


@findings_cli.command("undo")
@click.argument("record_id", type=int)
def undo_import_command(record_id):
    """撤销导入记录 RECORD_ID 新建的问题和措施（须尚无人签收、填报或修改）。退出码：0 已撤销，1 不能撤销。"""
    from rectify.importer import UndoRefused, undo_import
    from rectify.models import ImportRecord
    from rectify.timeutil import utcnow

    record = db.session.get(ImportRecord, record_id)
    if record is None:
        click.echo(f"没有编号为 {record_id} 的导入记录（flask findings history 列出导入记录）。", err=True)
        raise SystemExit(1)
    try:
        removed = undo_import(record, None, utcnow())
    except UndoRefused as refused:
        db.session.rollback()
        click.echo(f"不能撤销：{refused}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"已撤销“{record.filename}”的导入：删除新建措施 {removed} 项（更新过的已有措施不回退）。")


@ledger_cli.command("export")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--batch", "batch_title", help="只导出该批次（批次名称）")
@click.option("--unit", "unit_name", help="只导出该责任单位（单位名称）")
@click.option("--status", type=click.Choice([s.label for s in MeasureStatus]), help="只导出该状态的措施")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
def export_ledger_command(out, batch_title, unit_name, status, as_json):
    """导出整改台账到 OUT（.xlsx）。"""
    import json
    from pathlib import Path

    from sqlalchemy import select as sql_select

    from rectify.filters import MeasureFilters
    from rectify.ledger import export_ledger
    from rectify.models import Batch, Department

    batch_id = unit_id = None
    if batch_title:
        batch_id = db.session.scalar(sql_select(Batch.id).where(Batch.title == batch_title))
        if batch_id is None:
            raise click.BadParameter(f"未找到批次“{batch_title}”", param_hint="--batch")
    if unit_name:
        unit_id = db.session.scalar(sql_select(Department.id).where(Department.name == unit_name))
        if unit_id is None:
            raise click.BadParameter(f"未找到单位“{unit_name}”", param_hint="--unit")
    filters = MeasureFilters(batch=batch_id, unit=unit_id,
                             status=MeasureStatus.from_label(status) if status else None)
    path = Path(out).resolve()
    summary = export_ledger(filters, None, path)
    result = {"rows": summary.rows, "problems": summary.problems, "measures": summary.measures, "path": str(path)}
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(f"已导出整改台账：问题 {summary.problems} 个，措施 {summary.measures} 项 → {path}")


@reminders_cli.command("run")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="按这一天计算（默认今天）")
@click.option("--dry-run", is_flag=True, help="只计算，不记录、不发送")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
def run_reminders_command(today, dry_run, as_json):
    """计算并发送今天应发的提醒（同一提醒不会重复发送）。"""
    import json

    from rectify.reminders import run_reminders
    from rectify.timeutil import local_date, utcnow

    now = utcnow()
    summary = run_reminders(today.date() if today else local_date(now), now, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    if not summary["workday"]:
        click.echo(f"{summary['today']} 不是工作日，未发送提醒（下一个工作日补发）。")
        return
    notices = "，".join(f"{rule} {count}" for rule, count in summary["notices"].items()) or "无"
    click.echo(f"提醒：{notices}；收件人 {summary['recipients']} 人；邮件发送成功 {summary['sent']}，失败 {summary['failed']}"
               + ("（演练，未记录）" if dry_run else ""))


@scheduler_cli.command("run")
def run_scheduler_command():
    """运行定时任务进程（多进程部署时只运行一个；误启动的第二个不会执行任务）。"""
    from flask import current_app

    from rectify.scheduler import build

    app = current_app._get_current_object()
    scheduler = build(app, blocking=True)
    backup = "" if app.config["RECTIFY_BACKUP_AT"] == "off" else f"，每日 {app.config['RECTIFY_BACKUP_AT']} 备份"
    click.echo(f"定时任务已启动：每日 {app.config['RECTIFY_REMIND_AT']} 发送提醒{backup}，每 10 分钟重试未发出的邮件（按 Ctrl+C 停止）。")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        scheduler.rectify_lock.release()


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KB"


@click.command("backup")
@click.argument("out", type=click.Path(writable=True))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@with_appcontext
def backup_command(out, as_json):
    """备份数据库、佐证材料和台账到一个文件 OUT（OUT 为文件夹时在其中按时间命名）。服务无需停止。"""
    import json
    from pathlib import Path

    from rectify.backup import BackupError, make_backup
    from rectify.timeutil import to_local, utcnow

    now = utcnow()
    path = Path(out)
    if path.is_dir():
        path = path / f"rectify-backup-{to_local(now):%Y%m%d-%H%M%S}.zip"
    try:
        summary = make_backup(path, now)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    tables = summary["tables"]
    click.echo(f"已备份 {'SQLite' if summary['database'] == 'sqlite' else 'PostgreSQL'} 数据库（版本 {summary['revision']}；"
               f"用户 {tables.get('user', 0)} 个，问题 {tables.get('problem', 0)} 个，措施 {tables.get('measure', 0)} 项），"
               f"佐证材料 {summary['evidence']} 个，台账 {summary['ledgers']} 个 → {summary['path']}"
               f"（{_size(summary['size'])}，用时 {summary['seconds']} 秒）")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="目标数据库已有数据时仍然恢复（替换现有数据）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@with_appcontext
def restore_command(file, force, as_json):
    """从备份文件 FILE 恢复到本实例（应为空实例；恢复前请停止 Rectify 服务）。"""
    import json
    from datetime import datetime

    from rectify.backup import BackupError, restore_backup
    from rectify.timeutil import format_datetime, utcnow

    try:
        summary = restore_backup(file, utcnow(), force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    tables = summary["tables"]
    upgraded = (f"，数据库版本 {summary['backup_revision']} → {summary['revision']}"
                if summary["backup_revision"] != summary["revision"] else f"，数据库版本 {summary['revision']}")
    made = format_datetime(datetime.fromisoformat(summary["created_at"].removesuffix("Z")))
    click.echo(f"已恢复 {made} 的备份：用户 {tables.get('user', 0)} 个，问题 {tables.get('problem', 0)} 个，"
               f"措施 {tables.get('measure', 0)} 项，佐证材料 {summary['evidence']} 个，台账 {summary['ledgers']} 个"
               f"{upgraded}（用时 {summary['seconds']} 秒）。")
    if summary["set_aside"]:
        click.echo(f"原有的台账文件已移至 {summary['set_aside']}。")
