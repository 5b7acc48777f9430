"""An exported ledger comes back: progress filled in offline (Excel, WPS) becomes progress updates.

The ledger's hidden 系统编号 column ("measure id:version") moves with its row, so sorting or
filtering the sheet does no harm. For each row whose 整改进展 differs from the measure's latest
progress, the uploader posts that progress through the workflow (same permissions, same status
rules). A 整改状态 or 完成时间 typed into the sheet is recorded in the update's text but signs
nothing off: 销号 still needs evidence and a supervisor's review. A row whose measure changed
in the system since the export (its version moved) is refused and left as it is.
"""
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from rectify.core.extensions import db
from rectify.imports.headers import normalize_header
from rectify.imports.reader import Limits, check_file, read_sheets
from rectify.imports.report import Finding, ImportRefused
from rectify.ledgers.builder import ID_HEADER
from rectify.ledgers.rows import progress_texts
from rectify.models import Measure, User
from rectify.tracking import workflow
from rectify.tracking.permissions import can_view_measure

WANTED = {"整改进展": "progress", "整改状态": "status", "完成时间": "completed", "整改措施": "measure", ID_HEADER: "id"}


@dataclass
class Change:
    row: int
    measure_id: int
    measure: str
    old: str
    new: str
    claims: str


@dataclass
class RoundTrip:
    changes: list[Change] = field(default_factory=list)
    refused: list[Finding] = field(default_factory=list)
    unchanged: int = 0
    errors: list[Finding] = field(default_factory=list)


def read_changes(data: bytes, filename: str, user: User, limits: Limits) -> RoundTrip:
    """What uploading this edited ledger would change, and which rows it must refuse."""
    result = RoundTrip()
    try:
        extension = check_file(data, filename, limits.max_mb)
        sheets = read_sheets(data, filename, extension, limits)
    except ImportRefused as refused:
        result.errors.append(Finding(None, None, None, str(refused)))
        return result
    found = _find_table(sheets)
    if found is None:
        result.errors.append(Finding(None, None, None, "不是本系统导出的整改台账（找不到“系统编号”列），问题清单请在“导入”页面导入。"))
        return result
    sheet, header_row, columns = found
    entries = []
    for index in range(header_row + 1, len(sheet.rows)):
        row = sheet.rows[index]
        raw_id = str(row[columns["id"]]).strip() if columns["id"] < len(row) else ""
        if not raw_id:
            continue
        try:
            measure_id, version = (int(part) for part in raw_id.split(":"))
        except ValueError:
            result.refused.append(Finding(sheet.name, index + 1, None, f"系统编号“{raw_id}”无效，本行未处理。"))
            continue
        cell = lambda name: str(row[columns[name]]).strip() if name in columns and columns[name] < len(row) else ""  # noqa: E731
        entries.append((index + 1, measure_id, version, cell("progress"), cell("status"), cell("completed")))
    measures = {m.id: m for m in db.session.scalars(
        sa.select(Measure).where(Measure.id.in_([e[1] for e in entries] or [0]))
        .options(selectinload(Measure.owners), selectinload(Measure.leaders), selectinload(Measure.cooperating_units))
    )}
    latest = progress_texts(list(measures) or [0])
    for row, measure_id, version, progress, status, completed in entries:
        measure = measures.get(measure_id)
        if measure is None or measure.deleted_at is not None or not can_view_measure(user, measure):
            result.refused.append(Finding(sheet.name, row, None, "找不到该措施或无权查看，本行未处理。"))
            continue
        if progress == latest.get(measure_id, "") or not progress:
            result.unchanged += 1
            continue
        if version != measure.version:
            result.refused.append(Finding(sheet.name, row, None, f"“{measure.text[:20]}”在导出后已被修改，本行未应用，请重新导出后填写。"))
            continue
        refused = workflow.refusal(measure, user, "progress")  # the same rule as the page's 填报进展
        if refused is not None:
            why = (f"您无权填报“{measure.text[:20]}”的进展" if refused.status == 403
                   else f"“{measure.text[:20]}”状态为“{measure.status.label}”，不能再填报进展")
            result.refused.append(Finding(sheet.name, row, None, f"{why}，本行未应用。"))
            continue
        claims = "；".join(part for part in (
            f"表中填报状态：{status}" if status and status != measure.status.label else "",
            f"表中填报完成时间：{completed}" if completed else "",
        ) if part)
        result.changes.append(Change(row, measure_id, measure.text, latest.get(measure_id, ""), progress, claims))
    return result


def apply_changes(result: RoundTrip, user: User) -> int:
    """Post each change as a progress update by ``user``; the caller commits once."""
    for change in result.changes:
        measure = db.session.get(Measure, change.measure_id)
        text = change.new + (f"（{change.claims}）" if change.claims else "")
        workflow.post_progress(measure, user, text)
    return len(result.changes)


def _find_table(sheets) -> Optional[tuple]:
    for sheet in sheets:
        for index, row in enumerate(sheet.rows[:10]):
            names = {normalize_header(value): col for col, value in enumerate(row)}
            if ID_HEADER in names:
                columns = {field_name: names[header] for header, field_name in WANTED.items() if header in names}
                return sheet, index, columns
    return None
