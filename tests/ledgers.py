"""Workbooks shaped like the ledgers offices really send (see ../shared/DOMAIN.md)."""
import io
import zipfile
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment


def save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def messy_ledger() -> bytes:
    """Title, filler row, two-row header, sections, merged problems, numbered measures in a cell,
    full-width digits, a deadline without a year, a hidden column, a blank row, a trailing note."""
    wb = Workbook()
    ws = wb.active
    ws.title = "巡察反馈问题"
    ws.append(["县委第三巡察组反馈意见整改台账"])
    ws.merge_cells("A1:J1")
    ws.append(["填报单位（盖章）：开发区党工委", None, None, None, None, None, None, "填报时间：2023年4月10日"])
    ws.append(["序号", "存在问题", "整改措施", "责任分工", None, None, "责 任 人", "整改\n时限", "内部编码", "备注"])
    ws.append([None, None, None, "牵头领导", "牵头单位", "配合单位", None, None, None, None])
    for col in "ABCGHIJ":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("D3:F3")
    ws.column_dimensions["I"].hidden = True
    ws.append(["一、党的领导弱化方面"])
    ws.merge_cells("A5:J5")
    ws.append(["1", "落实意识形态工作责任制不到位，未按要求每半年专题研究意识形态工作。",
               "每半年召开1次意识形态工作专题会议。", "王建国", "党政综合办公室", None, "刘芳", "２０２３年６月３０日", "X-01", None])
    ws.append([None, None, "建立意识形态工作台账。", "王建国", "党政综合办公室", "组织人事部", "刘芳、周洁", "2023年6月底前", "X-02", "需季度更新"])
    ws.merge_cells("A6:A7")
    ws.merge_cells("B6:B7")
    ws.append([None] * 10)
    ws.append(["（一）选人用人方面"])
    ws.merge_cells("A9:J9")
    ws.append(["2", "干部档案管理不规范，个别档案材料缺失。",
               "1.对干部档案逐一核查；2.补齐缺失材料，建立档案管理台账。", "李明", "组织人事部", None, "周洁/吴刚",
               "8月底前", "X-03", None])
    ws.append(["二、全面从严治党方面"])
    ws.merge_cells("A11:J11")
    ws.append(["3", "公务接待审批手续不全。", "规范公务接待审批，实行“一事一单”。", "王建国", "党政综合办公室", None,
               "刘芳", "立行立改，长期坚持", "X-04", None])
    ws.append(["注：整改时限以县委巡察办要求为准。"])
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    return save(wb)


def simple_ledger(rows, headers=("序号", "存在问题", "整改措施", "责任单位", "责任人", "整改时限")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    return save(wb)


def with_instructions_sheet() -> bytes:
    wb = Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes.append(["1. 每个问题可对应多条整改措施。"])
    notes.append(["2. 整改时限请写明年月日。"])
    data = wb.create_sheet("审计发现问题")
    data.append(["序号", "问题描述", "整改举措", "责任部门", "经办人", "完成时限", "整改状态"])
    data.append([1, "专项资金使用不规范。", "追回违规资金。", "财政局", "黄磊", "2023年第三季度", "已完成"])
    return save(wb)


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b"0" * (400 * 1024 * 1024) + b"</a>")
    return buffer.getvalue()


def with_entities() -> bytes:
    """An xlsx whose sheet XML declares entities (billion laughs)."""
    source = zipfile.ZipFile(io.BytesIO(simple_ledger([[1, "问题", "措施", "单位", "张三", "2023年6月"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><worksheet', 1)
            out.writestr(item, data)
    return buffer.getvalue()


def many_rows(count: int) -> bytes:
    """A minimal valid xlsx with ``count`` junk rows, written directly (openpyxl is too slow for this)."""
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c></row>' for i in range(1, count + 1))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:A{count}"/><sheetData>{rows}</sheetData></worksheet>')
    source = zipfile.ZipFile(io.BytesIO(simple_ledger([])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item.filename, sheet if item.filename == "xl/worksheets/sheet1.xml" else source.read(item))
    return buffer.getvalue()


# Hostile workbooks, written byte by byte: what an attacker (or a broken tool) can send.

HEADERS = ("序号", "存在问题", "整改措施", "责任单位", "责任人", "整改时限")
GOOD_ROW = ("1", "问题甲", "措施一", "组织人事部", "周洁", "2023年6月30日")
SPREADSHEETML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inline_cell(ref: str, text: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{escape(text)}</{p}t></{p}is></{p}c>'


def table_rows(row=GOOD_ROW, prefix: str = "") -> str:
    """The header and one data row, as <row> elements."""
    p = f"{prefix}:" if prefix else ""
    return "".join(f'<{p}row r="{r}">' + "".join(inline_cell(f"{column_letter(c)}{r}", str(v), prefix)
                                                 for c, v in enumerate(values, start=1)) + f"</{p}row>"
                   for r, values in ((1, HEADERS), (2, row)))


def with_sheet(rows_xml: str, dimension: str = "", prefix: str = "", stored: bool = False) -> bytes:
    """simple_ledger's workbook with its sheet XML replaced (``prefix`` names the namespace, as <x:c>)."""
    p, xmlns = (f"{prefix}:", f"xmlns:{prefix}") if prefix else ("", "xmlns")
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}="{SPREADSHEETML}">'
             + (f'<{p}dimension ref="{dimension}"/>' if dimension else "")
             + f"<{p}sheetData>{rows_xml}</{p}sheetData></{p}worksheet>")
    source = zipfile.ZipFile(io.BytesIO(simple_ledger([])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item.filename, sheet if item.filename == "xl/worksheets/sheet1.xml" else source.read(item))
    return buffer.getvalue()


def far_cell(ref: str = "XFD50000") -> bytes:
    """A good ledger and one more cell far away: calamine would make the whole rectangle (26 GB here)."""
    row = int("".join(ch for ch in ref if ch.isdigit()))
    return with_sheet(table_rows() + f'<row r="{row}">{inline_cell(ref, "x")}</row>')


def lying_dimension() -> bytes:
    return with_sheet(table_rows(), dimension="A1:XFD1048576")


def full_width_row() -> bytes:
    """A third row with all 16,384 columns filled."""
    return with_sheet(table_rows() + '<row r="3">' + "".join(inline_cell(f"{column_letter(c)}3", "x")
                                                             for c in range(1, 16385)) + "</row>")


def rows_without_references(count: int) -> bytes:
    """``count`` rows whose <row> and <c> carry no r (OOXML allows it: each is the next one)."""
    return with_sheet(table_rows() + "".join(f'<row><c t="inlineStr"><is><t>{n}</t></is></c></row>' for n in range(count)))


def duplicated_reference() -> bytes:
    """A cell with two r attributes: calamine reads the last, XFD50000."""
    return with_sheet(table_rows() + '<row r="3"><c r="A3" r="XFD50000" t="inlineStr"><is><t>x</t></is></c></row>')


def prefixed_far_cell() -> bytes:
    """Every element with a namespace prefix, <x:c>, and a cell at IV3 (256 columns)."""
    return with_sheet(table_rows(prefix="x") + f'<x:row r="3">{inline_cell("IV3", "x", "x")}</x:row>', prefix="x")


def long_cell(column: int, length: int) -> bytes:
    """The data row with ``length`` characters in ``column`` (1-based)."""
    row = list(GOOD_ROW)
    row[column - 1] = "字" * length
    return with_sheet(table_rows(tuple(row)))


def bad_checksum(rows: int = 1) -> bytes:
    """A workbook whose sheet member no longer matches its CRC (one byte changed, stored uncompressed).

    With a few rows the member is read whole by the first check; with many, only later."""
    data = with_sheet("".join(table_rows() for _ in range(rows)), stored=True)
    return data.replace(b'encoding="UTF-8"?><worksheet', b'encoding="utf-8"?><worksheet', 1)


ODS_NAMESPACES = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                  'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                  'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def ods(rows_xml: str) -> bytes:
    """A minimal .ods whose one sheet holds ``rows_xml`` (table:table-row elements)."""
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="问题清单">{rows_xml}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        out.writestr("META-INF/manifest.xml", manifest)
        out.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def ods_cell(text: str = "", repeat: int = 1) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if not text:
        return f'<table:table-cell table:style-name="ce1"{repeated}/>'
    return f'<table:table-cell office:value-type="string"{repeated}><text:p>{escape(text)}</text:p></table:table-cell>'


def ods_row(cells: str, repeat: int = 1) -> str:
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{repeated}>{cells}</table:table-row>"


def ods_table() -> str:
    return ods_row("".join(ods_cell(h) for h in HEADERS)) + ods_row("".join(ods_cell(v) for v in GOOD_ROW))


def ods_like_libreoffice() -> bytes:
    """The table, then what LibreOffice always writes: empty columns to 1,024 and rows to 1,048,576."""
    return ods(ods_table().replace("</table:table-row>", ods_cell(repeat=1018) + "</table:table-row>")
               + ods_row(ods_cell(repeat=1024), repeat=1048574))


def ods_far_cell() -> bytes:
    """The table, 49,997 empty rows, then a row whose 16,384th cell holds text."""
    return ods(ods_table() + ods_row("", repeat=49997) + ods_row(ods_cell(repeat=16383) + ods_cell("x")))


def ods_repeated_content() -> bytes:
    """The table, then one row of text repeated 1,000,000 times, its count written "+1000000"."""
    return ods(ods_table() + ods_row(ods_cell("x")).replace("<table:table-row>", '<table:table-row table:number-rows-repeated="+1000000">'))


def sheets_stored_in_reverse() -> bytes:
    """填表说明 then the table, whose part is xl/worksheets/sheet1.xml all the same (the workbook's
    relationships say which part is which sheet). The table's hidden column G, a second 责任单位,
    names a unit that must not be imported."""
    wb = Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes.append(["1. 每个问题可对应多条整改措施。"])
    table = wb.create_sheet("问题清单")
    table.append([*HEADERS, "责任单位"])
    table.append([*GOOD_ROW, "隐藏列中的单位"])
    table.column_dimensions["G"].hidden = True
    source = zipfile.ZipFile(io.BytesIO(save(wb)))
    parts = {"xl/worksheets/sheet1.xml": "xl/worksheets/sheet2.xml", "xl/worksheets/sheet2.xml": "xl/worksheets/sheet1.xml"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"sheet1.xml", b"@").replace(b"sheet2.xml", b"sheet1.xml").replace(b"@", b"sheet2.xml")
            out.writestr(parts.get(item.filename, item.filename), data)
    return buffer.getvalue()
