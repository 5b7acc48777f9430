"""Jinja filters and globals shared by every template."""
from rectify import audit, permissions, status
from rectify.timeutil import format_date, format_datetime, local_today


def register(app):
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_global(permissions, "perm")
    app.add_template_global(status, "status")
    app.add_template_global(local_today, "today")
    app.add_template_global(audit.ACTION_LABELS, "audit_labels")
    app.add_template_global(audit.FIELD_LABELS, "field_labels")
