"""``python app.py``: prepare the database, then serve with waitress (Windows and Linux)."""
import argparse
import socket

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
        upgrade_database(quiet=True)
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


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other machines may reach it at (loopback left out)."""
    found = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    try:  # the address of the route out; a UDP "connection" sends nothing
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            found.append(probe.getsockname()[0])
    except OSError:
        pass
    return [a for a in dict.fromkeys(found) if not a.startswith("127.")]


def address_lines(app, host: str, port: int) -> list[str]:
    """Where to open Rectify: this machine, and when serving every interface the office network's addresses."""
    everywhere = host in ("0.0.0.0", "::", "")
    shown_host = "127.0.0.1" if everywhere else host
    lines = [f"Rectify 已启动：http://{shown_host}:{port}/ （按 Ctrl+C 停止）"]
    lan = lan_addresses() if everywhere else []
    if lan:
        lines.append("局域网内的其他电脑请访问：" + "  ".join(f"http://{a}:{port}/" for a in lan))
    if everywhere and not app.config.get("RECTIFY_BASE_URL"):
        example = f"http://{lan[0]}:{port}" if lan else f"http://本机IP地址:{port}"
        lines.append(f"提示：通知和邮件中的链接地址尚未设置，请在配置中设置 RECTIFY_BASE_URL（如 {example}），"
                     "否则链接使用浏览器最近访问本系统所用的地址。")
    return lines


def main(app, argv) -> int:
    args = parse_args(argv)
    print("整改台账系统正在启动……", flush=True)
    for line in prepare(app, demo=args.demo):
        print(line, flush=True)
    if app.config["RECTIFY_SCHEDULER"] == "on":
        from rectify.scheduler.process import build

        build(app).start()
        print(f"定时任务已启动：每日 {app.config['RECTIFY_REMIND_AT']} 发送提醒。", flush=True)
    import waitress

    memory.settle()
    for line in address_lines(app, args.host, args.port):
        print(line, flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="Rectify")
    return 0
