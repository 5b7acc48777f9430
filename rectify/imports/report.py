"""What an import found: errors and warnings by sheet, row and column, and the counts."""
from dataclasses import dataclass, field
from typing import Optional


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
            "warnings": [w.as_json() for w in self.warnings], "errors": [e.as_json() for e in self.errors],
        }


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
