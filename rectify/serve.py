"""``python app.py``: prepare the database, then serve with waitress (Windows and Linux)."""
import argparse

from rectify.accounts.operations import ensure_admin
from rectify.core import memory
from rectify.core.database import upgrade_database
from rectify.core.extensions import db


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python app.py", description="启动 Rectify 整改台账系统。")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1；局域网访问用 0.0.0.0）")
    parser.add_argument("--port", type=int, default=5000, help="端口（默认 5000）")
    parser.add_argument("--threads", type=int, default=8, help="处理请求的线程数（默认 8）")
    parser.add_argument("--demo", action="store_true", help="同时载入演示数据")
    return parser.parse_args(argv)


def prepare(app, demo: bool = False) -> list[str]:
    """Upgrade the schema, create the first administrator, load demo data; return what to tell."""
    lines = []
    with app.app_context():
        upgrade_database()
        created = ensure_admin()
        if created:
            username, password = created
            lines += [
                "已创建管理员账号（密码只显示这一次，请妥善保存）：",
                f"    用户名：{username}",
                f"    初始密码：{password}",
                "首次登录后须修改密码。",
            ]
        if demo:
            from rectify.demo.load import demo_loaded, load_demo

            if demo_loaded():
                lines.append("演示数据此前已载入，未重复载入。")
            else:
                password = load_demo()
                db.session.commit()
                lines.append(f"已载入演示数据。演示账号 duban、lingdao、zeren1、zeren2、chakan 的密码：{password}")
    return lines


def main(app, argv) -> int:
    args = parse_args(argv)
    for line in prepare(app, demo=args.demo):
        print(line, flush=True)
    if app.config["RECTIFY_SCHEDULER"] == "on":
        from rectify.scheduler.process import build

        build(app).start()
        print(f"定时任务已启动：每日 {app.config['RECTIFY_REMIND_AT']} 发送提醒。", flush=True)
    import waitress

    memory.settle()
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"Rectify 已启动：http://{shown_host}:{args.port}/ （按 Ctrl+C 停止）", flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="Rectify")
    return 0
