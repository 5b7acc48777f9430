"""``flask --app app scheduler run``: the one scheduler process of a multi-process deployment."""
import click
from flask.cli import AppGroup

scheduler_cli = AppGroup("scheduler", help="定时任务。")


@scheduler_cli.command("run")
def run_scheduler_command():
    """运行定时任务进程（多进程部署时只运行一个；误启动的第二个不会执行任务）。"""
    from flask import current_app

    from rectify.scheduler.jobs import build

    app = current_app._get_current_object()
    scheduler = build(app, blocking=True)
    backup = "" if app.config["RECTIFY_BACKUP_AT"] == "off" else f"，每日 {app.config['RECTIFY_BACKUP_AT']} 备份"
    click.echo(f"定时任务已启动：每日 {app.config['RECTIFY_REMIND_AT']} 发送提醒{backup}，每分钟发送待发的邮件和消息（按 Ctrl+C 停止）。")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        scheduler.rectify_lock.release()
