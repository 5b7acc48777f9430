"""台账: export the ledger of what a board or list shows, and download ledgers made before."""
import re
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user

from .filters import MeasureFilters
from .ledger import export_ledger, ledger_title
from .timeutil import local_today

bp = Blueprint("ledgers", __name__, url_prefix="/ledger")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAFE_NAME = re.compile(r"^[\w\-（）()\u4e00-\u9fff]+\.xlsx$")


def user_folder() -> Path:
    """Each user's exports are theirs: they hold what that user may see."""
    return Path(current_app.instance_path) / "ledgers" / "users" / str(current_user.id)


@bp.route("/")
def index():
    folder = user_folder()
    files = []
    if folder.exists():
        for path in sorted(folder.glob("*.xlsx"), key=lambda p: p.stat().st_mtime, reverse=True)[:100]:
            stat = path.stat()
            files.append({"name": path.name, "size": stat.st_size, "made": datetime.fromtimestamp(stat.st_mtime)})
    return render_template("ledgers/index.html", files=files)


@bp.route("/export")
def export():
    """The ledger of exactly the measures the current filters show, kept and sent."""
    filters = MeasureFilters.from_args(request.args)
    today = local_today()
    name = f"{ledger_title(filters)}整改台账-{datetime.now(current_app.config['TIMEZONE']):%Y%m%d-%H%M%S}.xlsx"
    name = re.sub(r"[^\w\-（）()\u4e00-\u9fff.]", "", name)
    path = user_folder() / name
    export_ledger(filters, current_user._get_current_object(), path, as_of=today)
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)


@bp.route("/files/<name>")
def download(name):
    if not SAFE_NAME.match(name):
        abort(404, description="未找到该台账文件。")
    path = user_folder() / name
    if not path.is_file():
        abort(404, description="未找到该台账文件。")
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)
