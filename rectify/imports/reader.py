"""Opening a workbook safely and reading its sheets as rows of values.

python-calamine (Rust) reads .xlsx, .xls and .ods, several times faster than openpyxl, and
reports merged ranges. Before it sees a file, the file is checked here: size, type by content
(an .xlsx that is an OLE container is an encrypted workbook), the zip's uncompressed size
and ratio (a zip bomb is refused without inflating it), and no XML part may declare a DTD
(entity expansion attacks need one; OOXML and ODF never do). Then every sheet's real extent is
read from the raw XML (extent.py) and checked against the row and column limits, and only then
is the workbook parsed, in a child process with its own memory and time limits (sandbox.py).
Hidden columns come from the extent pass, matched to sheets by name (the sheets themselves are
resolved through xl/workbook.xml and its relationships, not by part names). A damaged zip (a
bad checksum, a truncated member) is refused with a message wherever it is noticed.

A Word document (.docx) goes through the same walls: size, type by content, the zip's sizes
and ratio, and no DTD in any XML part (read whole here, not only its head: a document is small
and its parts are parsed by lxml in the child). Its tables are then read in the same sandboxed
child (python-docx), under the same memory and time limits, each table checked against the row
and column limits before it is sent back; they come back as sheets named 表格1, 表格2…
"""
import io
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Optional
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError

from rectify.imports import sandbox
from rectify.imports.extent import survey, too_large
from rectify.imports.report import ImportRefused

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
EXTENSIONS = {"xlsx", "xlsm", "xls", "ods", "docx"}
DOCUMENTS = {"docx"}
MAX_UNCOMPRESSED = 300 * 1024 * 1024
MAX_RATIO = 200
# What zipfile and zlib raise for a damaged member: bad CRC, truncated or garbled data, an
# unsupported compression method or encryption.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError)


@dataclass
class Sheet:
    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, col, last row, col
    hidden_columns: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Limits:
    """What reading one uploaded workbook may take (the RECTIFY_IMPORT_* settings)."""
    max_mb: int = 20
    max_rows: int = 50000
    max_columns: int = 200
    memory_mb: int = 2048
    timeout: int = 60

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(config["RECTIFY_IMPORT_MAX_MB"], config["RECTIFY_IMPORT_MAX_ROWS"],
                   config["RECTIFY_IMPORT_MAX_COLUMNS"], config["RECTIFY_IMPORT_MEMORY_MB"],
                   config["RECTIFY_IMPORT_TIMEOUT"])


def check_file(data: bytes, filename: str, max_mb: int) -> str:
    """The workbook's extension, after the checks that need no parsing; else ImportRefused."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "doc":
        raise ImportRefused(f"“{filename}”是旧版 Word 文档（.doc），请在 Word 或 WPS 中另存为 .docx 后重新导入。")
    if extension not in EXTENSIONS:
        raise ImportRefused(f"“{filename}”不是 Excel 工作簿或 Word 文档，请上传 .xlsx、.xls、.ods 或 .docx 文件。")
    if not data:
        raise ImportRefused(f"“{filename}”是空文件。")
    if len(data) > max_mb * 1024 * 1024:
        raise ImportRefused(f"“{filename}”超过 {max_mb} MB 的上限。")
    if data.startswith(OLE):
        if extension == "docx":
            raise ImportRefused(f"“{filename}”已加密（设置了打开密码）或是改名的 .doc 文件，请在 Word 中取消密码或另存为 .docx 后重新导入。")
        if extension != "xls":
            raise ImportRefused(f"“{filename}”已加密（设置了打开密码），请在 Excel 中取消密码后重新导入。")
        return extension
    if extension == "xls" or not data.startswith(ZIP):
        kind = "Word 文档" if extension in DOCUMENTS else "Excel 工作簿"
        raise ImportRefused(f"“{filename}”的内容不是 {kind}，可能已损坏或被改名。")
    with _zip(data, filename) as archive:
        _check_zip(archive, len(data), filename, whole=extension in DOCUMENTS)
        if extension in DOCUMENTS and "word/document.xml" not in archive.namelist():
            raise ImportRefused(f"“{filename}”的内容不是 Word 文档，可能已损坏或被改名。")
    return extension


def _zip(data: bytes, filename: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        raise _damaged(filename) from None


def _damaged(filename: str) -> ImportRefused:
    return ImportRefused(f"“{filename}”已损坏，无法打开。")


def _check_zip(archive: zipfile.ZipFile, size: int, filename: str, whole: bool = False) -> None:
    """Sizes, then no DTD: in each XML part's head, or (``whole``) anywhere in it."""
    members = archive.infolist()
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED or total > MAX_RATIO * max(size, 1):
        raise ImportRefused(f"“{filename}”解压后过大（{total // (1024 * 1024)} MB），疑似压缩炸弹，已拒绝。")
    try:
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as part:
                    if _declares_dtd(part, whole):
                        raise _dtd(filename)
    except ZIP_ERRORS:
        raise _damaged(filename) from None


def _declares_dtd(part, whole: bool) -> bool:
    carry = b""
    while block := part.read(1 << 20 if whole else 2048):
        text = (carry + block).upper()
        if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
            return True
        if not whole:
            return False
        carry = text[-16:]
    return False


def _dtd(filename: str) -> ImportRefused:
    return ImportRefused(f"“{filename}”包含不允许的 XML 声明（DTD），已拒绝。")


def read_sheets(data: bytes, filename: str, extension: str, limits: Limits) -> list[Sheet]:
    """Every visible worksheet of the workbook (every table of the document), once every sheet
    is known to fit the limits."""
    kind = "document" if extension in DOCUMENTS else "workbook"
    with sandbox.Sandbox(limits, kind) as reader:  # starts now, reads only once the extents pass
        deadline = time.monotonic() + limits.timeout
        skip = extension == "xls" or kind == "document"  # checked by the child before any Python object
        extents = [] if skip else _survey(data, filename, extension, deadline, limits)
        for extent in extents:
            if extent.rows > limits.max_rows or extent.columns > limits.max_columns:
                raise too_large(extent.sheet, extent.rows, extent.columns, limits.max_rows, limits.max_columns)
        reads = reader.read(data, filename)
    hidden = {extent.sheet: extent.hidden_columns for extent in extents}
    return [Sheet(read.name, read.rows, read.merged, hidden.get(read.name, set())) for read in reads]


def _survey(data: bytes, filename: str, extension: str, deadline: float, limits: Limits):
    try:
        with _zip(data, filename) as archive:
            return survey(archive, extension, deadline)
    except DefusedXmlException:
        raise _dtd(filename) from None
    except TimeoutError:
        raise sandbox.timed_out(filename, limits) from None
    except (*ZIP_ERRORS, ParseError, ExpatError):
        raise _damaged(filename) from None


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
