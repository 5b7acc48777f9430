"""Workbooks the importer hands to users: the standard template, and a refused file marked up.

openpyxl takes a tenth of a second to import: it loads when one of these is made."""
import io
from typing import Iterable

from rectify.imports.report import Finding

TEMPLATE_COLUMNS = [
    ("序号", 6, "如 1 或 （一）1"), ("问题类别", 14, "所属方面，可留空（也可用整行“一、……方面”分组）"),
    ("存在问题", 40, "一个问题可对应多行措施：问题单元格可合并，或只在第一行填写"),
    ("整改措施", 40, "一格内可写多条：1.……；2.……"), ("整改目标", 20, None),
    ("责任领导", 10, "多人用顿号分隔"), ("责任单位", 14, "多个单位时第一个为牵头单位"), ("配合单位", 14, None),
    ("责任人", 10, "多人用顿号分隔"),
    ("整改时限", 16, "如 2023年6月30日、2023年6月底前、2023年第二季度、立行立改、长期坚持、2024年底前，并长期坚持"),
    ("整改进展", 30, None), ("整改状态", 10, "未启动、整改中、已完成、长期坚持"), ("备注", 16, None),
]
EXAMPLE = ["1", "一、党的领导方面", "落实意识形态工作责任制不到位。", "每半年召开1次意识形态工作专题会议。",
           "形成会议纪要", "王建国", "党政综合办公室", "组织人事部", "刘芳、周洁", "2023年6月30日", "", "未启动", ""]
ERROR_FILL = "FFC7CE"


def build_template() -> bytes:
    """标准模板: the standard headers, one example row, a status drop-down, help in comments."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "整改台账"
    sheet.append([name for name, _, _ in TEMPLATE_COLUMNS])
    sheet.append(EXAMPLE)
    for index, (name, width, help_text) in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if help_text:
            cell.comment = Comment(help_text, "整改台账系统")
        sheet.column_dimensions[cell.column_letter].width = width
    statuses = DataValidation(type="list", formula1='"未启动,整改中,已完成,长期坚持"', allow_blank=True,
                              showErrorMessage=True, errorTitle="整改状态", error="请从列表中选择")
    sheet.add_data_validation(statuses)
    statuses.add("L2:L2000")
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填表说明")
    for line in ["1. 第一行为表头，请勿修改列名；可删除不需要的列。",
                 "2. 一个问题对应多条措施时，每条措施占一行，问题单元格可合并。",
                 "3. 整改时限可写具体日期、“××月底前”“第×季度”，或“立行立改”“长期坚持”。",
                 "4. 多名责任人、多个单位之间用顿号“、”分隔。"]:
        notes.append([line])
    notes.column_dimensions["A"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def mark_errors(data: bytes, findings: Iterable[Finding]) -> bytes:
    """The user's own .xlsx with each bad cell filled red and the reason in its comment.

    openpyxl has neither the extent check nor the sandbox of the reader, so this opens only a
    workbook the importer has read: one with findings in its cells (only parsing names cells).
    """
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    findings = [finding for finding in findings if finding.names_a_cell]
    if not findings:
        raise ValueError("only a workbook the importer read and found errors in is marked")
    workbook = load_workbook(io.BytesIO(data))
    for finding in findings:
        if finding.sheet not in workbook.sheetnames:
            continue
        cell = workbook[finding.sheet][f"{finding.column}{finding.row}"]
        if type(cell).__name__ == "MergedCell":
            continue
        cell.fill = PatternFill("solid", fgColor=ERROR_FILL)
        cell.comment = Comment(finding.message, "整改台账系统")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
