"""How far each sheet really reaches, read from the file before any reader builds it.

A reader (python-calamine, openpyxl) makes a sheet one rectangle from A1 to its last cell:
one cell at XFD50000 is 800 million cells, 26 GB for calamine, which then aborts the process.
So each sheet's extent is read here from the raw XML, as bytes, and the reader refuses the
file when it passes the row or column limit, before anything is parsed into objects.

- .xlsx/.xlsm: the parts named by xl/workbook.xml through xl/_rels/workbook.xml.rels (as
  calamine finds them), hidden sheets included. The extent is the larger of the <dimension>
  record and the last cell present (any <c>, with a value or not, with any namespace prefix).
  Where every cell starts ``<c r="B7"`` (Excel, WPS, LibreOffice, openpyxl and XlsxWriter all
  write that) regular expressions read the decompressed stream 1 MiB at a time, with no Python
  object per cell but a pair of bytes per reference: the largest reference in any ``r``
  attribute (a duplicated one too: calamine reads the last) gives the extent. Any other shape
  (a cell without ``r``, ``r`` not first, entities in it) is read again by expat, which counts
  cells and rows without ``r`` as OOXML says: the next column, the next row, and refuses
  duplicated attributes. Hidden columns come from the same pass.
- .ods: content.xml through expat. A row or cell repeated (table:number-rows-repeated,
  number-columns-repeated) counts only when it holds content: LibreOffice ends every sheet
  with a million repeated empty rows, which no reader materialises.
- .xls is not read here: BIFF8 cannot pass 65,536 × 256 cells, which calamine holds in about
  1.1 GB. The sandbox's memory cap covers that, and the sandbox checks the extent before any
  Python object is made (sandbox_child.py).

A DTD anywhere is refused (expat would expand its entities). Reading stops at ``deadline``.
"""
import posixpath
import re
import time
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Optional
from xml.parsers import expat

from defusedxml import DTDForbidden
from defusedxml.ElementTree import iterparse

from rectify.imports.report import ImportRefused

EXCEL_COLUMNS = 16384
CHUNK = 1 << 20
LONGEST_TAG = 1 << 20  # a start tag longer than this sends the fast path to expat
# A cell not in the usual shape: its start tag does not begin with r="B7" (with a prefix or without).
ODD_CELL = re.compile(rb'<c(?!\s+r="[A-Z]{1,3}[0-9]{1,7}")(?=[\s/>])')
ODD_PREFIXED_CELL = re.compile(rb"<[^\s<>/!?\"'=]*:c(?!\s+r=\"[A-Z]{1,3}[0-9]{1,7}\")(?=[\s/>])")
# Every r attribute holding a cell reference, wherever it is: a second r in a cell (calamine
# reads the last one) counts as much as the first. Row numbers alone (<row r="7">) do not match.
REFERENCE_ATTRIBUTE = re.compile(rb"""r\s*=\s*["']([A-Za-z]+)([0-9]{1,12})["']""")
PREFIX = rb"(?:[^\s<>/!?\"'=]*:)?"  # any namespace prefix, even an unusual one
ANY_DIMENSION = re.compile(rb"<" + PREFIX + rb"dimension[\s/>]")
DIMENSION = re.compile(rb"<" + PREFIX + rb'dimension\s+ref="([A-Z0-9:$]*)"')
COLUMN = re.compile(rb"<" + PREFIX + rb"col\s([^>]*)>")
ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
REFERENCE = re.compile(r"\$?([A-Za-z]{0,5})\$?([0-9]{0,10})")
COUNT = re.compile(r"[0-9]{1,10}")
REPEAT = re.compile(r"[0-9]{1,20}")


@dataclass
class Extent:
    sheet: str
    rows: int = 0
    columns: int = 0
    hidden_columns: set[int] = field(default_factory=set)

    def reach(self, row: int, column: int) -> None:
        if row > self.rows:
            self.rows = row
        if column > self.columns:
            self.columns = column


class _Unusual(Exception):
    """The sheet is not in the usual shape: read it again with expat."""


def too_large(sheet: str, rows: int, columns: int, max_rows: int, max_columns: int,
              document: bool = False) -> ImportRefused:
    place = f"Word 文档的{sheet}" if document else f"工作表“{sheet}”"
    return ImportRefused(f"{place}的数据范围达 {rows:,} 行 × {columns:,} 列，超过上限（{max_rows:,} 行、"
                         f"{max_columns:,} 列），请删除多余的行和列后重新导入。")


def survey(archive, extension: str, deadline: float) -> list[Extent]:
    """Every sheet's extent. Raises what zipfile and expat raise for a broken file, DTDForbidden,
    and TimeoutError past ``deadline``."""
    if extension == "ods":
        return _ods(archive, deadline)
    extents = []
    for name, part in _xlsx_sheets(archive):
        extent = Extent(name)
        try:
            with archive.open(part) as stream:
                _xlsx_fast(stream, extent, deadline)
        except _Unusual:
            extent = Extent(name)
            with archive.open(part) as stream:
                _xlsx_exact(stream, extent, deadline)
        extents.append(extent)
    return extents


def column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _reference(text: str) -> Optional[tuple[int, int]]:
    """A1-style reference → (row, column), 1-based; None when it is not one."""
    match = REFERENCE.fullmatch(text.strip())
    if not match or not (match.group(1) or match.group(2)):
        return None
    return int(match.group(2) or 0), column_number(match.group(1))


def _xlsx_sheets(archive) -> list[tuple[str, str]]:
    """(sheet name, part) for each <sheet> of the workbook, resolved through its relationships."""
    names = set(archive.namelist())
    targets = {}
    for element in _elements(archive, "xl/_rels/workbook.xml.rels", names):
        if element.tag.rpartition("}")[2] == "Relationship" and element.get("Target"):
            targets[element.get("Id")] = element.get("Target")
    sheets = []
    for element in _elements(archive, "xl/workbook.xml", names):
        if element.tag.rpartition("}")[2] != "sheet":
            continue
        relation = next((value for key, value in element.attrib.items() if key.endswith("}id")), None)
        target = targets.get(relation)
        if target is None:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if part in names:
            sheets.append((element.get("name") or part, part))
    return sheets


def _elements(archive, part: str, names: set):
    """The part's elements, streamed and cleared as they end (the part may be large)."""
    if part not in names:
        return
    with archive.open(part) as stream:
        for _, element in iterparse(stream, forbid_dtd=True):
            yield element
            element.clear()


def _pieces(stream, deadline: float):
    """The stream in pieces of about 1 MiB, none ending inside a start tag."""
    carry = b""
    while block := stream.read(CHUNK):
        if time.monotonic() > deadline:
            raise TimeoutError
        buffer = carry + block
        cut = buffer.rfind(b"<")
        if cut == -1 or buffer.find(b">", cut) != -1:
            yield buffer
            carry = b""
        else:
            yield buffer[:cut]
            carry = buffer[cut:]
            if len(carry) > LONGEST_TAG:
                raise _Unusual
    if carry:
        yield carry


def _xlsx_fast(stream, extent: Extent, deadline: float) -> None:
    """The usual shape: the references and the dimension read by regular expressions, C-speed."""
    for piece in _pieces(stream, deadline):
        if ODD_CELL.search(piece) or (b":c" in piece and ODD_PREFIXED_CELL.search(piece)):
            raise _Unusual
        references = REFERENCE_ATTRIBUTE.findall(piece)
        if references:
            letters = max(set(map(itemgetter(0), references)), key=lambda text: (len(text), text.upper()))
            extent.reach(max(map(int, map(itemgetter(1), references))), column_number(letters.decode()))
        if b"dimension" in piece:
            dimensions = DIMENSION.findall(piece)
            if len(dimensions) != len(ANY_DIMENSION.findall(piece)):
                raise _Unusual
            for ref in dimensions:
                _dimension(ref.decode(), extent)
        if b"hidden" in piece:
            for tag in COLUMN.findall(piece):
                attributes = {m[0].decode(): (m[1] or m[2]).decode() for m in ATTRIBUTE.finditer(tag)}
                _hidden(attributes, extent)


def _dimension(ref: str, extent: Extent) -> None:
    for corner in ref.split(":"):
        found = _reference(corner)
        if found:
            extent.reach(*found)


def _hidden(attributes: dict, extent: Extent) -> None:
    """A <col min max hidden> element: its columns, 0-based, within what a sheet can have."""
    local = {key.rpartition(":")[2]: value for key, value in attributes.items()}
    if local.get("hidden") not in ("1", "true"):
        return
    first, last = (local.get(key, "") for key in ("min", "max"))
    if COUNT.fullmatch(first) and COUNT.fullmatch(last):
        extent.hidden_columns.update(range(max(int(first), 1) - 1, min(int(last), EXCEL_COLUMNS)))


class _Counter:
    """Expat handlers that follow OOXML's positions: a cell or row without ``r`` is the next one."""

    def __init__(self, extent: Extent):
        self.extent = extent
        self.row = 0
        self.column = 0

    def start(self, name: str, attributes: dict) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            found = _reference(attributes.get("r", ""))
            if found and found[0] and found[1]:
                row, self.column = found
            else:
                row, self.column = max(self.row, 1), self.column + 1
            self.extent.reach(row, self.column)
        elif local == "row":
            row = attributes.get("r", "")
            self.row = int(row) if COUNT.fullmatch(row) else self.row + 1
            self.column = 0
        elif local == "dimension":
            _dimension(attributes.get("ref", ""), self.extent)
        elif local == "col":
            _hidden(attributes, self.extent)


def _xlsx_exact(stream, extent: Extent, deadline: float) -> None:
    _expat(stream, _Counter(extent).start, None, deadline)


def _expat(stream, start, end, deadline: float) -> None:
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    while block := stream.read(CHUNK):
        if time.monotonic() > deadline:
            raise TimeoutError
        parser.Parse(block, False)
    parser.Parse(b"", True)


def _refuse_dtd(*args) -> None:
    raise DTDForbidden(None, None, None)


class _OdsCounter:
    """content.xml: tables, rows and cells with their repeats; only content reaches."""

    def __init__(self):
        self.extents: list[Extent] = []
        self.row = 0  # rows of the current table before the current row
        self.row_repeat = 1
        self.row_reach = 0  # columns reached by content in the current row
        self.column = 0
        self.cell: Optional[tuple[int, int, bool]] = None  # first column, repeat, has content
        self.depth_in_cell = 0

    def start(self, name: str, attributes: dict) -> None:
        if self.depth_in_cell:
            self.depth_in_cell += 1
            first, repeat, _ = self.cell
            self.cell = (first, repeat, True)  # text, a link, a note: anything inside is content
            return
        local = name.rpartition(":")[2]
        attributes = {key.rpartition(":")[2]: value for key, value in attributes.items()}
        if local == "table":
            self.extents.append(Extent(attributes.get("name") or f"Sheet{len(self.extents) + 1}"))
            self.row = 0
        elif local == "table-row":
            self.row_repeat = _repeat(attributes.get("number-rows-repeated"))
            self.row_reach = self.column = 0
        elif local in ("table-cell", "covered-table-cell"):
            repeat = _repeat(attributes.get("number-columns-repeated"))
            self.cell = (self.column, repeat, "value-type" in attributes)
            self.column += repeat
            self.depth_in_cell = 1

    def end(self, name: str) -> None:
        if self.depth_in_cell:
            self.depth_in_cell -= 1
            if self.depth_in_cell == 0:
                first, repeat, content = self.cell
                if content:
                    self.row_reach = max(self.row_reach, first + repeat)
            return
        if name.rpartition(":")[2] == "table-row" and self.extents:
            if self.row_reach:
                self.extents[-1].reach(self.row + self.row_repeat, self.row_reach)
            self.row += self.row_repeat


def _repeat(value: Optional[str]) -> int:
    """A repeat count as calamine parses it (Rust's usize also takes a leading +); else 1."""
    digits = (value or "").removeprefix("+")
    return int(digits) if REPEAT.fullmatch(digits) and int(digits) > 0 else 1


def _ods(archive, deadline: float) -> list[Extent]:
    if "content.xml" not in archive.namelist():
        return []
    counter = _OdsCounter()
    with archive.open("content.xml") as stream:
        _expat(stream, counter.start, counter.end, deadline)
    return counter.extents
