"""From sheet rows to problems and measures, collecting every error instead of stopping.

The layouts understood are those of ../shared/DOMAIN.md: title and filler rows above the
header; one- or two-row headers; section rows across the width (一、……方面 / （一）……);
a problem merged over its measure rows or written once with the rows below left blank;
several numbered measures in one cell; several names in one cell; blank rows; trailing
notes (注：……); hidden columns; sheets with no table (an instructions sheet).
"""
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from openpyxl.utils import get_column_letter

from rectify.accounts.people import split_names
from rectify.core.timeutil import format_date
from rectify.imports.deadlines import Deadline, DeadlineError, parse_deadline
from rectify.imports.headers import FIELD_LABELS, find_header, normalize_header
from rectify.imports.reader import Sheet, merged_value_grid, optional_text
from rectify.imports.report import ImportRefused, Report
from rectify.models import Department, MeasureStatus, Person, Problem

SECTION = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十]+[）)])")
SUB_SECTION = re.compile(r"^\s*[（(][一二三四五六七八九十]+[）)]")
NOTE_ROW = re.compile(r"^\s*(?:注|备注|说明|填表说明|填报说明)\s*[:：]")
NUMBERED = re.compile(r"(?:^|(?<=[；;。\n]))\s*(?:\d{1,2}\s*[.、．]|[（(]\d{1,2}[）)])\s*")
# The longest text a field may hold in the database; a longer one would fail the insert
# (PostgreSQL) or be stored whole where it should not fit (SQLite). Names are checked one by one.
FIELD_LIMITS = {
    "number": Problem.__table__.c.number.type.length,
    "aspect": Problem.__table__.c.aspect.type.length,
    "unit": Department.__table__.c.name.type.length,
    "cooperating": Department.__table__.c.name.type.length,
    "leader": Person.__table__.c.name.type.length,
    "owner": Person.__table__.c.name.type.length,
}
SECTION_LIMIT = min(Problem.__table__.c.aspect.type.length, Problem.__table__.c.category.type.length)
STATUS_WORDS = [
    (MeasureStatus.DONE, ("已销号", "已完成", "已整改", "完成整改", "整改完成", "已办结", "是")),
    (MeasureStatus.LONG_TERM, ("长期坚持", "持续整改", "持续推进", "基本完成", "阶段性成果")),
    (MeasureStatus.IN_PROGRESS, ("整改中", "正在整改", "推进中", "正在推进", "部分完成", "申请延期", "逾期", "进行中")),
    (MeasureStatus.NOT_STARTED, ("未启动", "待整改", "未开始", "未完成", "否")),
]


@dataclass
class ParsedMeasure:
    sheet: str
    row: int
    text: str
    goal: Optional[str] = None
    unit: Optional[str] = None
    cooperating: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    deadline: Deadline = Deadline(None)
    status: Optional[MeasureStatus] = None
    progress: Optional[str] = None
    note: Optional[str] = None


@dataclass
class ParsedProblem:
    sheet: str
    row: int
    number: Optional[str]
    description: str
    aspect: Optional[str] = None
    category: Optional[str] = None
    unit: Optional[str] = None
    leaders: list[str] = field(default_factory=list)
    measures: list[ParsedMeasure] = field(default_factory=list)


def status_for(text: str) -> Optional[MeasureStatus]:
    cleaned = normalize_header(text)
    for status, words in STATUS_WORDS:
        if cleaned in words:
            return status
    for status, words in STATUS_WORDS:
        if any(len(word) > 1 and word in cleaned for word in words):
            return status
    return None


def split_measures(text: str) -> list[str]:
    """1.……；2.…… or （1）……（2）…… in one cell → several measures (two or more items only)."""
    starts = [m for m in NUMBERED.finditer(text)]
    if len(starts) < 2:
        return [text.strip()]
    parts = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        part = text[match.end():end].strip().rstrip("；;")
        if part:
            parts.append(part)
    head = text[:starts[0].start()].strip()
    if head:  # words before the first number belong to the first measure
        parts[0] = f"{head}{parts[0]}"
    return parts


def parse_workbook(sheets: list[Sheet], reference: date, report: Report) -> list[ParsedProblem]:
    problems = []
    tables = 0
    for sheet in sheets:
        found = _parse_sheet(sheet, reference, report)
        if found is None:
            continue
        tables += 1
        problems.extend(found)
    if tables == 0:
        raise ImportRefused("未找到可识别的表头：表格中应有“存在问题”或“整改措施”等列名（可下载标准模板对照）。")
    if tables > 1:  # several sheets: each sheet is a section unless its rows name one
        for problem in problems:  # (a name longer than Excel's 31 characters is made up: cut it)
            problem.aspect = problem.aspect or problem.sheet[:SECTION_LIMIT]
    return problems


def _parse_sheet(sheet: Sheet, reference: date, report: Report) -> Optional[list[ParsedProblem]]:
    grid = merged_value_grid(sheet)
    header = find_header(grid, sheet.hidden_columns)
    if header is None:
        if any(optional_text(v) for row in grid for v in row):
            report.warn(sheet.name, None, None, "未找到表头，已跳过（如为填表说明等非数据工作表，可忽略）。")
        return None
    header_row, columns, height = header
    extra = {c: normalize_header(v) for c, v in enumerate(grid[header_row]) if c not in columns
             and c not in sheet.hidden_columns and optional_text(v) and normalize_header(v)}
    report.sheets.append({"sheet": sheet.name, "header_row": header_row + 1,
                          "columns": {_letter(c): f for c, f in sorted(columns.items())}})
    by_field = {f: c for c, f in columns.items()}
    limited = [(f, by_field[f], limit) for f, limit in FIELD_LIMITS.items() if f in by_field]
    problems: list[ParsedProblem] = []
    aspect = category = None
    current: Optional[ParsedProblem] = None
    for index in range(header_row + height, len(grid)):
        row = grid[index]
        cell = lambda name: optional_text(row[by_field[name]]) if name in by_field and by_field[name] < len(row) else None  # noqa: E731
        texts = [optional_text(v) for c, v in enumerate(row) if c not in sheet.hidden_columns]
        filled = [t for t in texts if t]
        if not filled:
            continue
        if NOTE_ROW.match(filled[0]):
            continue
        if len(set(filled)) == 1 and (len(filled) > 1 or SECTION.match(filled[0])):
            if len(filled[0]) > SECTION_LIMIT:
                first = next(c for c, v in enumerate(row) if c not in sheet.hidden_columns and optional_text(v))
                report.error(sheet.name, index, first, f"分类标题过长（{len(filled[0]):,} 个字），最多 {SECTION_LIMIT} 个字。")
                continue
            if SUB_SECTION.match(filled[0]):
                category = filled[0]
            else:
                aspect, category = filled[0], None
            continue
        if any(c < len(row) and len(str(row[c])) > limit for _, c, limit in limited) and _overlong(
                cell, limited, sheet, index, report):
            continue
        description, measure_text = cell("problem"), cell("measure")
        number = cell("number")
        if description and (current is None or description != current.description
                            or (number and current.number and number != current.number)):
            current = ParsedProblem(sheet.name, index, number, description, cell("aspect") or aspect, category,
                                    _first(cell("unit")), split_names(cell("leader")))
            problems.append(current)
        elif current is None:
            report.error(sheet.name, index, by_field.get("problem"), "缺少问题描述（“存在问题”列为空，且上方没有可延续的问题）。")
            continue
        if not measure_text:
            if "measure" in by_field:
                report.error(sheet.name, index, by_field["measure"], "缺少整改措施。")
            continue
        previous = current.measures[-1] if current.measures else None
        if previous and previous.row != index and measure_text == previous.text:
            previous.owners += [n for n in split_names(cell("owner")) if n not in previous.owners]
            continue
        _add_measures(current, measure_text, cell, by_field, extra, row, sheet, index, reference, report)
    return problems


def _add_measures(problem, measure_text, cell, by_field, extra, row, sheet, index, reference, report):
    units = split_names(cell("unit"))
    try:
        deadline = parse_deadline(row[by_field["deadline"]] if "deadline" in by_field else None, reference)
    except DeadlineError as error:
        report.error(sheet.name, index, by_field["deadline"], f"整改时限{error}，请写成如“2023年6月30日”“2023年6月底前”“立行立改”“长期坚持”。")
        deadline = Deadline(None)
    if deadline.year_inferred:
        report.warn(sheet.name, index, by_field["deadline"],
                    f"整改时限“{deadline.text}”未写年份，已按反馈日期推定为 {format_date(deadline.due_on)}。")
    status = None
    if cell("status"):
        status = status_for(cell("status"))
        if status is None:
            report.warn(sheet.name, index, by_field["status"], f"无法识别的整改状态“{cell('status')}”，按“未启动”导入。")
    notes = [v for v in [cell("note"), cell("evidence") and f"佐证材料：{cell('evidence')}"] if v]
    notes += [f"{name}：{optional_text(row[c])}" for c, name in extra.items() if c < len(row) and optional_text(row[c])]
    for text in split_measures(measure_text):
        problem.measures.append(ParsedMeasure(
            sheet.name, index, text, cell("goal"), units[0] if units else problem.unit,
            units[1:] + [u for u in split_names(cell("cooperating")) if u not in units],
            split_names(cell("leader")) or list(problem.leaders), split_names(cell("owner")),
            deadline, status, cell("progress"), "；".join(notes) or None,
        ))


def _overlong(cell, limited, sheet, index, report) -> bool:
    """Report each field of the row longer than the database holds; True when there was one."""
    found = False
    for name, column, limit in limited:
        parts = split_names(cell(name)) if name in ("unit", "cooperating", "leader", "owner") else [cell(name) or ""]
        longest = max(parts, key=len, default="")
        if len(longest) > limit:
            report.error(sheet.name, index, column, f"{FIELD_LABELS[name]}“{longest[:20]}……”过长（{len(longest):,} 个字），"
                                                    f"最多 {limit} 个字。")
            found = True
    return found


def _first(text: Optional[str]) -> Optional[str]:
    names = split_names(text)
    return names[0] if names else None


def _letter(column: int) -> str:
    return get_column_letter(column + 1)

