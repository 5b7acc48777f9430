"""What an import found: errors and warnings by sheet, row and column, and the counts."""
from dataclasses import dataclass, field
from typing import Any, Optional


class ImportRefused(ValueError):
    """The file as a whole cannot be imported (wrong type, encrypted, too large, no table)."""


@dataclass(frozen=True)
class Finding:
    sheet: Optional[str]
    row: Optional[int]  # 1-based, as Excel shows it
    column: Optional[str]  # a letter, as Excel shows it
    message: str
    in_document: bool = field(default=False, compare=False)  # sheet is a Word table (表格2): 第 N 列

    def as_json(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}

    @property
    def names_a_cell(self) -> bool:
        """Only parsing names cells, and only a file past the reader's checks is parsed."""
        return bool(self.sheet and self.row and self.column)

    def __str__(self) -> str:
        if self.in_document:
            column = f"第 {column_number(self.column)} 列" if self.column else ""
            sheet = self.sheet or ""
        else:
            column = f"{self.column} 列" if self.column else ""
            sheet = f"工作表“{self.sheet}”" if self.sheet else ""
        where = "，".join(part for part in (sheet, f"第 {self.row} 行" if self.row else "", column) if part)
        return f"{where}：{self.message}" if where else self.message


@dataclass
class Report:
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    sheets: list[dict] = field(default_factory=list)
    created: dict = field(default_factory=lambda: {"problems": 0, "measures": 0, "units": 0, "people": 0})
    updated: dict = field(default_factory=lambda: {"problems": 0, "measures": 0})
    unchanged: dict = field(default_factory=lambda: {"problems": 0, "measures": 0})
    batch: Optional[str] = None
    problems: int = 0
    measures: int = 0
    imported: bool = False
    created_ids: dict = field(default_factory=dict)
    record_id: Optional[int] = None  # the import's record, once written
    columns: dict = field(default_factory=dict)  # header as written → the field it fills
    unmapped: list = field(default_factory=list)  # headers no field holds, kept in the measures' notes
    seen: set = field(default_factory=set)  # what was warned about once already
    document: bool = False  # the file is a Word document: its "sheets" are its tables
    # A re-import's merge (merge.py): fields changed (old → new), conflicts (the system's value and
    # the sheet's, which was taken), 已完成/待审核 measures left alone, measures no longer listed.
    changes: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    held: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    record_changes: dict = field(default_factory=dict)  # what undo needs (ImportRecord.changes)
    parsed: list = field(default_factory=list, repr=False)  # the problems as read, for the row-by-row preview
    layouts: dict = field(default_factory=dict)  # header layouts found (mapping.layout_key → headers)
    new_people: list = field(default_factory=list)  # {name, account, suggestions: [{name, detail}]}
    new_units: list = field(default_factory=list)  # {name, suggestions: [{name, detail}]}
    title_proposed: bool = False  # the batch name was left empty and taken from the list's title
    mapping: Any = None  # the column mapping applied (mapping.Mapping), when one was given or remembered

    def at(self, sheet: Optional[str], row: Optional[int]) -> list["Finding"]:
        """The errors and warnings of one row (``row`` 0-based, as the parser counts)."""
        if not hasattr(self, "_by_row"):
            self._by_row: dict = {}
            for finding in [*self.errors, *self.warnings]:
                if finding.row is not None:
                    self._by_row.setdefault((finding.sheet, finding.row), []).append(finding)
        return self._by_row.get((sheet, (row or 0) + 1), [])

    def error(self, sheet, row_index, column_index, message):
        self.errors.append(_finding(sheet, row_index, column_index, message, self.document))

    def warn(self, sheet, row_index, column_index, message):
        self.warnings.append(_finding(sheet, row_index, column_index, message, self.document))

    def as_json(self) -> dict:
        return {
            "batch": self.batch, "problems": self.problems, "measures": self.measures, "imported": self.imported,
            "record": self.record_id if self.imported else None,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged, "sheets": self.sheets,
            "columns": self.columns, "unmapped": self.unmapped,
            "mapping": None if not self.mapping else {"columns": self.mapping.columns,
                                                      "header_rows": self.mapping.header_rows,
                                                      "remembered": self.mapping.remembered},
            "changes": [_plain(c, "old", "new") for c in self.changes],
            "conflicts": [_plain(c, "system", "sheet", "taken") for c in self.conflicts],
            "held": [{"measure_id": h["measure_id"], "status": h["status"],
                      "fields": [_plain(f, "system", "sheet") for f in h["fields"]]} for h in self.held],
            "missing": [{k: m[k] for k in ("measure_id", "problem_id", "text", "status", "deleted")} for m in self.missing],
            "warnings": [w.as_json() for w in self.warnings], "errors": [e.as_json() for e in self.errors],
        }


def _plain(entry: dict, *names: str) -> dict:
    ids = {k: entry.get(k) for k in ("problem_id", "measure_id")}
    return {**ids, "field": entry["field"], **{name: entry.get(name) for name in names}}


def _finding(sheet, row_index, column_index, message, in_document=False) -> Finding:
    return Finding(
        sheet,
        row_index + 1 if row_index is not None else None,
        column_letter(column_index + 1) if column_index is not None else None,
        message,
        in_document and sheet is not None,
    )


def column_letter(number: int) -> str:
    """Excel's name of the column numbered from 1 (1 → A, 27 → AA), without loading openpyxl."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """The number of the column Excel names ``letters`` (A → 1, AA → 27)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number
