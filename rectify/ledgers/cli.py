"""``flask --app app ledger export``: the 整改台账 of a selection, to a file."""
import click
from flask.cli import AppGroup

from rectify.core.extensions import db
from rectify.models import MeasureStatus

ledger_cli = AppGroup("ledger", help="整改台账。")


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

    from rectify.ledgers.export import export_ledger
    from rectify.models import Batch, Department
    from rectify.tracking.filters import MeasureFilters

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
