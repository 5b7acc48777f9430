"""定时任务 (administrators): each job's next run and last runs, the backups kept; run a job now."""
import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from rectify.backup import operations as backup
from rectify.core.extensions import db
from rectify.core.forms import EmptyForm
from rectify.models import JobRun
from rectify.scheduler.jobs import JOBS, next_runs, run_in_words, run_recorded
from rectify.tracking.access import require
from rectify.tracking.permissions import can_manage_users

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")


@bp.before_request
def admins_only():
    require(can_manage_users(current_user))


@bp.route("")
def index():
    runs = db.session.scalars(sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(30)).all()
    # Backups are listed, never served: they hold every password hash.
    return render_template("jobs/index.html", jobs=JOBS, runs=runs, next_runs=next_runs(current_app),
                           form=EmptyForm(), run_in_words=run_in_words, scheduler=current_app.config["RECTIFY_SCHEDULER"],
                           backups=backup.listing(), backup_folder=backup.folder(),
                           backup_keep=current_app.config["RECTIFY_BACKUP_KEEP"])


@bp.route("/<name>/run", methods=["POST"])
def run_now(name):
    """Run a job at once in this process, recorded like a scheduled run."""
    if name not in JOBS:
        return render_template("errors/error.html", code=404, title="页面不存在", message="没有这个任务。"), 404
    EmptyForm().validate_on_submit()
    run = run_recorded(name)
    if run.ok:
        flash(f"已运行“{JOBS[name][0]}”。", "success")
    else:
        flash(f"“{JOBS[name][0]}”失败：{run.summary.get('error', '')}", "danger")
    return redirect(url_for("jobs.index"))
