"""RowSheet.write_cells, the ledger's row writer: what it writes must read back as XlsxWriter's own cells do."""
import io
from datetime import date

import pytest
import python_calamine
import xlsxwriter
from openpyxl import load_workbook

from rectify.ledgers.builder import build_ledger
from rectify.ledgers.rows import LedgerRow
from rectify.ledgers.sheet import EXCEL_MAX_UNITS, RowSheet
from rectify.models import Warning

AWKWARD = [
    "<r>甲 & 乙</r>",  # XlsxWriter's constant-memory mode writes this into the file unescaped
    "<b>加粗</b> & <i>",
    "_x0041_ 不是 A",  # Excel's own escape for character codes, written literally
    "  前后有空格  ",
    "\t制表符开头",
    "=SUM(A1:A3)",
    "+1",
    "-1",
    "@提及",
    '引号"和\'撇号',
    "第一行\n第二行",
    "𠮷𠮷 emoji 🙂",  # outside the BMP: two UTF-16 units each
    "x" * 40000,  # beyond Excel's 32,767 units a cell
]


def _book(fill) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    fill(book, book.add_format({"border": 1}))
    book.close()
    return out.getvalue()


def _values(data: bytes) -> list[list]:
    return [list(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def test_texts_read_back_as_xlsxwriter_writes_them():
    def ours(book, border):
        sheet = book.add_worksheet(worksheet_class=RowSheet)
        for row, text in enumerate(AWKWARD):
            sheet.write_cells(row, [(text, border), (row, border), ("", border)])

    def theirs(book, border):  # XlsxWriter's usual path, except for the text it cannot write (below)
        sheet = book.add_worksheet()
        for row, text in enumerate(AWKWARD):
            sheet.write_string(row, 0, text.replace("<r>", "<R>"), border)
            sheet.write_number(row, 1, row, border)
            sheet.write_blank(row, 2, None, border)

    expected = _values(_book(theirs))
    expected[0][0] = AWKWARD[0]
    got = _values(_book(ours))
    assert got == expected
    assert got[0][0] == "<r>甲 & 乙</r>" and got[3][0] == "  前后有空格  "
    assert len(got[-1][0]) == EXCEL_MAX_UNITS
    # calamine (the round trip's reader) agrees
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(_book(ours))).get_sheet_by_index(0)
    assert [row[0] for row in sheet.to_python()][:12] == AWKWARD[:12]


def test_styles_blanks_and_dimensions():
    def fill(book, border):
        red = book.add_format({"bg_color": "#F8CBAD", "border": 1})
        sheet = book.add_worksheet(worksheet_class=RowSheet)
        sheet.merge_range(0, 0, 0, 3, "标题", border)  # XlsxWriter's own path first
        sheet.write_cells(1, [(None, border), ("逾期", red), (None, None), (3.5, None)])
        sheet.write_cells(2, [(None, None), (None, None)])  # nothing to write: no row at all
        sheet.write_string(3, 0, "之后照常")
        sheet.write_cells(4, [("末行", None)])

    sheet = load_workbook(io.BytesIO(_book(fill))).active
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:D1"] and sheet["A1"].value == "标题"
    assert sheet["A2"].value is None and sheet["A2"].border.left.style == "thin"
    assert sheet["B2"].value == "逾期" and sheet["B2"].fill.fgColor.rgb.endswith("F8CBAD")
    assert sheet["C2"].has_style is False and sheet["D2"].value == 3.5
    assert sheet["A4"].value == "之后照常" and sheet["A5"].value == "末行"
    assert sheet.dimensions == "A1:D5"


def test_rows_must_come_in_order():
    book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True})
    sheet = book.add_worksheet(worksheet_class=RowSheet)
    sheet.write_cells(3, [("三", None)])
    with pytest.raises(ValueError):
        sheet.write_cells(2, [("二", None)])
    sheet.write_string(4, 0, "四")
    with pytest.raises(ValueError):
        sheet.write_cells(4, [("四", None)])  # the row XlsxWriter still holds
    with pytest.raises(ValueError):
        sheet.write_cells(1_048_576, [("Excel 的最后一行之后", None)])
    book.close()

    shared = xlsxwriter.Workbook(io.BytesIO())  # shared-strings mode writes rows at close: not supported
    with pytest.raises(ValueError):
        shared.add_worksheet(worksheet_class=RowSheet).write_cells(0, [("一", None)])
    shared.close()


def test_a_ledger_of_awkward_texts_opens():
    """End to end through the builder: every user text is a text cell, never markup or a formula."""
    rows = [LedgerRow(measure_id=i, version=1, problem_id=i // 2, batch="批次", aspect="一、方面", number="",
                      problem=text, measure=text, leaders="", unit="办公室", owners=text, deadline="2026年6月30日",
                      progress=text, status="整改中", completed="", evidence="", note=text, warning=Warning.RED,
                      days_overdue=3, extended=False)
            for i, text in enumerate(AWKWARD[:-1])]
    out = io.BytesIO()
    summary = build_ledger(rows, out, title="测试", unit="办公室", as_of=date(2026, 11, 28))
    assert (summary.measures, summary.problems) == (len(rows), 6)
    ledger = load_workbook(io.BytesIO(out.getvalue()))["整改台账"]
    assert all(cell.data_type != "f" for row in ledger.iter_rows() for cell in row)
    # Values as Excel reads them (openpyxl leaves Excel's _xHHHH_ escapes undone; calamine, like Excel, undoes them)
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue()))
    assert [row[3] for row in book.get_sheet_by_name("整改台账").to_python()[4:]] == [r.measure for r in rows]
    assert [row[2] for row in book.get_sheet_by_name("逾期清单").to_python()[2:]] == [r.measure for r in rows]


def _row(measure_id, problem_id, problem, measure, progress="") -> LedgerRow:
    return LedgerRow(measure_id=measure_id, version=1, problem_id=problem_id, batch="批次", aspect="", number="",
                     problem=problem, measure=measure, leaders="张三", unit="办公室", owners="李四",
                     deadline="2026年6月30日", progress=progress, status="整改中", completed="", evidence="", note="",
                     warning=Warning.YELLOW, days_overdue=None, extended=False)


def test_rows_are_tall_enough_for_their_text():
    """Excel never fits a row to merged cells, and LibreOffice fits none: the ledger sets the heights."""
    long_problem = "存在问题的表述往往很长，" * 15  # 180 characters: 10 lines in the 36-wide column
    rows = [_row(1, 1, long_problem, "短措施一"), _row(2, 1, long_problem, "短措施二"),
            _row(3, 2, "短问题", "短措施", progress="第一段进展\n第二段进展\n第三段进展"),
            _row(4, 3, "短问题", "短措施")]
    out = io.BytesIO()
    build_ledger(rows, out, title="测试", unit="办公室", as_of=date(2026, 11, 28))
    sheet = load_workbook(io.BytesIO(out.getvalue()))["整改台账"]
    height = {r: sheet.row_dimensions[r].height for r in range(4, 8)}
    one_line = height[7]
    assert one_line == 16.5
    assert height[4] + height[5] >= 10 * 13.5  # the merged problem's ten lines, shared by its two rows
    assert height[4] + height[5] < 12 * 13.5 + 6  # and not much more
    assert height[6] == 3 * 13.5 + 3  # three paragraphs of progress


def test_a_row_height_is_written():
    def fill(book, border):
        sheet = book.add_worksheet(worksheet_class=RowSheet)
        sheet.write_cells(0, [("高", border)], height=42.5)
        sheet.write_cells(1, [("默认", border)])

    sheet = load_workbook(io.BytesIO(_book(fill))).active
    assert sheet.row_dimensions[1].height == 42.5 and sheet.row_dimensions[1].customHeight
    assert sheet.row_dimensions[2].height is None
