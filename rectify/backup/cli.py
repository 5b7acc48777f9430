"""``flask --app app backup`` and ``restore``."""
import click
from flask.cli import with_appcontext

from rectify.core.numbers import format_size


@click.command("backup")
@click.argument("out", type=click.Path(writable=True))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@with_appcontext
def backup_command(out, as_json):
    """备份数据库、佐证材料和台账到一个文件 OUT（OUT 为文件夹时在其中按时间命名）。服务无需停止。"""
    import json
    from pathlib import Path

    from rectify.backup.operations import BackupError, make_backup
    from rectify.core.timeutil import to_local, utcnow

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
               f"（{format_size(summary['size'])}，用时 {summary['seconds']} 秒）")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="目标数据库已有数据时仍然恢复（替换现有数据）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@with_appcontext
def restore_command(file, force, as_json):
    """从备份文件 FILE 恢复到本实例（应为空实例；恢复前请停止 Rectify 服务）。"""
    import json
    from datetime import datetime

    from rectify.backup.operations import BackupError, restore_backup
    from rectify.core.timeutil import format_datetime, utcnow

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
