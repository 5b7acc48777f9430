"""Workbooks shaped like the ledgers offices really send (see ../shared/DOMAIN.md)."""
import io
import zipfile

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
