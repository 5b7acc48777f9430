"""``flask --app app demo …``: the demo data set and large generated ones."""
import click
from flask.cli import AppGroup
from sqlalchemy import text

from rectify.core.extensions import db

demo_cli = AppGroup("demo", help="演示数据。")


@demo_cli.command("load")
def load_demo_command():
    """载入演示数据（批次、问题、措施和演示账号）。"""
    from rectify.demo.load import load_demo

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

    from rectify.core.timeutil import local_today
    from rectify.demo.generate import generate

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
