"""Deadlines as offices write them (整改时限), turned into a date and/or a kind.

Handled: real dates and Excel serials; 2023年6月30日, 2023.6.30, 2023/6/30, 2023-06-30 (full-width
digits too); month precision meaning the month's last day (2023年6月底前, 2023.6, 6月底);
quarters and halves (2023年第二季度, 上半年); 年底前; ranges, whose end counts (1-8月, 7、8月,
2023年3月至6月); no year (8月底前: the year comes from the batch, with a warning); 立行立改 and
长期坚持 and both with a date (2024年底前，并长期坚持). When a text names several dates, the latest
is the deadline.
"""
import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Optional

IMMEDIATE_WORDS = ("立行立改", "即知即改", "立即整改", "立查立改", "即查即改", "马上就改")
LONG_TERM_WORDS = ("长期坚持", "持续推进", "常态化", "长期推进", "持续整改", "长期整改", "久久为功")
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
_YEAR_END = re.compile(r"(?:(?P<y>(?:19|20)\d{2})\s*年\s*(?:底|末|内)|(?<![\d年])年(?:底|末|内))")
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
    if not dates and not (immediate or long_term):
        raise DeadlineError(f"无法识别“{raw}”")
    return Deadline(max(dates) if dates else None, immediate, long_term, raw, inferred and bool(dates))


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
