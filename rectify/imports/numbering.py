"""Items numbered inside one cell, as offices number them, and a single item's own number.

Families: 1. / 1、 / （1）, ① ②, （一） / 一、 on their own lines, 一是……二是……, 第一，……第二，…….
A cell is split only when one family numbers two or more items 1, 2, 3… in order, so 2.0版本 or
a lone 一是 stays text. Words before the first number belong to the first item; each item
loses its trailing separator (；。，). A cell holding a single numbered item keeps the
number apart: ``1.制定…`` is item 1, ``制定…``.
"""
import re
from typing import NamedTuple, Optional

CN = "零一二三四五六七八九十"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CN_NUMBER = r"[一二三四五六七八九十]{1,3}"
_BREAK = r"(?:^|(?<=[；;。！!？?\n\r]))\s*"
# (name, pattern with a group "n" holding the number, at an item's start)
FAMILIES = [
    ("arabic", re.compile(_BREAK + r"(?P<n>\d{1,2})\s*[.、．](?!\d)\s*")),
    ("arabic_paren", re.compile(r"(?:^|(?<=[；;。！!？?\n\r，,：:\s]))\s*[（(](?P<n>\d{1,2})[）)]\s*")),
    ("circled", re.compile(r"\s*(?P<n>[" + CIRCLED + r"])\s*")),
    ("chinese_paren", re.compile(_BREAK + r"[（(](?P<n>" + _CN_NUMBER + r")[）)]\s*")),
    ("chinese", re.compile(_BREAK + r"(?P<n>" + _CN_NUMBER + r")\s*、\s*")),
    ("shi", re.compile(r"(?:^|(?<=[；;。，,：:\n\r\s]))\s*(?P<n>" + _CN_NUMBER + r")是\s*")),
    ("di", re.compile(r"(?:^|(?<=[；;。\n\r\s]))\s*第(?P<n>" + _CN_NUMBER + r")\s*[，,、：:]\s*")),
]
SEPARATORS = "；;。，, \t\r\n"


class Item(NamedTuple):
    number: Optional[str]  # as a plain number ("1"), or None
    text: str


def chinese_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23."""
    if "十" not in text:
        return CN.index(text[0]) if len(text) == 1 else -1
    tens, _, units = text.partition("十")
    return (CN.index(tens) if tens else 1) * 10 + (CN.index(units) if units else 0)


def _value(family: str, raw: str) -> int:
    if family.startswith("arabic"):
        return int(raw)
    if family == "circled":
        return CIRCLED.index(raw) + 1
    return chinese_number(raw)


def _items(text: str):
    """The first family (by where it starts) numbering 1, 2, … in order: its matches, else None."""
    found = []
    for family, pattern in FAMILIES:
        matches, expected = [], 1
        for match in pattern.finditer(text):
            if _value(family, match["n"]) == expected:
                matches.append(match)
                expected += 1
        if matches:
            found.append((matches[0].start(), family, matches))
    return sorted(found)[0][1:] if found else None


MARKS = re.compile(r"[0-9" + CIRCLED + r"一二三四五六七八九十]")


def split_items(text: str) -> list[Item]:
    """The numbered items of a cell; one unnumbered item when it has none."""
    text = text.strip()
    found = _items(text) if MARKS.search(text) else None
    if not found:
        return [Item(None, text)]
    family, matches = found
    if len(matches) == 1:
        match = matches[0]
        if text[:match.start()].strip():  # a number in mid-text is not the item's number
            return [Item(None, text)]
        return [Item(str(_value(family, match["n"])), text[match.end():].strip().rstrip("；;，,"))]
    items = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        part = text[match.end():end].strip().rstrip(SEPARATORS)
        if part:
            items.append(Item(str(index + 1), part))
    head = text[:matches[0].start()].strip()
    if head and items:
        items[0] = Item(items[0].number, f"{head}{items[0].text}")
    return items or [Item(None, text)]


def leading_number(text: str) -> tuple[Optional[str], str]:
    """A problem's own number written before its text (1.…, （一）…, 问题一：…): (number, text)."""
    match = re.match(r"^\s*(?:问题|第)?(?P<n>\d{1,3}|[一二三四五六七八九十]{1,3}|[" + CIRCLED + r"])"
                     r"(?:[.、．：:]|(?<=[" + CIRCLED + r"]))\s*(?=\S)", text)
    if match is None:
        match = re.match(r"^\s*[（(](?P<n>\d{1,3}|[一二三四五六七八九十]{1,3})[）)]\s*(?=\S)", text)
    if match is None:
        return None, text
    if len(split_items(text)) > 1:
        return None, text  # the problem lists several numbered points: its text stays whole
    rest = text[match.end():]
    return match.group(0).strip().rstrip(".、．：: "), rest.strip()
