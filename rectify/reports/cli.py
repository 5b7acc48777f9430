"""``flask --app app report BATCH OUT.docx`` and ``flask --app app bulletin OUT.docx``."""
import json
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from rectify.core.extensions import db
from rectify.core.timeutil import local_today
from rectify.models import Batch


def _batch(name_or_id: str, param: str) -> Batch:
    found = db.session.scalars(sa.select(Batch).where(Batch.title == name_or_id)).first()
    if found is None and name_or_id.isascii() and name_or_id.isdigit():
        found = db.session.get(Batch, int(name_or_id))
    if found is None:
        raise click.BadParameter(f"未找到批次“{name_or_id}”", param_hint=param)
    return found


@click.command("report")
@click.argument("batch")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="截至日期（默认今天）")
@click.option("--ledger/--no-ledger", default=True, help="同时导出附件：整改台账（默认导出，与报告同目录）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
@with_appcontext
def report_command(batch, out, as_of, ledger, as_json):
    """生成批次 BATCH（名称或编号）的整改情况报告（Word）到 OUT。"""
    from rectify.core.titles import joined
    from rectify.ledgers.export import export_ledger
    from rectify.reports.operations import write_report
    from rectify.tracking.filters import MeasureFilters

    found = _batch(batch, "BATCH")
    day: date = as_of.date() if as_of else local_today()
    path = Path(out).resolve()
    data = write_report(found, path, day)
    result = {"title": data.title, "path": str(path), "as_of": day.isoformat(), "figures": data.figures.as_json()}
    if ledger:
        attachment = path.with_name(f"{path.stem}-附件：{joined(found.title, '整改台账')}.xlsx")
        export_ledger(MeasureFilters(batch=found.id), None, attachment, as_of=day)
        result["ledger"] = str(attachment)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(f"已生成《{data.title}》→ {path}")
        if ledger:
            click.echo(f"附件：整改台账 → {result['ledger']}")


@click.command("bulletin")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--batch", help="只通报该批次（名称或编号）")
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True, help="通报期（天）")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="截至日期（默认今天）")
@with_appcontext
def bulletin_command(out, batch, days, as_of):
    """生成整改进展通报（Word）到 OUT。"""
    from rectify.reports.bulletin import build_bulletin, bulletin_data
    from rectify.reports.operations import org_name, template

    day = as_of.date() if as_of else local_today()
    data = bulletin_data(_batch(batch, "--batch") if batch else None, day, days, org_name())
    build_bulletin(data, Path(out).resolve(), template())
    click.echo(f"已生成《{data.title}》（{data.first_day:%Y-%m-%d} 至 {day:%Y-%m-%d}）→ {Path(out).resolve()}")
