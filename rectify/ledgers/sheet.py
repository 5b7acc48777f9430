"""A worksheet that writes a whole row of a ledger at once, in XlsxWriter's constant-memory mode.

Why: XlsxWriter writes a cell in three steps — ``write_string`` stores it, the next row's
first write serialises the stored row cell by cell, and each string passes several regular
expressions on the way — about 13 µs a cell here, which made a 100,000-measure ledger (1.4
million cells) slower than pandas writing the same rows unformatted. ``write_cells``
serialises a row in one pass: 100,000 rows of 13 bordered cells took 3.9 s against 17.5 s
the usual way, file closed (20,000 rows: 0.8 s against 3.4 s).

And a correction: in constant-memory mode XlsxWriter passes a text that starts with ``<r>``
and ends with ``</r>`` into the file unescaped (that is how it stores rich strings), so a
measure written that way broke the whole workbook. Here every text is escaped.

How: XlsxWriter documents subclassing ``Worksheet`` and passing the class to
``add_worksheet`` (its "inheritance" examples). ``write_cells`` first lets XlsxWriter write
any row it still holds (titles and merged section rows go through its public methods), then
writes ``<row>`` with its cells to the sheet's row file, which XlsxWriter copies into the
worksheet at close, and records the row in the sheet's dimensions. The XML is ECMA-376's
inline-string cell, the form XlsxWriter itself writes in this mode, with its escapes:
``& < >`` as entities, a literal ``_xHHHH_`` with its underscore escaped (otherwise Excel
would read it as a character code), ``xml:space="preserve"`` for leading or trailing
whitespace, and texts cut at Excel's 32,767 UTF-16 units. Control characters are removed by
the caller. XlsxWriter is pinned in requirements.txt; tests/test_ledger_sheet.py compares
this writer's cells with XlsxWriter's own for awkward texts and reads them back with openpyxl
and calamine, and tests/test_ledger.py opens whole ledgers in LibreOffice.
"""
import re
from typing import Optional, Sequence, Union

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

Value = Union[str, int, float, None]
EXCEL_MAX_UNITS = 32767  # UTF-16 code units in a cell
_ESCAPED_CODE = re.compile(r"(_x[0-9a-fA-F]{4}_)")


def inline_text(text: str) -> str:
    """The ``<is>`` part of an inline-string cell holding ``text`` (control characters removed)."""
    if len(text) > EXCEL_MAX_UNITS // 2 and len(text.encode("utf-16-le")) > 2 * EXCEL_MAX_UNITS:
        text = text.encode("utf-16-le")[:2 * EXCEL_MAX_UNITS].decode("utf-16-le", "ignore")
    if "_x" in text:
        text = _ESCAPED_CODE.sub(r"_x005F\1", text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


class RowSheet(Worksheet):
    """A Worksheet with ``write_cells``; the workbook must be in constant-memory mode."""

    def __init__(self):
        super().__init__()
        self._columns: list[str] = []  # column letters, as far as rows have reached
        self._styles: dict[Optional[Format], str] = {None: ""}  # a format's s="…" attribute

    def write_cells(self, row: int, cells: Sequence[tuple[Value, Optional[Format]]],
                    height: Optional[float] = None) -> None:
        """Write ``cells`` — (value, format) pairs, from column A — as row ``row``, ``height``
        points high if given (else the reader's default).

        A str is written as text (never a formula), an int or float as a number, None or ""
        as a blank cell with its format (borders and fill), or nothing if it has no format.
        Rows must come in ascending order, after anything written the usual way above them."""
        if not self.constant_memory:
            raise ValueError("write_cells needs the workbook's constant_memory option")
        if row < self.previous_row or (row == self.previous_row and self.table[row]):
            raise ValueError(f"row {row} is already written or held")
        if row > self.previous_row:
            self._write_single_row(row)  # XlsxWriter writes the row it holds; this one is then ours
        if len(cells) > len(self._columns):
            self._columns += [xl_col_to_name(col) for col in range(len(self._columns), len(cells))]
        number = str(row + 1)
        parts = [f'<row r="{number}" ht="{height:g}" customHeight="1">' if height else f'<row r="{number}">']
        first = last = None
        styles, columns = self._styles, self._columns
        for col, (value, cell_format) in enumerate(cells):
            style = styles.get(cell_format)
            if style is None:
                style = self._style(cell_format)
            if value is None or value == "":
                if cell_format is None:
                    continue
                parts.append(f'<c r="{columns[col]}{number}"{style}/>')
            elif isinstance(value, str):
                parts.append(f'<c r="{columns[col]}{number}"{style} t="inlineStr">{inline_text(value)}</c>')
            else:
                parts.append(f'<c r="{columns[col]}{number}"{style}><v>{value:.16g}</v></c>')
            if first is None:
                first = col
            last = col
        if first is None:
            return
        if self._check_dimensions(row, first) or self._check_dimensions(row, last):
            raise ValueError(f"row {row} is beyond Excel's last row or column")
        parts.append("</row>")
        self.fh.write("".join(parts))

    def _style(self, cell_format: Format) -> str:
        index = cell_format._get_xf_index()  # XlsxWriter numbers a format when it is first written
        style = self._styles[cell_format] = f' s="{index}"' if index else ""
        return style
