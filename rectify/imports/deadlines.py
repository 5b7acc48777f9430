"""Deadlines as offices write them (整改时限), turned into a date and/or a kind.

Handled: real dates and Excel serials; 2023年6月30日, 2023.6.30, 2023/6/30, 2023-06-30 (full-width
digits too); month precision meaning the month's last day (2023年6月底前, 2023.6, 6月底);
quarters and halves (2023年第二季度, 上半年); 年底前; ranges, whose end counts (1-8月, 7、8月,
2023年3月至6月); no year (8月底前: the year comes from the batch, with a warning); 立行立改 and
长期坚持 and both with a date (2024年底前，并长期坚持). When a text names several dates, the latest
is the deadline.
Relative deadlines count from the reference date (the batch's feedback date): 3天, 30日内,
即日起10日内, 5个工作日 (official working days, 调休 included), 一周内, 两周, 半个月, 一个月内,
3个月, 半年, 24小时内; a text that also names a date keeps the date. A deadline still to be set
(限期整改, 未定, 待定, an empty cell) is no date, and no error.
"""
import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Optional

from rectify.reminders.run import is_workday

IMMEDIATE_WORDS = ("立行立改", "即知即改", "立即整改", "立查立改", "即查即改", "马上就改")
LONG_TERM_WORDS = ("长期坚持", "持续推进", "常态化", "长期推进", "持续整改", "长期整改", "久久为功", "长期")
# Words for a deadline not yet set: no date, and not an error (this system's own ledger writes 未定).
UNSET_WORDS = ("限期整改", "限期完成", "限期", "未定", "待定", "另行通知", "另行确定", "无", "暂无", "/", "-", "—",
               "——", "\\")
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "十一": 11, "十二": 12}
EXCEL_EPOCH = date(1899, 12, 30)

_YEAR = r"(?P<year>(?:19|20)\d{2})\s*年?"
_FULL_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[年./\-]\s*(?P<m>\d{1,2})\s*[月./\-]\s*(?P<d>\d{1,2})\s*日?")
_YEAR_MONTH = re.compile(r"(?P<y>(?:19|20)\d{2})\s*(?:年|[./\-])\s*(?P<m>\d{1,2})(?!\s*[./\-]\s*\d)\s*月?")
_MONTH_DAY = re.compile(r"(?<![\d年./\-])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_MONTH = re.compile(r"(?<![\d年./\-])(?P<m>\d{1,2})\s*月(?!\s*\d{1,2}\s*日)")
_RANGE_MONTH = re.compile(r"(?<![\d年./\-])\d{1,2}\s*[-－~～至到、]\s*(?P<m>\d{1,2})\s*月")
_QUARTER = re.compile(r"(?:(?P<y>(?:19|20)\d{2})\s*年)?\s*第?(?P<q>[一二三四1-4])\s*季度")
_HALF = re.compile(r"(?:(?P<y>(?:19|20)\d{2})\s*年)?\s*(?P<h>上|下)半年")
_YEAR_END = re.compile(r"(?:(?P<y>(?:19|20)\d{2})\s*年\s*(?:底|末|内)|(?<![\d年半一二两三])年(?:底|末|内))")
_RELATIVE = re.compile(r"(?P<n>\d{1,3}|[一二两三四五六七八九十半]{1,3})\s*(?P<unit>个工作日|工作日|个自然日|自然日|天|日|"
                       r"个星期|星期|周|个月|小时)(?:\s*(?:内|之内|以内))?")
_HALF_YEAR = re.compile(r"半年(?:内|之内|以内)|(?P<n>[一二两三1-3])\s*年(?:内|之内|以内)")
_YEAR_RANGE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*\d{1,2}\s*月?\s*[-－~～至到]\s*(?P<m>\d{1,2})\s*月")


class DeadlineError(ValueError):
    """The text is not a deadline Rectify can read; the message says what was found."""


@dataclass(frozen=True)
class Deadline:
    due_on: Optional[date]
    is_immediate: bool = False
    is_long_term: bool = False
    text: str = ""
    year_inferred: bool = False
    relative: bool = False  # counted from the reference date (3天, 5个工作日)
    unset: bool = False  # written as still to be set (限期整改, 未定)


def normalize(text: str) -> str:
    """Full-width digits and punctuation to ASCII (２０２３．６ → 2023.6), blanks collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def _month_end(year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise DeadlineError(f"月份 {month} 不存在")
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DeadlineError(f"日期 {year}年{month}月{day}日 不存在") from None


def parse_deadline(value, reference: date) -> Deadline:
    """Read a deadline cell. ``reference`` (the batch's feedback date, else today) supplies
    the year when the text has none: the first such date on or after it."""
    if value is None or value == "":
        return Deadline(None)
    if isinstance(value, datetime):
        return Deadline(value.date(), text=value.date().isoformat())
    if isinstance(value, date):
        return Deadline(value, text=value.isoformat())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel date serial in a cell without a date format
            day = EXCEL_EPOCH + timedelta(days=int(value))
            return Deadline(day, text=day.isoformat())
        raise DeadlineError(f"数字 {value:g} 不是日期")
    return _parse_text(str(value).strip(), reference)


@lru_cache(maxsize=4096)
def _parse_text(raw: str, reference: date) -> Deadline:
    """Ledgers repeat the same few deadline texts; each is read once."""
    text = normalize(raw)
    immediate = any(word in text for word in IMMEDIATE_WORDS)
    long_term = any(word in text for word in LONG_TERM_WORDS)
    dates, inferred = _dates_in(text, reference)
    relative = None if dates else _relative(text, reference)
    if relative:
        return Deadline(relative, immediate, long_term, raw, relative=True)
    if not dates and not (immediate or long_term):
        if text.rstrip("。；;，,") in UNSET_WORDS or any(word in text for word in UNSET_WORDS[:3]):
            return Deadline(None, text=raw, unset=True)
        raise DeadlineError(f"无法识别“{raw}”")
    return Deadline(max(dates) if dates else None, immediate, long_term, raw, inferred and bool(dates))


def _count(raw: str) -> float:
    if raw.isdigit():
        return int(raw)
    if raw == "半":
        return 0.5
    raw = raw.replace("两", "二")
    if "十" not in raw:
        return CN_DIGITS.get(raw, 0)
    tens, _, units = raw.partition("十")
    return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(units, 0) if units else 0)


def _relative(text: str, reference: date) -> Optional[date]:
    """3天, 5个工作日, 一个月内… counted from ``reference``; None when the text has none."""
    match = _RELATIVE.search(text)
    if match is None:
        half = _HALF_YEAR.search(text)
        if half is None:
            return None
        return _add_months(reference, 6 if half.group(0).startswith("半") else 12 * int(_count(half["n"])))
    n, unit = _count(match["n"]), match["unit"]
    if n <= 0:
        return None
    if unit in ("个工作日", "工作日"):
        return add_workdays(reference, int(n))
    if unit == "小时":
        return reference + timedelta(days=max(1, -(-int(n) // 24)))
    if unit in ("周", "星期", "个星期"):
        return reference + timedelta(days=round(7 * n))
    if unit == "个月":
        return reference + timedelta(days=15) if n == 0.5 else _add_months(reference, int(n))
    return reference + timedelta(days=round(n))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_workdays(day: date, count: int) -> date:
    """The ``count``-th official working day after ``day`` (调休 included)."""
    while count > 0:
        day += timedelta(days=1)
        count -= is_workday(day)
    return day


def _dates_in(text: str, reference: date) -> tuple[list[date], bool]:
    """Every date ``text`` names, and whether any of them had to borrow a year."""
    found, inferred, rest = [], False, text

    def take(pattern, make):
        nonlocal rest
        for match in pattern.finditer(rest):
            found.append(make(match))
        rest = pattern.sub(" ", rest)

    def with_year(match, build):
        nonlocal inferred
        if match.groupdict().get("y"):
            return build(int(match["y"]))
        inferred = True
        for year in (reference.year, reference.year + 1):
            candidate = build(year)
            if candidate >= reference:
                return candidate
        return candidate

    take(_FULL_DATE, lambda m: _day(int(m["y"]), int(m["m"]), int(m["d"])))
    take(_YEAR_RANGE, lambda m: _month_end(int(m["y"]), int(m["m"])))
    take(_QUARTER, lambda m: with_year(m, lambda y: _month_end(y, 3 * (CN_DIGITS.get(m["q"]) or int(m["q"])))))
    take(_HALF, lambda m: with_year(m, lambda y: _month_end(y, 6 if m["h"] == "上" else 12)))
    take(_YEAR_MONTH, lambda m: _month_end(int(m["y"]), int(m["m"])))
    take(_YEAR_END, lambda m: with_year(m, lambda y: date(y, 12, 31)))
    take(_MONTH_DAY, lambda m: with_year(m, lambda y: _day(y, int(m["m"]), int(m["d"]))))
    take(_RANGE_MONTH, lambda m: with_year(m, lambda y: _month_end(y, int(m["m"]))))
    take(_MONTH, lambda m: with_year(m, lambda y: _month_end(y, int(m["m"]))))
    return found, inferred
