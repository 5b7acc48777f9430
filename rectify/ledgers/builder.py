"""build_ledger: rows → an .xlsx 整改台账 as offices make them, only correct and current.

Written with XlsxWriter (openpyxl's merge_cells grows quadratically with the number of merged
ranges) in its constant-memory mode: each row goes to disk once written, so memory stays flat
(under 200 MB at 100,000 measures, against 464 MB for its shared-strings mode). The measure
rows go through ``RowSheet.write_cells`` (sheet.py), which serialises a whole row at once;
titles, section rows and the summary go through XlsxWriter's public methods.
Constant-memory mode cannot merge a range whose first row is already written (its maintainer
declines to support it), yet a problem's merge is known only at its last measure row. So the
cells are written in row order (the problem's text in its first row, bordered blanks below)
and the range is added to the worksheet's list of merges, which XlsxWriter writes out at
close: see _declare_merge. XlsxWriter is pinned, and tests/test_ledger.py reads the merges
back with openpyxl and LibreOffice.
User text is always written as text (inline strings, never formulas), so a description
starting with =, +, -, or @ stays text; characters that XML cannot hold are removed.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from math import ceil
from operator import attrgetter
from typing import BinaryIO, Iterable, Union

import xlsxwriter

from rectify.core.timeutil import format_date
from rectify.ledgers.rows import LedgerRow
from rectify.ledgers.sheet import RowSheet
from rectify.models import Warning

COLUMNS = [("序号", 7), ("问题类别", 14), ("存在问题", 36), ("整改措施", 40), ("责任领导", 10), ("责任单位", 14),
           ("责任人", 15), ("整改时限", 16), ("整改进展", 30), ("整改状态", 9), ("完成时间", 12), ("佐证材料", 20),
           ("备注", 14)]
WIDTHS = [width for _, width in COLUMNS]
ID_COLUMN = len(COLUMNS)  # hidden: "measure id:version", moves with its row when the sheet is sorted
ID_HEADER = "系统编号"
SUMMARY_SHEET, OVERDUE_SHEET = "统计汇总", "逾期清单"  # beside the ledger; an import of the ledger skips them
PROBLEM_COLUMNS = (0, 1, 2)  # merged over a problem's measure rows
STATUS_COLUMN = 9
# Row heights, set rather than left to the reader: Excel fits a wrapped row to its text on
# opening, but never for merged cells (a problem's text over short measures was cut off), and
# LibreOffice does not fit at all. A line of 10-point 宋体 is 13.5 points high.
LINE_HEIGHT, ROW_PADDING = 13.5, 3
WARNING_FILLS = {Warning.RED: "#F8CBAD", Warning.YELLOW: "#FFE699", Warning.GREEN: "#C6EFCE", Warning.GREY: "#EDEDED"}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text) -> str:
    text = str(text or "")
    return text if text.isprintable() else CONTROL.sub("", text)


@dataclass
class Tally:
    problems: set = field(default_factory=set)
    measures: int = 0
    done: int = 0
    in_progress: int = 0
    overdue: int = 0
    extended: int = 0

    def add(self, row: LedgerRow) -> None:
        self.problems.add(row.problem_id)
        self.measures += 1
        self.done += row.warning is Warning.GREY
        self.in_progress += row.status in ("整改中", "待审核")
        self.overdue += row.warning is Warning.RED
        self.extended += row.extended

    @property
    def rate(self) -> float:
        return self.done / self.measures if self.measures else 0.0


@dataclass
class LedgerSummary:
    rows: int = 0
    problems: int = 0
    measures: int = 0


def build_ledger(rows: Iterable[LedgerRow], out: Union[str, BinaryIO], *, title: str, unit: str,
                 as_of: date) -> LedgerSummary:
    """Write the ledger workbook to ``out`` (a path or a binary file); return what it holds."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    fmt = _formats(book)
    sheet = book.add_worksheet("整改台账", worksheet_class=RowSheet)
    sheet.merge_range(0, 0, 0, len(COLUMNS) - 1, clean(f"{title}整改台账"), fmt["title"])
    sheet.merge_range(1, 0, 1, len(COLUMNS) - 1, clean(f"填报单位：{unit}　　截至：{format_date(as_of)}"), fmt["subtitle"])
    header = 2
    for col, (name, width) in enumerate(COLUMNS):
        sheet.write_string(header, col, name, fmt["header"])
        sheet.set_column(col, col, width)
    sheet.write_string(header, ID_COLUMN, ID_HEADER, fmt["header"])
    sheet.set_column(ID_COLUMN, ID_COLUMN, 12, None, {"hidden": True})
    by_unit, by_batch, overdue = defaultdict(Tally), defaultdict(Tally), []
    styles = {warning: (fmt["cell"],) * STATUS_COLUMN + (fmt[warning],) + (fmt["cell"],) * (len(COLUMNS) - STATUS_COLUMN - 1)
              for warning in Warning}
    r, summary, aspect = header + 1, LedgerSummary(), None
    for _, group in groupby(rows, key=attrgetter("problem_id")):  # rows come problem by problem
        group = list(group)
        first = group[0]
        if first.aspect != aspect and first.aspect:
            sheet.merge_range(r, 0, r, len(COLUMNS) - 1, clean(first.aspect), fmt["section"])
            r += 1
        aspect = first.aspect or aspect
        summary.problems += 1
        # The problem's cells hold its text in its first row; below, bordered blanks under the merge.
        problem = (clean(first.number) or str(summary.problems), clean(first.aspect), clean(first.problem))
        texts = [(*(problem if index == 0 else ("", "", "")), clean(row.measure), clean(row.leaders), clean(row.unit),
                  clean(row.owners), clean(row.deadline), clean(row.progress), row.status, row.completed,
                  clean(row.evidence), clean(row.note))
                 for index, row in enumerate(group)]
        for row, values, lines in zip(group, texts, _row_lines(texts)):
            sheet.write_cells(r, (*zip(values, styles[row.warning]), (f"{row.measure_id}:{row.version}", None)),
                              height=LINE_HEIGHT * lines + ROW_PADDING)
            by_unit[row.unit or "未定"].add(row)
            by_batch[row.batch].add(row)
            if row.warning is Warning.RED:
                overdue.append(row)
            r += 1
        if len(group) > 1:
            for col in PROBLEM_COLUMNS:
                _declare_merge(sheet, r - len(group), col, r - 1, col)
        summary.measures += len(group)
    summary.rows = summary.measures
    _finish_main(sheet, header, r)
    _summary_sheet(book, fmt, by_unit, by_batch, title, as_of)
    _overdue_sheet(book, fmt, overdue, as_of)
    book.close()
    return summary


def _lines(text: str, width: int) -> int:
    """Lines ``text`` wraps to in a column ``width`` units wide. A unit is 7 pixels; a character
    of 10-point 宋体 takes 13.3 (beyond ASCII: Chinese) or 6.7, so a column holds a little more
    than ``width`` half-width characters: counting ``width`` leaves room for the cell's margins."""
    lines = 0
    for paragraph in text.split("\n"):
        units = len(paragraph) + (len(paragraph.encode()) - len(paragraph)) / 2  # UTF-8: 3 bytes → 2 units
        lines += max(1, ceil(units / width))
    return lines


def _row_lines(texts) -> list[int]:
    """Lines each of a problem's measure rows needs (``texts``: their cells' texts, column by
    column; the first row's carry the problem's): its own cells' tallest, and together at least
    what the problem's merged cells need, the difference shared out from the top."""
    start, own = len(PROBLEM_COLUMNS), WIDTHS[len(PROBLEM_COLUMNS):]
    # Most cells (names, dates, statuses) are one short line: only the others are counted.
    needed = [max((_lines(text, width) for text, width in zip(row[start:], own) if len(text) * 2 > width or "\n" in text),
                  default=1) for row in texts]
    merged = max((_lines(texts[0][col], WIDTHS[col]) for col in PROBLEM_COLUMNS if texts[0][col]), default=1)
    for index in range(merged - sum(needed)):
        needed[index % len(needed)] += 1
    return needed


def _declare_merge(sheet, first_row, first_col, last_row, last_col):
    """Record a merged range whose cells are already written. Worksheet.merge is the list
    merge_range appends to and close() writes as <mergeCells>; merge_range itself refuses
    flushed rows in constant-memory mode."""
    sheet.merge.append([first_row, first_col, last_row, last_col])


def _finish_main(sheet, header, end):
    sheet.freeze_panes(header + 1, 0)
    sheet.autofilter(header, 0, max(end - 1, header), len(COLUMNS) - 1)
    sheet.set_landscape()
    sheet.set_paper(8)  # A3
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)


def _summary_sheet(book, fmt, by_unit, by_batch, title, as_of):
    sheet = book.add_worksheet(SUMMARY_SHEET)
    headers = ["", "问题数", "措施数", "已完成", "整改中", "逾期", "延期", "完成率"]
    sheet.merge_range(0, 0, 0, len(headers) - 1, clean(f"{title}整改情况统计（截至{format_date(as_of)}）"), fmt["title"])
    r = 2
    for label, tallies in (("责任单位", by_unit), ("整改批次", by_batch)):
        sheet.write_row(r, 0, [label, *headers[1:]], fmt["header"])
        r += 1
        total = Tally()
        for name in sorted(tallies):
            t = tallies[name]
            _tally_row(sheet, fmt, r, name, t)
            total.problems |= t.problems
            for key in ("measures", "done", "in_progress", "overdue", "extended"):
                setattr(total, key, getattr(total, key) + getattr(t, key))
            r += 1
        _tally_row(sheet, fmt, r, "合计", total, bold=True)
        r += 2
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, len(headers) - 1, 10)


def _tally_row(sheet, fmt, r, name, t, bold=False):
    style = fmt["bold"] if bold else fmt["cell"]
    sheet.write_string(r, 0, clean(name), style)
    for col, value in enumerate([len(t.problems), t.measures, t.done, t.in_progress, t.overdue, t.extended], start=1):
        sheet.write_number(r, col, value, style)
    sheet.write_number(r, 7, t.rate, fmt["percent"])


def _overdue_sheet(book, fmt, overdue, as_of):
    sheet = book.add_worksheet(OVERDUE_SHEET, worksheet_class=RowSheet)
    headers = [("序号", 6), ("存在问题", 36), ("整改措施", 40), ("责任单位", 14), ("责任人", 15), ("整改时限", 16),
               ("逾期天数", 9), ("整改进展", 30)]
    sheet.merge_range(0, 0, 0, len(headers) - 1, clean(f"逾期整改措施清单（截至{format_date(as_of)}）"), fmt["title"])
    for col, (name, width) in enumerate(headers):
        sheet.write_string(1, col, name, fmt["header"])
        sheet.set_column(col, col, width)
    cell = fmt["cell"]
    for index, row in enumerate(sorted(overdue, key=lambda x: -(x.days_overdue or 0)), start=1):
        sheet.write_cells(index + 1, (
            (index, cell), (clean(row.problem), cell), (clean(row.measure), cell), (clean(row.unit), cell),
            (clean(row.owners), cell), (clean(row.deadline), cell), (row.days_overdue or 0, fmt[Warning.RED]),
            (clean(row.progress), cell),
        ))
    sheet.freeze_panes(2, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(1)


def _formats(book):
    base = {"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "top", "border": 1}
    fmt = {
        "title": book.add_format({"font_name": "方正小标宋简体", "font_size": 16, "bold": True, "align": "center",
                                  "valign": "vcenter"}),
        "subtitle": book.add_format({"font_name": "宋体", "font_size": 10, "align": "left"}),
        "header": book.add_format({**base, "bold": True, "align": "center", "valign": "vcenter", "bg_color": "#DDEBF7"}),
        "section": book.add_format({**base, "bold": True, "bg_color": "#F2F2F2"}),
        "cell": book.add_format(base),
        "bold": book.add_format({**base, "bold": True}),
        "percent": book.add_format({**base, "num_format": "0.0%"}),
    }
    for colour, fill in WARNING_FILLS.items():
        fmt[colour] = book.add_format({**base, "bg_color": fill, "align": "center"})
    return fmt
