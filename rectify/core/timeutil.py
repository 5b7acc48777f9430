"""Time conventions: the database keeps naive UTC datetimes; people see local time and dates."""
from datetime import date, datetime, timezone

from flask import current_app


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what every ``*_at`` column stores)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_today() -> date:
    """Today in the configured time zone (RECTIFY_TIMEZONE)."""
    return datetime.now(current_app.config["TIMEZONE"]).date()


def local_date(moment: datetime) -> date:
    """The office's date at a stored naive-UTC moment."""
    return to_local(moment).date()


def utc_start(day: date) -> datetime:
    """The naive-UTC moment at which the office's ``day`` begins (for comparing with ``*_at`` columns)."""
    local = datetime.combine(day, datetime.min.time(), tzinfo=current_app.config["TIMEZONE"])
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """A stored naive-UTC datetime in the configured time zone."""
    return moment.replace(tzinfo=timezone.utc).astimezone(current_app.config["TIMEZONE"])


def format_date(day: date | None) -> str:
    """A date as offices write it: 2023年6月30日."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def format_datetime(moment: datetime | None) -> str:
    """A stored datetime (naive UTC, or aware) as the office's time: 2023年6月30日 14:05."""
    if moment is None:
        return ""
    local = moment.astimezone(current_app.config["TIMEZONE"]) if moment.tzinfo else to_local(moment)
    return f"{format_date(local.date())} {local:%H:%M}"
