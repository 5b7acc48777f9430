"""Opening a workbook safely and reading its sheets as rows of values.

python-calamine (Rust) reads .xlsx, .xls and .ods, several times faster than openpyxl, and
reports merged ranges. Before it sees a file, the file is checked here: size, type by content
(an .xlsx that is an OLE container is an encrypted workbook), the zip's uncompressed size
and ratio (a zip bomb is refused without inflating it), and no XML part may declare a DTD
(entity expansion attacks need one; OOXML and ODF never do). Hidden columns are read from
the xlsx sheet XML with defusedxml.
"""
import io
import zipfile
from dataclasses import dataclass, field
from typing import Optional

import python_calamine
from defusedxml.ElementTree import iterparse

from ..numbers import whole_number
from .report import ImportRefused

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
EXTENSIONS = {"xlsx", "xlsm", "xls", "ods"}
MAX_UNCOMPRESSED = 300 * 1024 * 1024
MAX_RATIO = 200
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass
class Sheet:
    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, col, last row, col
    hidden_columns: set[int] = field(default_factory=set)


def check_file(data: bytes, filename: str, max_mb: int) -> str:
    """The workbook's extension, after the checks that need no parsing; else ImportRefused."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in EXTENSIONS:
        raise ImportRefused(f"“{filename}”不是 Excel 工作簿，请上传 .xlsx、.xls 或 .ods 文件。")
    if not data:
        raise ImportRefused(f"“{filename}”是空文件。")
    if len(data) > max_mb * 1024 * 1024:
        raise ImportRefused(f"“{filename}”超过 {max_mb} MB 的上限。")
    if data.startswith(OLE):
        if extension != "xls":
            raise ImportRefused(f"“{filename}”已加密（设置了打开密码），请在 Excel 中取消密码后重新导入。")
        return extension
    if extension == "xls" or not data.startswith(ZIP):
        raise ImportRefused(f"“{filename}”的内容不是 Excel 工作簿，可能已损坏或被改名。")
    _check_zip(data, filename)
    return extension


def _check_zip(data: bytes, filename: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportRefused(f"“{filename}”已损坏，无法打开。") from None
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED or total > MAX_RATIO * max(len(data), 1):
            raise ImportRefused(f"“{filename}”解压后过大（{total // (1024 * 1024)} MB），疑似压缩炸弹，已拒绝。")
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as part:
                    head = part.read(2048)
                if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                    raise ImportRefused(f"“{filename}”包含不允许的 XML 声明（DTD），已拒绝。")


def read_sheets(data: bytes, filename: str, extension: str, max_rows: int) -> list[Sheet]:
    """Every visible worksheet of the workbook."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise ImportRefused(f"“{filename}”已加密，请取消密码后重新导入。") from None
    except Exception as error:  # calamine raises several kinds for a broken file
        raise ImportRefused(f"“{filename}”无法读取：文件已损坏或格式不受支持（{type(error).__name__}）。") from None
    hidden = _hidden_columns(data) if extension in ("xlsx", "xlsm") else {}
    sheets = []
    try:
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            if meta.visible != python_calamine.SheetVisibleEnum.Visible:
                continue
            sheet = workbook.get_sheet_by_index(index)
            if sheet.height > max_rows:
                raise ImportRefused(f"工作表“{meta.name}”有 {sheet.height} 行，超过 {max_rows} 行的上限，请删除多余的行。")
            rows = sheet.to_python(skip_empty_area=False)
            merged = [((a[0], a[1], b[0], b[1])) for a, b in (sheet.merged_cell_ranges or [])]
            sheets.append(Sheet(meta.name, rows, merged, hidden.get(index, set())))
    finally:
        workbook.close()
    return sheets


def _hidden_columns(data: bytes) -> dict[int, set[int]]:
    """Sheet index → hidden column indexes (0-based), from each sheet's <cols> element."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted((n for n in archive.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")),
                       key=lambda n: whole_number("".join(ch for ch in n if ch.isdigit())) or 0)
        for index, name in enumerate(names):
            columns = set()
            with archive.open(name) as part:
                for _, element in iterparse(part, events=("start",)):
                    if element.tag == f"{NS}sheetData":
                        break
                    if element.tag == f"{NS}col" and element.get("hidden") in ("1", "true"):
                        columns.update(range(int(element.get("min")) - 1, int(element.get("max"))))
            found[index] = columns
    return found


def merged_value_grid(sheet: Sheet) -> list[list]:
    """The rows with every merged range's value copied into all its cells."""
    rows = [list(row) for row in sheet.rows]
    for first_row, first_col, last_row, last_col in sheet.merged:
        if first_row >= len(rows) or first_col >= len(rows[first_row]):
            continue
        value = rows[first_row][first_col]
        for r in range(first_row, min(last_row, len(rows) - 1) + 1):
            for c in range(first_col, min(last_col, len(rows[r]) - 1) + 1):
                rows[r][c] = value
    return rows


def optional_text(value) -> Optional[str]:
    if value is None:
        return None
    text = str(value).strip() if not isinstance(value, float) or not value.is_integer() else str(int(value))
    return text or None
