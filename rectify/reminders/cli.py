"""``flask --app app reminders run``: today's reminders, by hand."""
import click
from flask.cli import AppGroup

reminders_cli = AppGroup("reminders", help="到期、逾期提醒与督办。")


@reminders_cli.command("run")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="按这一天计算（默认今天）")
@click.option("--dry-run", is_flag=True, help="只计算并列出会提醒谁、提醒什么，不记录、不发送")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果")
def run_reminders_command(today, dry_run, as_json):
    """计算并发送今天应发的提醒（同一提醒不会重复发送）。"""
    import json

    from rectify.core.timeutil import format_date, local_date, utcnow
    from rectify.reminders.rules import rule_name
    from rectify.reminders.run import run_reminders

    now = utcnow()
    day = today.date() if today else local_date(now)
    summary = run_reminders(day, now, dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    if not summary["workday"]:
        click.echo(f"{format_date(day)}不是工作日，未发送提醒（下一个工作日补发）。")
        return
    if dry_run:
        click.echo(f"演练：{format_date(day)}将提醒 {summary['recipients']} 人，共 {sum(summary['notices'].values())} 条"
                   "（未记录、未发送）。")
        for item in summary["reminders"]:
            click.echo(f"  {item['name']}（{item['user']}）  {rule_name(item['rule'])}：{item['measure']}（{item['reason']}）")
        return
    notices = "，".join(f"{rule_name(rule)} {count} 条" for rule, count in summary["notices"].items()) or "无"
    click.echo(f"提醒：{notices}；收件人 {summary['recipients']} 人；邮件发送成功 {summary['sent']} 封，失败 {summary['failed']} 封。")
