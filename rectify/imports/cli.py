"""``flask --app app findings …``: import findings workbooks, list and undo imports."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from rectify.core.extensions import db
from rectify.models import SourceKind

findings_cli = AppGroup("findings", help="导入巡视巡察等反馈问题。")


@findings_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--batch", "title", help="批次名称（默认：文件名）；已有同名批次时更新该批次")
@click.option("--kind", type=click.Choice([k.label for k in SourceKind]), default="其他", show_default=True, help="来源")
@click.option("--feedback-date", type=click.DateTime(["%Y-%m-%d"]), help="反馈日期 YYYY-MM-DD（推定未写年份的时限）")
@click.option("--dry-run", is_flag=True, help="只检查，不写入")
@click.option("--on-conflict", type=click.Choice(["keep", "sheet"]), default="keep", show_default=True,
              help="再次导入时，系统中已修改过的字段：keep 保留系统中的值，sheet 采用表中的值")
@click.option("--include-finished", is_flag=True, help="也更新已完成、待审核的措施（默认不动）")
@click.option("--delete-missing", is_flag=True, help="删除批次中表里已没有的措施（可恢复；默认保留）")
@click.option("--column", "columns", multiple=True, metavar="表头=字段",
              help="指定某列导入为哪个字段（可重复），字段：number aspect category problem measure requirement goal leader "
                   "unit cooperating_units supervising_unit people deadline progress status location note ignore")
@click.option("--header-row", metavar="N", help="表头所在行号（或“工作表名:行号”）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
def import_findings_command(file, title, kind, feedback_date, dry_run, on_conflict, include_finished, delete_missing,
                            columns, header_row, as_json):
    """导入问题清单 FILE（.xlsx/.xls/.ods，或 Word 文档 .docx 中的表格）。退出码：0 已导入（或 --dry-run 检查通过），1 被拒绝，2 用法错误。"""
    import json
    import os
    import time
    from pathlib import Path

    from rectify.imports.merge import show
    from rectify.imports.operations import BatchSpec, Mapping, MappingError, Resolution, import_findings

    try:
        mapping = Mapping.from_options(columns, header_row)
    except MappingError as error:
        raise click.UsageError(str(error)) from None

    started = time.perf_counter()
    path = Path(file)
    spec = BatchSpec(title=(title or path.stem).strip(), kind=SourceKind.from_label(kind),
                     feedback_on=feedback_date.date() if feedback_date else None)
    resolution = Resolution(on_conflict=on_conflict, include_protected=include_finished, delete_missing=delete_missing)
    report = import_findings(path.read_bytes(), path.name, spec, by=None, via="cli",
                             progress=lambda stage: click.echo(f"{stage}……", err=True), resolution=resolution,
                             mapping=mapping)
    if report.errors or dry_run:
        db.session.rollback()
        report.imported = False
    else:
        db.session.commit()
    if os.environ.get("RECTIFY_IMPORT_TIMINGS"):  # bench/import_ledger.py --whole: the work, without start-up
        click.echo(f"导入用时 {time.perf_counter() - started:.3f} 秒", err=True)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, default=str))
    else:
        for finding in report.errors:
            click.echo(f"错误：{finding}", err=True)
        if report.mapping is not None and report.mapping.remembered:
            click.echo("提示：按上次对相同表头所做的列设置读取（--column、--header-row 可另行指定）。")
        for finding in report.warnings:
            click.echo(f"提示：{finding}")
        for change in report.changes:
            click.echo(f"更新：措施 {change['measure_id']}“{change['text'][:20]}”{change['label']}："
                       f"{show(change['field'], change['old'])} → {show(change['field'], change['new'])}")
        for conflict in report.conflicts:
            kept = "采用表中的值" if conflict["taken"] == "sheet" else "保留系统中的值"
            click.echo(f"冲突：{'措施 ' + str(conflict['measure_id']) if conflict['measure_id'] else '问题 ' + str(conflict['problem_id'])}"
                       f"“{conflict['text'][:20]}”{conflict['label']}：系统中为 {show(conflict['field'], conflict['system'])}，"
                       f"表中为 {show(conflict['field'], conflict['sheet'])}，{kept}")
        for held in report.held:
            click.echo(f"未更新：措施 {held['measure_id']}“{held['text'][:20]}”（{held['status']}），"
                       f"表中有不同的{'、'.join(f['label'] for f in held['fields'])}（--include-finished 也更新）")
        for missing in report.missing:
            click.echo(f"表中已无此措施：措施 {missing['measure_id']}“{missing['text'][:20]}”"
                       f"{'，已删除（可恢复）' if missing['deleted'] else '，已保留（--delete-missing 删除）'}")
        verdict = f"已导入（导入记录 {report.record_id}）" if report.imported else (
            "检查通过（未写入）" if not report.errors else "未导入")
        click.echo(f"{verdict}：批次“{report.batch}”，问题 {report.problems} 个，措施 {report.measures} 项；"
                   f"新建 {report.created}，更新 {report.updated}，未变 {report.unchanged}。")
    raise SystemExit(1 if report.errors else 0)


@findings_cli.command("history")
@click.option("--limit", default=20, show_default=True, help="最多列出几次")
def import_history_command(limit):
    """列出最近的导入记录（网页、接口、命令行导入的都在内）。"""
    from rectify.core.timeutil import format_datetime
    from rectify.imports.operations import DOORS
    from rectify.models import ImportRecord

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
    """撤销导入记录 RECORD_ID：删除它新建的问题和措施，还原它更新的字段（须此后无人再改）。退出码：0 已撤销，1 不能撤销。"""
    from rectify.core.timeutil import utcnow
    from rectify.imports.operations import UndoRefused, undo_import
    from rectify.models import ImportRecord

    record = db.session.get(ImportRecord, record_id)
    if record is None:
        click.echo(f"没有编号为 {record_id} 的导入记录（flask findings history 列出导入记录）。", err=True)
        raise SystemExit(1)
    try:
        removed = undo_import(record, None, utcnow())
        reverted = len((record.changes or {}).get("fields", []))
    except UndoRefused as refused:
        db.session.rollback()
        click.echo(f"不能撤销：{refused}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"已撤销“{record.filename}”的导入：删除新建措施 {removed} 项，还原更新的字段 {reverted} 处。")
