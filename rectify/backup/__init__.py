"""Backup and restore: one file holding a consistent snapshot of the database with the evidence
and ledgers (operations, archive, and the SQLite and PostgreSQL parts); a daily backup job."""


def init_app(app):
    from rectify.backup.cli import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
