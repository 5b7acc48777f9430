"""整改情况报告: the report to the issuing body, drafted from a batch as it stands.

Its shape is the one offices use: the title 关于……反馈意见整改落实情况的报告, the addressee,
一、总体情况 (the figures, by problem then by measure, from rectify.tracking.counts like the
dashboard's), 二、整改落实情况 problem by problem under each 方面 (问题 → 整改措施 → what was done,
from the completion and progress notes → where it stands), 三、下一步打算 left as a marked
placeholder, 附件：……整改台账, and the office's name and the date.

``report_data`` reads the batch in a fixed number of statements; ``build_report`` is pure.
"""
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import BinaryIO, Optional, Union

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.core.timeutil import format_date
from rectify.core.titles import joined, report_title, subject_of
from rectify.models import (
    Batch,
    Department,
    Measure,
    MeasureStatus,
    Problem,
    ProblemStatus,
    ProgressUpdate,
    UpdateKind,
)
from rectify.tracking.counts import PROBLEM_WORDS, Figures, batch_figures, headline
from rectify.tracking.status import days_left, deadline_label, is_overdue, live_clause, problem_status_of

NOTE_KINDS = (UpdateKind.PROGRESS, UpdateKind.SUBMITTED)
ENDINGS = "。！？；…”」）)."
NO_ASPECT = "其他方面"


@dataclass
class MeasureEntry:
    text: str
    unit: str
    deadline: str
    status: MeasureStatus
    completed_on: Optional[date]
    overdue_days: Optional[int]
    original_due_on: Optional[date]
    progress: str = ""
    completion: str = ""


@dataclass
class ProblemEntry:
    number: str
    description: str
    status: ProblemStatus
    measures: list[MeasureEntry] = field(default_factory=list)


@dataclass
class ReportData:
    title: str
    batch_title: str
    kind: str
    issuer: str
    doc_number: str
    feedback_on: Optional[date]
    org: str
    as_of: date
    figures: Figures
    aspects: list[tuple[str, list[ProblemEntry]]]


def report_data(batch: Batch, as_of: date, org: str, long_term_closes: bool) -> ReportData:
    """Everything the report says about ``batch`` on ``as_of``: three statements whatever its size."""
    figures = batch_figures(None, as_of).get(batch.id, Figures())
    in_batch = sa.and_(live_clause(), Measure.problem_id.in_(sa.select(Problem.id).where(Problem.batch_id == batch.id)))
    rows = db.session.execute(
        sa.select(Problem.id.label("pid"), Problem.number, Problem.aspect, Problem.description,
                  Measure.id, Measure.text, Measure.status, Measure.due_on, Measure.original_due_on,
                  Measure.deadline_text, Measure.is_immediate, Measure.is_long_term, Measure.completed_on,
                  Department.name.label("unit"))
        .join(Measure.problem).outerjoin(Department, Department.id == Measure.lead_unit_id)
        .where(in_batch).order_by(Problem.position, Problem.id, Measure.position, Measure.id)
    ).all()
    latest = (sa.select(sa.func.max(ProgressUpdate.id)).join(Measure, Measure.id == ProgressUpdate.measure_id)
              .where(in_batch, ProgressUpdate.kind.in_(NOTE_KINDS))
              .group_by(ProgressUpdate.measure_id, ProgressUpdate.kind))
    notes = {(measure_id, kind): text for measure_id, kind, text in db.session.execute(
        sa.select(ProgressUpdate.measure_id, ProgressUpdate.kind, ProgressUpdate.text)
        .where(ProgressUpdate.id.in_(latest)))}
    aspects: list[tuple[str, list[ProblemEntry]]] = []
    for _, group in groupby(rows, key=lambda row: row.pid):
        group = list(group)
        first = group[0]
        measures = [MeasureEntry(
            text=m.text, unit=m.unit or "", deadline=deadline_label(m), status=m.status, completed_on=m.completed_on,
            overdue_days=-days_left(m, as_of) if is_overdue(m, as_of) else None, original_due_on=m.original_due_on,
            progress=notes.get((m.id, UpdateKind.PROGRESS), ""), completion=notes.get((m.id, UpdateKind.SUBMITTED), ""))
            for m in group]
        problem = ProblemEntry(first.number or "", first.description,
                               problem_status_of((m.status for m in measures), long_term_closes), measures)
        aspect = first.aspect or NO_ASPECT
        if aspects and aspects[-1][0] == aspect:
            aspects[-1][1].append(problem)
        else:
            aspects.append((aspect, [problem]))
    return ReportData(title=report_title(batch.title), batch_title=batch.title, kind=batch.kind.label,
                      issuer=batch.issuer or "",
                      doc_number=batch.doc_number or "", feedback_on=batch.feedback_on, org=org, as_of=as_of,
                      figures=figures, aspects=aspects)


def sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text.endswith(tuple(ENDINGS)) else text + "。"


def heading_text(aspect: str) -> str:
    """一、党的领导弱化方面 → 党的领导弱化方面: the report numbers its headings itself."""
    stripped = aspect.strip()
    for marker in ("、", "．", ".", "）", ")"):
        head, found, tail = stripped.partition(marker)
        if found and head.strip("（(").strip() and all(c in "一二三四五六七八九十百零0123456789（(" for c in head):
            return tail.strip()
    return stripped


def where_it_stands(m: MeasureEntry) -> str:
    """What was done and where the measure stands, in the report's words."""
    unit = f"（责任单位：{m.unit}）" if m.unit else ""
    extended = f"经批准延期至{m.deadline}（原定{format_date(m.original_due_on)}）。" if m.original_due_on else ""
    if m.status is MeasureStatus.DONE:
        when = f"{format_date(m.completed_on)}经审核销号" if m.completed_on else "已审核销号"
        return f"已完成。{sentence(m.completion or m.progress)}{when}。{unit}"
    if m.status is MeasureStatus.LONG_TERM:
        later = f"最近进展：{sentence(m.progress)}" if m.progress and m.completion else ""
        return f"阶段性完成，转入长期坚持。{sentence(m.completion or m.progress)}{later}{unit}"
    if m.status is MeasureStatus.PENDING_REVIEW:
        return f"已完成整改，待审核销号。{sentence(m.completion or m.progress)}{unit}"
    overdue = f"已逾期{m.overdue_days}天。" if m.overdue_days else ""
    if m.status is MeasureStatus.IN_PROGRESS:
        return f"正在整改。{sentence(m.progress)}整改时限：{m.deadline}。{extended}{overdue}{unit}"
    return f"尚未启动，整改时限：{m.deadline}。{extended}{overdue}{unit}"


def build_report(data: ReportData, out: Union[str, Path, BinaryIO], template: Optional[Path] = None) -> None:
    """Write the report as a .docx to ``out``."""
    from rectify.reports.word import OfficialDocument, number  # python-docx: loaded when a document is made

    doc = OfficialDocument(template)
    doc.title(data.title)
    if data.issuer:
        doc.paragraph(f"{data.issuer}：", "公文主送")
    we = data.org or "我单位"
    opinions = "反馈意见" if data.kind == "其他" else f"{data.kind}意见"
    fed_back = "".join(part for part in (
        format_date(data.feedback_on), "，" if data.feedback_on else "",
        f"{data.issuer}向{we}反馈了{opinions}" if data.issuer else f"{we}收到{subject_of(data.batch_title)}",
        f"（{data.doc_number}）" if data.doc_number else "", "。"))
    doc.paragraph(f"{fed_back}{we}高度重视，对照反馈意见逐条建立问题清单、任务清单、责任清单，明确责任单位、责任人和"
                  "整改时限，逐项推进整改落实。现将整改落实情况报告如下。")
    f = data.figures
    doc.heading(1, f"{number(1, 1)}总体情况")
    doc.paragraph(f"截至{format_date(data.as_of)}，{headline(f)}")
    doc.placeholder("【待补充：整改工作的组织领导、主要做法和取得的成效。】")
    doc.heading(1, f"{number(1, 2)}整改落实情况")
    for i, (aspect, problems) in enumerate(data.aspects, start=1):
        doc.heading(2, f"{number(2, i)}{heading_text(aspect)}")
        for j, problem in enumerate(problems, start=1):
            described = problem.description.strip().rstrip("。；;，,")
            doc.heading(3, f"{number(3, j)}关于“{described}”的问题")
            done = sum(m.status in (MeasureStatus.DONE, MeasureStatus.LONG_TERM) for m in problem.measures)
            doc.paragraph(f"整改情况：{PROBLEM_WORDS[problem.status]}。制定整改措施{len(problem.measures)}条，"
                          f"已完成{done}条。")
            for k, measure in enumerate(problem.measures, start=1):
                doc.heading(4, f"{number(4, k)}{sentence(measure.text)}")
                doc.paragraph(where_it_stands(measure))
    doc.heading(1, f"{number(1, 3)}下一步打算")
    unfinished = f.problems - f.closed
    doc.placeholder(f"【待填写：针对尚未整改到位的{unfinished}个问题、尚未完成的{f.measures - f.finished}条措施，"
                    "下一步的整改安排和建立长效机制的打算。】" if unfinished else
                    "【待填写：巩固整改成果、建立长效机制的打算。】")
    doc.paragraph("", "公文附件")
    doc.paragraph(f"附件：{joined(data.batch_title, '整改台账')}", "公文附件")
    doc.signature(data.org, format_date(data.as_of))
    doc.save(out)
