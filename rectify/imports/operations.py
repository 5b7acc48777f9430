"""Excel import of inspection findings: parse → validate everything → write once.

``import_findings`` reads the file (a workbook, or a Word document's tables), collects every error and warning with its sheet, row and
column, and writes only when there is no error — the findings and the import's record (who,
when, which door, the file's SHA-256, the counts), whichever door it came through. The caller
commits (or, for a preview, a dry run or a refusal, rolls back): nothing is ever half-imported.
``undo_import`` takes an import back on the same terms for every door.
"""
import hashlib
import re
from dataclasses import replace
from datetime import date
from typing import Callable, Optional

from flask import current_app

from rectify.core.extensions import db
from rectify.core.timeutil import local_today, utcnow
from rectify.imports.mapping import Mapping, MappingError, remember, remembered
from rectify.imports.merge import Resolution
from rectify.imports.parser import parse_workbook
from rectify.imports.reader import DOCUMENTS, Limits, check_file, read_sheets
from rectify.imports.report import Finding, ImportRefused, Report
from rectify.imports.undo import UndoRefused, undo_import
from rectify.imports.writer import BatchSpec, find_batch, write
from rectify.models import Batch, ImportRecord, User

__all__ = ["BatchSpec", "ImportRefused", "Mapping", "MappingError", "Report", "Resolution", "UndoRefused",
           "import_findings", "undo_import"]
DOORS = {"web": "网页", "api": "接口", "cli": "命令行"}


def import_findings(data: bytes, filename: str, spec: BatchSpec, by: Optional[User], via: str,
                    progress: Callable[[str], None] = lambda stage: None,
                    resolution: Resolution = Resolution(), mapping: Mapping = Mapping()) -> Report:
    """Parse and validate the workbook; when it has no error, write it and its record (uncommitted).

    ``via`` names the door (web, api, cli). ``progress`` is told each stage as it starts (the CLI
    prints them; a page could stream them). ``resolution`` is what the user chose for a
    re-import's conflicts, 已完成/待审核 measures and measures no longer listed (merge.py);
    ``mapping`` the user's column mapping and header row (mapping.py) — without one, a mapping
    remembered for the same headers applies; one given is remembered once the import is written.
    """
    report = Report(batch=spec.title)
    limits = Limits.from_config(current_app.config)
    longest = Batch.__table__.c.title.type.length
    if len(spec.title) > longest:
        report.errors.append(Finding(None, None, None, f"批次名称过长（{len(spec.title):,} 个字），最多 {longest} 个字。"))
        return report
    try:
        progress(f"检查文件“{filename}”（{len(data) / 1024:.0f} KB）")
        extension = check_file(data, filename, limits.max_mb)
        report.document = extension in DOCUMENTS
        sheets = read_sheets(data, filename, extension, limits)
        rows = sum(len(sheet.rows) for sheet in sheets)
        if report.document:
            progress(f"读取 Word 文档中的 {len(sheets)} 个表格，共 {rows} 行")
            report.warn(None, None, None, f"已读取 Word 文档中的 {len(sheets)} 个表格；表格以外的段落不导入。")
        else:
            progress(f"解析 {len(sheets)} 个工作表，共 {rows} 行")
        reference, basis = _reference_date(spec)
        report.mapping = mapping or None
        problems = parse_workbook(sheets, reference, report, basis, document=report.document, mapping=mapping,
                                  remembered=None if mapping else remembered())
    except ImportRefused as refused:
        report.errors.append(Finding(None, None, None, str(refused)))
        return report
    report.problems = len(problems)
    report.measures = sum(len(p.measures) for p in problems)
    report.parsed = problems
    if not spec.title:  # left empty on the page: the list's own title names the batch
        spec = replace(spec, title=propose_title(report, filename))
        report.batch, report.title_proposed = spec.title, True
    if not problems and not report.errors:
        report.errors.append(Finding(None, None, None, "表格中没有找到任何问题。"))
    if report.errors:
        return report
    progress(f"写入 {report.problems} 个问题、{report.measures} 项措施")
    batch = write(problems, spec, by, report, resolution)
    record = ImportRecord(batch=batch, filename=filename, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                          created_by=by, via=via, problems=report.problems, measures=report.measures,
                          summary={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
                          created_ids=report.created_ids, changes=report.record_changes)
    db.session.add(record)
    if mapping:
        remember(report.layouts, mapping, by, utcnow())
    db.session.flush()
    report.record_id = record.id
    report.imported = True
    return report


TITLE_WORDS = ("清单", "台账", "问题", "整改", "反馈", "意见", "通报", "交办", "明细", "情况", "汇总", "隐患", "审计", "巡察",
               "巡视", "督查")
NOT_TITLE = re.compile(r"^(附件|附表)\s*\d*[:：]?$|^(填报|填表|报送|制表|联系)|[:：]")


def propose_title(report: Report, filename: str) -> str:
    """The batch name a list proposes: the first title-like line above its header
    (县委第一巡察组反馈问题整改清单), else the file's name without its extension."""
    longest = Batch.__table__.c.title.type.length
    for sheet in report.sheets:
        for text in sheet.get("above_header", []):
            line = re.sub(r"\s+", "", text)
            if 6 <= len(line) <= longest and any(w in line for w in TITLE_WORDS) and not NOT_TITLE.search(line):
                return line
    return filename.rsplit(".", 1)[0].strip()[:longest] or "导入的问题清单"


def _reference_date(spec: BatchSpec) -> tuple[date, str]:
    """The date deadlines without a year, and relative ones (3天), are read from, and its name:
    the batch's feedback date, else today."""
    if spec.feedback_on:
        return spec.feedback_on, "反馈日期"
    batch = find_batch(spec)
    if batch and batch.feedback_on:
        return batch.feedback_on, "反馈日期"
    return local_today(), "今天（未填反馈日期）"
