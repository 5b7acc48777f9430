"""Imports: findings workbooks read safely (extent checks, a sandboxed reader), parsed, validated
whole and written once; the import pages, the API's and the command line's imports, undo."""


def init_app(app):
    from rectify.imports import views
    from rectify.imports.cli import findings_cli

    app.register_blueprint(views.bp)
    app.cli.add_command(findings_cli)
