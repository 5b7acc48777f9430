"""Column mapping when the guess is wrong: the user names a column's field, or the header row.

A ``Mapping`` says, by header (as read: blanks and brackets ignored, so 整改 时限（年月日） is
整改时限), which field a column fills — or ``note`` (kept in the measures' notes) or ``ignore``
(left out, named in a warning) — and, per sheet, the header row (1-based, as Excel shows it;
``*`` for every sheet). The parser applies it over its own reading (parser.SheetParser).

A mapping confirmed in an import is remembered for the header layout it was made for (the
headers the importer found by itself, in order: ``layout_key``) and applied again, said so in the
preview, the next time a workbook with the same headers arrives (``ImportMapping``).
"""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.imports.headers import LABELS, normalize_header
from rectify.models import ImportMapping

# The names a user may give (the CLI's --column 表头=字段), with the parser's own for each.
FIELD_NAMES = {
    "number": "number", "aspect": "aspect", "category": "aspect", "problem": "problem", "measure": "measure",
    "requirement": "requirement", "goal": "goal", "leader": "leader", "unit": "unit",
    "cooperating_units": "cooperating", "cooperating": "cooperating", "supervising_unit": "supervisor",
    "supervisor": "supervisor", "people": "owner", "owner": "owner", "deadline": "deadline",
    "completed": "completed", "progress": "progress", "status": "status", "location": "location",
    "evidence": "evidence", "note": "note", "ignore": "ignore",
}
# What the preview's drop-down offers, in the order of a ledger's columns.
CHOICES = [(name, LABELS[name]) for name in ("number", "aspect", "problem", "requirement", "measure", "goal",
                                              "leader", "unit", "cooperating", "supervisor", "owner", "deadline",
                                              "completed", "progress", "status", "location", "evidence")] \
    + [("note", "备注（保存到措施备注）"), ("ignore", "不导入")]
# The Chinese words for a field are accepted too (责任人=people's column).
_BY_LABEL = {label: name for name, label in LABELS.items()}


class MappingError(ValueError):
    """A mapping that cannot be applied; the message says which part."""


def field_name(given: str) -> str:
    """The parser's field for a name the user gave (people, 责任人, owner …)."""
    text = given.strip()
    if text.lower() in FIELD_NAMES:
        return FIELD_NAMES[text.lower()]
    if text in _BY_LABEL:
        return _BY_LABEL[text]
    if text in ("备注", "不导入", "忽略"):
        return "note" if text == "备注" else "ignore"
    raise MappingError(f"未知的字段“{given}”，可用：{'、'.join(sorted(set(FIELD_NAMES)))}。")


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # header key → parser field, note or ignore
    header_rows: dict[str, int] = field(default_factory=dict)  # sheet name (or "*") → 1-based row
    remembered: bool = False  # taken from an earlier import of the same layout
    automatic: bool = False  # the user asked for the importer's own reading (a remembered one is dropped)

    def __bool__(self) -> bool:
        """Whether the user said anything (a mapping, or "read it yourself")."""
        return bool(self.columns or self.header_rows or self.automatic)

    def header_row(self, sheet: str) -> Optional[int]:
        return self.header_rows.get(sheet, self.header_rows.get("*"))

    def field_for(self, header: str) -> Optional[str]:
        return self.columns.get(normalize_header(header))

    def as_json(self) -> str:
        return json.dumps({"columns": self.columns, "header_rows": self.header_rows, "automatic": self.automatic},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: Optional[str], remembered: bool = False) -> "Mapping":
        """The mapping a form or the database carries; anything malformed is refused."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            columns = {normalize_header(str(k)): field_name(str(v)) for k, v in dict(data.get("columns", {})).items()}
            rows = {str(k): int(v) for k, v in dict(data.get("header_rows", {})).items()}
        except (ValueError, TypeError, AttributeError) as error:
            raise MappingError(f"列设置无效：{error}") from None
        if any(not 1 <= row <= 1_048_576 for row in rows.values()):
            raise MappingError("表头行号应在 1 到 1048576 之间。")
        return cls({k: v for k, v in columns.items() if k}, rows, remembered, bool(data.get("automatic")))

    @classmethod
    def from_options(cls, columns: tuple[str, ...], header_row: Optional[str]) -> "Mapping":
        """The CLI's ``--column 表头=字段`` (repeatable) and ``--header-row N`` (or 工作表名:N)."""
        chosen = {}
        for option in columns:
            header, sep, name = option.rpartition("=")
            if not sep or not normalize_header(header):
                raise MappingError(f"--column 应写作“表头=字段”，如“责任科室=unit”：{option}")
            chosen[normalize_header(header)] = field_name(name)
        rows = {}
        if header_row:
            sheet, _, number = header_row.rpartition(":")
            if not number.strip().isdigit() or not 1 <= int(number) <= 1_048_576:
                raise MappingError(f"--header-row 应为行号（如 3），或“工作表名:行号”：{header_row}")
            rows[sheet or "*"] = int(number)
        return cls(chosen, rows)


def layout_key(headers: list[str]) -> str:
    """The identity of a header layout: its headers as read, in order."""
    return hashlib.sha256("\x1f".join(normalize_header(h) for h in headers).encode("utf-8")).hexdigest()


def remembered() -> dict[str, Mapping]:
    """Every remembered mapping by layout (a handful of rows)."""
    return {row.layout: Mapping.from_json(json.dumps(row.mapping, ensure_ascii=False), remembered=True)
            for row in db.session.scalars(sa.select(ImportMapping))}


def remember(layouts: dict[str, list[str]], mapping: Mapping, by, now: datetime) -> None:
    """Keep ``mapping`` for each layout it was applied to; the importer's own reading, confirmed,
    forgets what was kept (the caller commits)."""
    for key, headers in layouts.items():
        row = db.session.get(ImportMapping, key)
        if not (mapping.columns or mapping.header_rows):
            if row is not None:
                db.session.delete(row)
            continue
        row = row or ImportMapping(layout=key, headers=headers)
        row.mapping = json.loads(mapping.as_json())
        row.updated_at, row.updated_by_id = now, by.id if by is not None else None
        db.session.add(row)
