"""The scheduler: the jobs and when they run (jobs), the one-process lock (lock), the process that
runs them (process), and the 定时任务 page."""


def init_app(app):
    from rectify.scheduler import views
    from rectify.scheduler.cli import scheduler_cli

    app.register_blueprint(views.bp)
    app.cli.add_command(scheduler_cli)
