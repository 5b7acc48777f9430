"""E-mail bodies from the templates in templates/email/: the plain text and the autoescaped HTML.

Rendered by the application's Jinja environment (its filters, ``.html`` autoescaped) but without
the pages' context processors, which ask for a request and a signed-in user that a scheduled
run does not have.
"""
from flask import current_app


def render(message: str, **values) -> tuple[str, str]:
    """(text, html) of ``message``; every value is escaped in the HTML part. ``org_name`` (the
    office, RECTIFY_ORG_NAME) is there for every message's signature."""
    values.setdefault("org_name", current_app.config["RECTIFY_ORG_NAME"])
    environment = current_app.jinja_env
    return (environment.get_template(f"email/{message}.txt").render(**values),
            environment.get_template(f"email/{message}.html").render(**values))
