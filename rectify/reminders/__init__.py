"""Reminders: who needs telling of what (rules), the daily run that records it exactly once (run),
the outbox that sends e-mail and work-chat robot messages (outbox, robots), the bell and the
notifications page, and the thresholds an administrator sets."""


def init_app(app):
    from rectify.reminders import admin, events, links, views
    from rectify.reminders.cli import reminders_cli
    from rectify.reminders.models import DELIVERY_LABELS

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.settings_bp)
    app.register_blueprint(admin.webhooks_bp)
    app.cli.add_command(reminders_cli)
    events.init_app(app)
    links.init_app(app)
    app.add_template_global(DELIVERY_LABELS, "delivery_labels")
