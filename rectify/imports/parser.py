"""From sheet rows (or Word tables) to problems and measures, collecting every error instead of stopping.

The layouts understood are those of ../shared/DOMAIN.md: title and filler rows above the
header; one- or two-row headers named in any of the words offices use (headers.py); section
rows across the width (一、……方面 / （一）……); a problem merged over its measure rows or written
once with the rows below left blank; several numbered measures in one cell (numbering.py);
several names in one cell; blank rows; trailing notes (注：……); hidden columns; sheets with no
table (an instructions sheet); Word tables continued without their header.

Nothing is dropped silently: a column no field holds is kept in the measure's note under its
header and named once in the report; rows skipped (notes, totals) are named in a warning. A
problem listed without measures gets one measure that is the problem itself (its 整改要求
where the row has one), marked so that the unit can rewrite or split it later.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Optional

from rectify.accounts.people import split_names
from rectify.core.timeutil import format_date
from rectify.imports.deadlines import Deadline, DeadlineError, parse_deadline
from rectify.imports.headers import (
    CORE,
    LABELS,
    Header,
    apply_mapping,
    choose,
    find_header,
    header_at,
    normalize_header,
    read_header,
)
from rectify.imports.mapping import Mapping, layout_key
from rectify.imports.numbering import Item, leading_number, split_items
from rectify.imports.reader import Sheet, merged_value_grid, optional_text
from rectify.imports.report import ImportRefused, Report, column_letter
from rectify.imports.statuses import status_for, status_stated
from rectify.ledgers.builder import ID_HEADER, OVERDUE_SHEET, SUMMARY_SHEET
from rectify.ledgers.rows import PROBLEM_ITSELF
from rectify.models import Department, Measure, MeasureStatus, Person, Problem

SECTION = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(][一二三四五六七八九十]+[）)])")
SUB_SECTION = re.compile(r"^\s*[（(][一二三四五六七八九十]+[）)]")
CHINESE_ORDINAL = re.compile(r"^[（(]?[一二三四五六七八九十]+[）)、.．]?$")
SKIPPED_STARTS = set("注备说填合小总审制联")
SKIPPED_ROW = re.compile(r"^\s*(?:注|备注|说明|填表说明|填报说明|合计|小计|总计|填表人|填报人|审核人|制表人|联系人|"
                         r"填报日期|填表日期|联系电话)\s*[:：\d]")
LABEL = re.compile(r"【([^】]{1,12})】")
OWN_DEADLINE = re.compile(r"(?P<outer>[^（]+)（(?P<inner>[^）]+)）")
# The longest text a field may hold in the database; a longer one would fail the insert
# (PostgreSQL) or be stored whole where it should not fit (SQLite). Names are checked one by one.
FIELD_LIMITS = {
    "number": Problem.__table__.c.number.type.length,
    "aspect": Problem.__table__.c.aspect.type.length,
    "location": Problem.__table__.c.location.type.length,
    "unit": Department.__table__.c.name.type.length,
    "cooperating": Department.__table__.c.name.type.length,
    "leader": Person.__table__.c.name.type.length,
    "owner": Person.__table__.c.name.type.length,
}
NAMES = ("unit", "cooperating", "leader", "owner")
SECTION_LIMIT = min(Problem.__table__.c.aspect.type.length, Problem.__table__.c.category.type.length)
DEADLINE_TEXT_LIMIT = Measure.__table__.c.deadline_text.type.length
# A measure row's own cells: a row repeating them under the same problem adds nothing.
MEASURE_FIELDS = ("measure", "goal", "leader", "unit", "cooperating", "owner", "deadline", "completed", "progress",
                  "status", "evidence", "note", "supervisor")


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
    is_problem_itself: bool = False
    completed_on: Optional[date] = None
    signature: tuple = ()  # the row's own cells, to recognise a row that only repeats them
    system_id: Optional[int] = None  # the measure's id, in a ledger this system exported (系统编号 "id:version")


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
    location: Optional[str] = None


def parse_workbook(sheets: list[Sheet], reference: date, report: Report, basis: str = "反馈日期",
                   document: bool = False, mapping: Mapping = Mapping(),
                   remembered: Optional[dict[str, Mapping]] = None) -> list[ParsedProblem]:
    """Every table's problems. ``basis`` names where ``reference`` came from (the feedback date or
    today); ``document``: the sheets are a Word document's tables (表格1, 表格2…). ``mapping`` is the
    user's column mapping (mapping.py); without one, a ``remembered`` mapping for a sheet's header
    layout applies."""
    own = _own_ledger(sheets)
    problems, tables, previous = [], 0, None
    for sheet in sheets:
        if own and sheet.name in (SUMMARY_SHEET, OVERDUE_SHEET):
            report.warn(sheet.name, None, None, "本系统导出台账的汇总工作表，已跳过。")
            continue
        parser = SheetParser(sheet, reference, basis, report, own, previous if document else None,
                             mapping, remembered or {})
        found = parser.parse()
        if found is None:
            continue
        previous = parser
        tables += 1
        problems.extend(found)
    if tables == 0:
        where = "文档的表格" if document else "表格"
        raise ImportRefused(f"未找到可识别的表头：{where}中应有“存在问题”或“整改措施”等列名（可下载标准模板对照）。")
    if tables > 1 and not document:  # several sheets: each sheet is a section unless its rows name one
        for problem in problems:  # (a name longer than Excel's 31 characters is made up: cut it)
            problem.aspect = problem.aspect or problem.sheet[:SECTION_LIMIT]
    itself = sum(m.is_problem_itself for p in problems for m in p.measures)
    if itself:
        report.warn(None, None, None, f"{itself} 项措施由未列整改措施的问题生成（以问题本身或其整改要求作为措施），"
                                      "已标记为“待细化”，可在整改方案中改写或拆分。")
    return problems


def _system_id(value: Optional[str]) -> Optional[int]:
    """The measure id of a 系统编号 cell ("123:4", the id and the version it was exported at)."""
    head = (value or "").split(":", 1)[0].strip()
    return int(head) if head.isdigit() and len(head) < 12 else None


def _own_ledger(sheets: list[Sheet]) -> bool:
    """A ledger this system exported: its hidden 系统编号 column is in a header row."""
    return any(normalize_header(value) == ID_HEADER for sheet in sheets for row in sheet.rows[:10] for value in row)


class SheetParser:
    """One sheet (or table): its header, then row by row, problems and their measures."""

    def __init__(self, sheet: Sheet, reference: date, basis: str, report: Report, own: bool,
                 previous: Optional["SheetParser"], mapping: Mapping = Mapping(),
                 remembered: Optional[dict[str, Mapping]] = None):
        self.sheet, self.reference, self.basis, self.report, self.own = sheet, reference, basis, report, own
        self.mapping, self.remembered = mapping, remembered or {}
        self.previous = previous
        self.hidden = sheet.hidden_columns
        self.problems: list[ParsedProblem] = []
        self.current: Optional[ParsedProblem] = None
        self.aspect = self.category = None
        self.section_changed = False
        self.relative = defaultdict(list)  # (text, date) → rows
        self.undated: list[int] = []
        self.stated = defaultdict(list)  # status stated by progress text → rows
        self.header: Optional[Header] = None

    # -- the header --------------------------------------------------------------------------
    def parse(self) -> Optional[list[ParsedProblem]]:
        grid = merged_value_grid(self.sheet)
        header = find_header(grid, self.hidden)
        mapping = self._mapping(header)
        chosen_row = mapping.header_row(self.sheet.name)
        if chosen_row is not None:
            if chosen_row > len(grid):
                self.report.error(self.sheet.name, None, None,
                                  f"指定的表头行第 {chosen_row} 行超出了工作表的范围（共 {len(grid)} 行）。")
                return None
            header = header_at(grid, chosen_row - 1, self.hidden)
        previous = self.previous
        if header is None and previous is not None and grid and len(grid[0]) == self._width(previous.header):
            header = Header(-1, 1, previous.header.columns)  # a Word table continued on the next page
            self.aspect, self.category, self.current = previous.aspect, previous.category, previous.current
            self.report.warn(self.sheet.name, None, None, "没有表头，按上一个表格的列继续读取。")
        elif header is not None:
            choose(header, grid, self.hidden)
        if header is not None and mapping.columns:
            for column in apply_mapping(header, mapping.columns):
                self.hidden = self.hidden | {column.index}  # its cells are left out, as a hidden column's
                self.report.warn(self.sheet.name, None, column.index, f"按设置不导入“{column.header}”列。")
        if header is not None and chosen_row is not None and not set(header.by_field) & CORE:
            self.report.error(self.sheet.name, chosen_row - 1, None, "以这一行作为表头时，没有“存在问题”“整改要求”或"
                                                                    "“整改措施”列，请另选表头行或指定列的字段。")
            return None
        if header is None:
            texts = list(dict.fromkeys(t for row in grid for t in map(optional_text, row) if t))
            if texts:
                shown = "”“".join(texts[:20]) + ("”等" if len(texts) > 20 else "”")
                self.report.warn(self.sheet.name, None, None,
                                 f"未找到表头，已跳过（如为填表说明等非数据工作表，可忽略）：“{shown}。")
            return None
        self.header, self.by_field = header, header.by_field
        self.note_columns = [c for c in sorted(header.columns.values(), key=lambda c: c.index)
                             if c.field in (None, "note", "evidence", "supervisor")]
        self.width = max(header.columns) + 1 if header.columns else 0
        self.limited = [(name, limit) for name, limit in FIELD_LIMITS.items() if name in self.by_field]
        self._describe(grid, header)
        for index in range(header.row + header.height, len(grid)):
            self._row(index, grid[index])
        self._finish()
        return self.problems

    def _mapping(self, found: Optional[Header]) -> Mapping:
        """The user's mapping, else one remembered for the header layout found; the layout is
        noted for remembering a mapping confirmed now."""
        if found is None:
            return self.mapping
        headers = [c.header for c in sorted(found.columns.values(), key=lambda c: c.index)]
        layout = layout_key(headers)
        self.report.layouts[layout] = headers
        if not self.mapping and layout in self.remembered:
            self.report.mapping = self.remembered[layout]
            return self.remembered[layout]
        return self.mapping

    @staticmethod
    def _width(header: Header) -> int:
        return max(header.columns) + 1 if header.columns else 0

    def _describe(self, grid, header: Header) -> None:
        columns = header.columns.values()
        above = [t for row in grid[:max(header.row, 0)] for t in dict.fromkeys(optional_text(v) for v in row) if t]
        self.report.sheets.append({
            "sheet": self.sheet.name, "header_row": header.row + 1,
            "columns": {_letter(c.index): c.field for c in columns if c.field},
            "fields": [{"column": _letter(c.index), "header": c.header, "field": c.field or "note",
                        "label": LABELS.get(c.field, "备注"), "reason": c.reason} for c in columns],
            "above_header": above,
        })
        for c in columns:
            if c.field and c.field != "system_id":
                self.report.columns.setdefault(c.header, c.field)
            elif c.field is None:
                if c.header not in self.report.unmapped:
                    self.report.unmapped.append(c.header)
                    why = "未识别的列" if c.reason in ("未识别的列名", "不是导入字段") else f"{c.reason}：列"
                    self.report.warn(self.sheet.name, None, c.index, f"{why}“{c.header}”，已作为备注保存。")
        if not ({"measure"} & set(self.by_field)) and self.by_field.keys() & {"problem", "requirement"}:
            self.report.warn(self.sheet.name, None, None, "表中没有整改措施列：每个问题各生成一项待细化的措施。")

    # -- one row -----------------------------------------------------------------------------
    def _cell(self, row, name) -> Optional[str]:
        column = self.by_field.get(name)
        return self.texts[column] if column is not None and column < len(self.texts) else None

    def _row(self, index: int, row: list) -> None:
        self.texts = texts = [None if c in self.hidden else optional_text(v) for c, v in enumerate(row)]
        filled = [(c, t) for c, t in enumerate(texts) if t]
        if not filled:
            return
        texts = [t for _, t in filled]
        if texts[0][:1] in SKIPPED_STARTS and SKIPPED_ROW.match(texts[0]):
            self.report.warn(self.sheet.name, index, filled[0][0], f"表格说明或合计行，未导入：“{'　'.join(dict.fromkeys(texts))}”。")
            return
        if self._repeats_header(row):
            return
        if self._section(index, filled):
            return
        if self._overlong(row, index):
            return
        cells = {name: self._cell(row, name) for name in self.by_field}
        labelled = self._labelled(cells.get("problem"))
        for name, value in labelled.items():
            if not cells.get(name) or name == "problem":
                cells[name] = value
        description = cells.get("problem") or (cells.get("requirement") if "problem" not in self.by_field else None) \
            or (cells.get("measure") if not self.by_field.keys() & {"problem", "requirement"} else None)
        number = cells.get("number")
        if description and not self.own:
            own_number, description = leading_number(description)
            number = number or own_number
        location = cells.get("location")
        current = self.current
        if description and (current is None or self.section_changed or description != current.description
                            or (number and current.number and number != current.number)
                            or (location and current.location and location != current.location)):
            units = split_names(cells.get("unit"))
            aspect, category = self._sections(cells.get("aspect"))
            self.current = ParsedProblem(self.sheet.name, index, number, description, aspect, category,
                                         units[0] if units else None, split_names(cells.get("leader")),
                                         location=location)
            self.problems.append(self.current)
            self.section_changed = False
        elif self.current is None:
            self.report.error(self.sheet.name, index, self.by_field.get("problem"),
                              "缺少问题描述（“存在问题”列为空，且上方没有可延续的问题）。")
            return
        self._measures(index, row, cells, filled)

    def _sections(self, written: Optional[str]) -> tuple[Optional[str], Optional[str]]:
        """方面 and 类: the section rows above, with the row's own 问题类别 under them (方面 → 类)."""
        if written is None or written in (self.aspect, self.category):
            return self.aspect, self.category
        if self.aspect is None:
            return written, self.category
        if self.category is None:
            return self.aspect, written
        return self.aspect, self.category  # both levels named by sections: the column goes to the note

    def _repeats_header(self, row) -> bool:
        """A header row repeated further down (a table pasted twice, a page's header)."""
        keyed = [c for c in self.header.columns.values() if c.key]
        first = self.texts[keyed[0].index] if keyed and keyed[0].index < len(self.texts) else None
        if first is None or len(first) > 20 or normalize_header(first) != keyed[0].key:
            return False  # the first header cell is not repeated: not a header (the usual, fast answer)
        same = sum(1 for c in keyed if c.index < len(row) and normalize_header(row[c.index]) == c.key)
        return same >= max(2, len(self.header.columns) // 2)

    def _section(self, index: int, filled) -> bool:
        """一、……方面 / （一）…… across the row, or alone and short outside the columns holding problems."""
        number_column = self.by_field.get("number")
        rest = [(c, t) for c, t in filled if c != number_column]
        numbers = [t for c, t in filled if c == number_column]
        if not rest and numbers and SECTION.match(numbers[0]) and len(numbers[0]) > 4:
            rest, numbers = [(number_column, numbers[0])], []  # a section written in the 序号 column
        if len({t for _, t in rest}) != 1:
            return False
        text = rest[0][1]
        short = len(text) <= 60 and not text.endswith(("。", "；", ";"))
        core = {self.by_field.get(name) for name in ("problem", "requirement", "measure")} - {None}
        if len(rest) > 1:
            pass  # merged across the width
        elif numbers:
            if not (short and CHINESE_ORDINAL.match(numbers[0])):
                return False
            text = numbers[0] + text if SECTION.match(numbers[0]) else f"{numbers[0].rstrip('、.．')}、{text}"
        elif not short or not (SECTION.match(text) or rest[0][0] not in core):
            return False
        if len(text) > SECTION_LIMIT:
            self.report.error(self.sheet.name, index, rest[0][0], f"分类标题过长（{len(text):,} 个字），最多 {SECTION_LIMIT} 个字。")
            return True
        if SUB_SECTION.match(text):
            self.category = text
        else:
            self.aspect, self.category = text, None
        self.section_changed = True
        return True

    def _labelled(self, text: Optional[str]) -> dict[str, str]:
        """【存在问题】……【整改措施】…… in one cell: each label's text to its field."""
        if not text or "【" not in text:
            return {}
        parts = LABEL.split(text)
        found = {}
        head = parts[0].strip()
        for label, value in zip(parts[1::2], parts[2::2]):
            name = read_header(label).field
            value = value.strip().strip("：:；;")
            if name and value and name not in found:
                found[name] = value
            elif value:
                head = f"{head}【{label}】{value}"
        if "problem" not in found and found:
            found["problem"] = head or text
        elif head and "problem" in found:
            found["problem"] = f"{head}{found['problem']}"
        return found

    def _overlong(self, row, index) -> bool:
        """Report each field of the row longer than the database holds; True when there was one."""
        found = False
        for name, limit in self.limited:
            text = self._cell(row, name)
            if not text or len(text) <= limit:
                continue
            parts = split_names(text) if name in NAMES else [text]
            longest = max(parts, key=len, default="")
            if len(longest) > limit:
                self.report.error(self.sheet.name, index, self.by_field[name],
                                  f"{LABELS[name]}“{longest[:20]}……”过长（{len(longest):,} 个字），最多 {limit} 个字。")
                found = True
        return found

    # -- the row's measures ------------------------------------------------------------------
    def _measures(self, index: int, row, cells: dict, filled) -> None:
        problem = self.current
        signature = tuple(cells.get(name) for name in MEASURE_FIELDS)
        previous = problem.measures[-1] if problem.measures else None
        measure_text = cells.get("measure")
        if previous and previous.row != index:
            same_text = measure_text and measure_text == previous.text
            repeats = not measure_text and all(v is None or v == p for v, p in zip(signature, previous.signature))
            if same_text or repeats:  # a merged measure, or a row repeating the problem's cells
                previous.owners += [n for n in split_names(cells.get("owner")) if n not in previous.owners]
                self._unheaded(index, row, previous)
                return
        units = split_names(cells.get("unit"))
        deadline, deadline_note = self._deadline(index, row)
        status, progress = self._status(index, cells)
        notes = self._notes(index, row, cells, problem) + deadline_note
        completed = self._completed(index, row, cells, notes)
        goal, itself = cells.get("goal"), False
        if self.own:
            goal, notes, location, itself = _own_notes(goal, notes)
            problem.location = problem.location or location
        requirement = cells.get("requirement")
        if measure_text:
            items = [Item(None, measure_text)] if self.own else split_items(measure_text)
            if requirement and requirement != problem.description:
                notes.insert(0, f"{self._header('requirement')}：{requirement}")
        else:
            text = requirement if requirement and requirement != problem.description else problem.description
            items, itself = [Item(None, leading_number(text)[1] if not self.own else text)], True
        for item in items:
            problem.measures.append(ParsedMeasure(
                self.sheet.name, index, item.text, goal, units[0] if units else problem.unit,
                units[1:] + [u for u in split_names(cells.get("cooperating")) if u not in units],
                split_names(cells.get("leader")) or list(problem.leaders), split_names(cells.get("owner")),
                deadline, status, progress, "；".join(notes) or None,
                is_problem_itself=itself or _same_text(item.text, problem.description),
                completed_on=completed, signature=signature,
                system_id=_system_id(cells.get("system_id")) if len(items) == 1 else None,
            ))
        self._unheaded(index, row, problem.measures[-1])

    def _header(self, name: str) -> str:
        return self.header.columns[self.by_field[name]].header

    def _unheaded(self, index, row, measure: ParsedMeasure) -> None:
        """Text in a column without a header: kept in the note under the column's letter."""
        if len(self.texts) <= self.width:
            return
        for c, text in enumerate(self.texts):
            if text and c not in self.header.columns:
                if not measure.note or text not in measure.note:
                    measure.note = "；".join(filter(None, [measure.note, f"{_letter(c)}列：{text}"]))
                if ("unheaded", c) not in self.report.seen:
                    self.report.seen.add(("unheaded", c))
                    self.report.warn(self.sheet.name, index, c, "此列没有列名，其内容已作为备注保存。")

    def _notes(self, index, row, cells, problem: ParsedProblem) -> list[str]:
        notes = []
        for column in self.note_columns:
            value = self.texts[column.index] if column.index < len(self.texts) else None
            if not value:
                continue
            if column.field == "note":
                notes.append(value if column.key in ("备注", "说明") else f"{column.header}：{value}")
            elif column.field is None or column.field in ("evidence", "supervisor"):
                notes.append(f"{column.header or _letter(column.index) + '列'}：{value}")
        aspect = cells.get("aspect")
        if aspect and aspect not in (problem.aspect, problem.category):
            notes.append(f"{self._header('aspect')}：{aspect}")
        location = cells.get("location")
        if location and problem.location and location != problem.location:
            notes.append(f"{self._header('location')}：{location}")
        return notes

    def _deadline(self, index, row) -> tuple[Deadline, list[str]]:
        column = self.by_field.get("deadline")
        value = row[column] if column is not None and column < len(row) else None
        try:
            deadline = parse_deadline(value, self.reference)
        except DeadlineError as error:
            self.report.error(self.sheet.name, index, column,
                              f"整改时限{error}，请写成如“2023年6月30日”“2023年6月底前”“3天”“立行立改”“长期坚持”。")
            return Deadline(None), []
        if deadline.year_inferred:
            self.report.warn(self.sheet.name, index, column,
                             f"整改时限“{deadline.text}”未写年份，已按{self.basis}推定为 {format_date(deadline.due_on)}。")
        if deadline.relative:
            self.relative[deadline.text, deadline.due_on].append(index)
        if deadline.due_on is None and not (deadline.is_immediate or deadline.is_long_term):
            self.undated.append(index)
        written = OWN_DEADLINE.fullmatch(deadline.text) if self.own else None
        if written:  # this system's ledger: the date, then the text as first written or the extension
            deadline = replace(deadline, text=written["outer"] if written["inner"].startswith("原定") else written["inner"])
        if len(deadline.text) > DEADLINE_TEXT_LIMIT:
            return deadline, [f"{self._header('deadline')}：{deadline.text}"]
        return deadline, []

    def _status(self, index, cells) -> tuple[Optional[MeasureStatus], Optional[str]]:
        written, progress = cells.get("status"), cells.get("progress")
        status = status_for(written) if written else None
        if written and status is None:
            self.report.warn(self.sheet.name, index, self.by_field["status"],
                             f"无法识别的整改状态“{written}”，已记入整改进展，状态按“未启动”导入。")
            progress = "；".join(filter(None, [f"{self._header('status')}：{written}", progress]))
        elif status is None and progress:
            status = status_stated(progress)
            if status is not None:
                self.stated[status].append(index)
        return status, progress

    def _completed(self, index, row, cells, notes) -> Optional[date]:
        text = cells.get("completed")
        if not text:
            return None
        column = self.by_field["completed"]
        try:
            return parse_deadline(row[column], self.reference).due_on
        except DeadlineError:
            notes.append(f"{self._header('completed')}：{text}")
            return None

    def _finish(self) -> None:
        column = self.by_field.get("deadline")
        for (text, due), rows in self.relative.items():
            self.report.warn(self.sheet.name, rows[0], column, f"整改时限“{text}”按{self.basis}（{format_date(self.reference)}）"
                                                                f"推算为 {format_date(due)}{_rows(rows)}。")
        if self.undated:
            where = "未写明整改时限" if column is not None else "所在表格没有整改时限列"
            self.report.warn(self.sheet.name, self.undated[0], column,
                             f"{len(self.undated)} 行{where}（空白、“限期整改”“未定”等），措施导入为无日期，请在系统中补充{_rows(self.undated)}。")
        for status, rows in self.stated.items():
            self.report.warn(self.sheet.name, rows[0], self.by_field.get("progress"),
                             f"整改进展写明了整改状态，状态按“{status.label}”导入{_rows(rows)}。")


def _rows(indexes: list[int]) -> str:
    shown = "、".join(str(i + 1) for i in indexes[:10])
    return f"（第 {shown}{' 等' if len(indexes) > 10 else ''} 行）"


def _own_notes(goal, notes):
    """What this system's ledger writes into 备注, one per line: 整改目标：…, 点位：…, the mark of a
    measure made of a problem; → (goal, the other notes, location, marked)."""
    kept, location, marked = [], None, False
    for note in notes:
        for part in note.split("\n"):
            if part.startswith("整改目标：") and not goal:
                goal = part.removeprefix("整改目标：")
            elif part.startswith("点位：") and not location:
                location = part.removeprefix("点位：")
            elif part == PROBLEM_ITSELF:
                marked = True
            elif part:
                kept.append(part)
    return goal, kept, location, marked


_PUNCTUATION = str.maketrans("", "", " \t\r\n。；;，,")


def _same_text(a: str, b: str) -> bool:
    """The same words, whatever the blanks and the closing punctuation."""
    return a == b or (abs(len(a) - len(b)) <= 8 and a.translate(_PUNCTUATION) == b.translate(_PUNCTUATION))


def _letter(column: int) -> str:
    return column_letter(column + 1)

