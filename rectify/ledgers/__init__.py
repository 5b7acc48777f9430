"""Ledgers (整改台账): built from the measures a selection shows, on demand, in the background and
on a schedule; an edited ledger brought back as progress updates."""


def init_app(app):
    from rectify.ledgers import background, views
    from rectify.ledgers.cli import ledger_cli

    app.register_blueprint(views.bp)
    background.init_app(app)
    app.cli.add_command(ledger_cli)
