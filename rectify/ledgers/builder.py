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
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from math import ceil
from operator import attrgetter
from typing import BinaryIO, Iterable, Union

from rectify.core.timeutil import format_date
from rectify.core.titles import joined
from rectify.ledgers.rows import LedgerRow
from rectify.models import MeasureStatus, Warning
from rectify.tracking.counts import Facts, Figures

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
class LedgerSummary:
    rows: int = 0
    problems: int = 0
    measures: int = 0


def build_ledger(rows: Iterable[LedgerRow], out: Union[str, BinaryIO], *, title: str, unit: str,
                 as_of: date, long_term_closes: bool = True) -> LedgerSummary:
    """Write the ledger workbook to ``out`` (a path or a binary file); return what it holds.

    ``title`` says what it covers (a batch's title, 全部批次); ``unit`` is the 填报单位;
    ``long_term_closes`` is RECTIFY_LONG_TERM_CLOSES_PROBLEM, for the summary's problem figures."""
    import xlsxwriter  # here, not at the top: the app and its commands start without it

    from rectify.ledgers.sheet import RowSheet

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    fmt = _formats(book)
    sheet = book.add_worksheet("整改台账", worksheet_class=RowSheet)
    sheet.merge_range(0, 0, 0, len(COLUMNS) - 1, clean(joined(title, "整改台账")), fmt["title"])
    sheet.merge_range(1, 0, 1, len(COLUMNS) - 1, clean(f"填报单位：{unit}　　截至：{format_date(as_of)}"), fmt["subtitle"])
    header = 2
    for col, (name, width) in enumerate(COLUMNS):
        sheet.write_string(header, col, name, fmt["header"])
        sheet.set_column(col, col, width)
    sheet.write_string(header, ID_COLUMN, ID_HEADER, fmt["header"])
    sheet.set_column(ID_COLUMN, ID_COLUMN, 12, None, {"hidden": True})
    by_unit, by_batch, overall, overdue = defaultdict(Figures), defaultdict(Figures), Figures(), []
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
            if row.warning is Warning.RED:
                overdue.append(row)
            r += 1
        if len(group) > 1:
            for col in PROBLEM_COLUMNS:
                _declare_merge(sheet, r - len(group), col, r - 1, col)
        summary.measures += len(group)
        _count_problem(group, by_unit, by_batch, overall, long_term_closes)
    summary.rows = summary.measures
    _finish_main(sheet, header, r)
    _summary_sheet(book, fmt, by_unit, by_batch, overall, title, unit, as_of)
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


def _count_problem(group, by_unit, by_batch, overall, long_term_closes):
    """Count one problem's rows (the Python form of rectify.tracking.counts): in its batch, in
    the whole, and under each unit leading one of its measures, judged by that unit's part."""
    facts = [Facts(_STATUS[row.status], row.warning is Warning.RED, row.extended) for row in group]
    by_batch[group[0].batch].add_problem(facts, long_term_closes)
    overall.add_problem(facts, long_term_closes)
    units = defaultdict(list)
    for row, fact in zip(group, facts):
        units[row.unit or "未定"].append(fact)
    for name, unit_facts in units.items():
        by_unit[name].add_problem(unit_facts, long_term_closes)


_STATUS = {status.label: status for status in MeasureStatus}
# 统计汇总: problems first, then measures; the measure statuses add up to 措施数, the problem
# statuses to 问题数. (heading, column width, value of a Figures)
PROBLEM_FIGURES = [("问题数", 7), ("已整改到位", 7), ("正在整改", 7), ("未启动", 7), ("逾期", 6), ("完成率", 8)]
MEASURE_FIGURES = [("措施数", 7), ("未启动", 7), ("整改中", 7), ("待审核", 7), ("已完成", 7), ("长期坚持", 7), ("逾期", 6),
                   ("延期", 6), ("完成率", 8)]
NAME_WIDTH = 26
SUMMARY_COLUMNS = 1 + len(PROBLEM_FIGURES) + len(MEASURE_FIGURES)


def _figures_row(f: Figures) -> list:
    return [f.problems, f.closed, f.in_progress, f.not_started, f.problems_overdue, _ratio(f.closed, f.problems),
            f.measures, *(f.by_status[s] for s in MeasureStatus), f.overdue, f.extended, _ratio(f.finished, f.measures)]


def _ratio(part, whole) -> float:
    return part / whole if whole else 0.0


def _summary_sheet(book, fmt, by_unit, by_batch, overall, title, unit, as_of):
    """统计汇总, one A4 page wide: by unit and by batch, each with its total."""
    sheet = book.add_worksheet(SUMMARY_SHEET)
    last = SUMMARY_COLUMNS - 1
    sheet.merge_range(0, 0, 0, last, clean(f"{joined(title, '整改情况统计')}（截至{format_date(as_of)}）"), fmt["title"])
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, last, clean(f"填报单位：{unit}"), fmt["subtitle"])
    sheet.set_column(0, 0, NAME_WIDTH)
    for col, (_, width) in enumerate(PROBLEM_FIGURES + MEASURE_FIGURES, start=1):
        sheet.set_column(col, col, width)
    r = 3
    for label, tallies in (("责任单位", by_unit), ("整改批次", by_batch)):
        sheet.merge_range(r, 0, r + 1, 0, label, fmt["header"])
        sheet.merge_range(r, 1, r, len(PROBLEM_FIGURES), "问题（个）", fmt["header"])
        sheet.merge_range(r, len(PROBLEM_FIGURES) + 1, r, last, "整改措施（条）", fmt["header"])
        sheet.write_row(r + 1, 1, [name for name, _ in PROBLEM_FIGURES + MEASURE_FIGURES], fmt["header"])
        sheet.set_row(r + 1, 30)
        r += 2
        for name in sorted(tallies):
            _figures_line(sheet, fmt, r, name, tallies[name])
            r += 1
        _figures_line(sheet, fmt, r, "合计", overall, bold=True)
        r += 2
    sheet.merge_range(r, 0, r, last, "注：问题由多个单位承担措施的，在各单位按其承担的措施分别计数，合计按问题计；"
                      "完成率：问题按已整改到位计，措施按已完成和长期坚持计。", fmt["note"])
    sheet.set_row(r, 30)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(3, 4)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.set_footer("&C第 &P 页，共 &N 页")


def _figures_line(sheet, fmt, r, name, f: Figures, bold=False):
    style, percent = (fmt["bold"], fmt["bold_percent"]) if bold else (fmt["cell"], fmt["percent"])
    sheet.write_string(r, 0, clean(name), style)
    for col, value in enumerate(_figures_row(f), start=1):
        sheet.write_number(r, col, value, percent if col in (len(PROBLEM_FIGURES), SUMMARY_COLUMNS - 1) else style)
    sheet.set_row(r, LINE_HEIGHT * _lines(clean(name), NAME_WIDTH) + ROW_PADDING)  # a long batch name wraps


def _overdue_sheet(book, fmt, overdue, as_of):
    from rectify.ledgers.sheet import RowSheet

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
        "bold_percent": book.add_format({**base, "bold": True, "num_format": "0.0%"}),
        "note": book.add_format({"font_name": "宋体", "font_size": 9, "text_wrap": True, "valign": "top"}),
    }
    for colour, fill in WARNING_FILLS.items():
        fmt[colour] = book.add_format({**base, "bg_color": fill, "align": "center"})
    return fmt
