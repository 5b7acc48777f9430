"""Accounts: units, users, the people named in ledgers, signing in, passwords, API tokens, and the
audit trail of who changed what."""


def init_app(app):
    from rectify.accounts import admin, auth, directory
    from rectify.accounts.cli import users_cli

    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(directory.bp)
    app.cli.add_command(users_cli)
