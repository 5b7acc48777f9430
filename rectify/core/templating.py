"""Jinja filters and globals every template uses; features add their own in their ``init_app``."""
from werkzeug.routing import IntegerConverter

from rectify.core.numbers import DATABASE_MAX, format_size
from rectify.core.timeutil import format_date, format_datetime, local_today
from rectify.core.titles import joined


class DatabaseId(IntegerConverter):
    """``<int:…>`` in routes: ids the database can hold; a larger number matches no route (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", DATABASE_MAX)
        super().__init__(url_map, *args, **kwargs)


def init_app(app):
    app.url_map.converters["int"] = DatabaseId
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_size, "filesize")
    app.add_template_filter(joined, "joined")  # {{ batch.title|joined("整改台账") }}: no doubled word
    app.add_template_global(local_today, "today")
