"""Reports as offices make them: the 整改情况报告 of a batch (Word), the 问题整改销号审批表 of a
problem (a printable page and Word), and the weekly 整改进展通报 (a page, Word, e-mail)."""


def init_app(app):
    from rectify.reports import views
    from rectify.reports.cli import bulletin_command, report_command

    app.register_blueprint(views.bp)
    app.cli.add_command(report_command)
    app.cli.add_command(bulletin_command)
