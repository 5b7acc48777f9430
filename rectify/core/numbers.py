"""Whole numbers from text a client sent (query arguments, form fields, headers, file names)."""
from typing import Optional

DATABASE_MAX = 2**31 - 1  # the largest id an INTEGER column holds
MAX_PAGE = 100_000  # the deepest page an API list serves: at 50 a page, beyond any real list


def format_size(size: int) -> str:
    """A file's size as people write it: 812 KB, 3.4 MB (never 0 KB for a file that holds something)."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024)) if size else 0} KB"


def whole_number(raw: str, maximum: int = DATABASE_MAX) -> Optional[int]:
    """``raw`` as a whole number written in ASCII digits, at most ``maximum``; else None.

    ``str.isdigit`` alone is not enough: it accepts "²", which ``int`` refuses, and ``int``
    refuses digit strings beyond 4,300 characters too (the schemathesis fuzzer found the first)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(maximum)):
        return None
    value = int(raw)
    return value if value <= maximum else None
