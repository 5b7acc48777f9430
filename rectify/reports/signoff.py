"""问题整改销号审批表: the sign-off form of one problem, on one A4 page for a typical problem.

The problem, its measures and what was done (completion and progress notes), the evidence
(names and dates), the responsible unit's opinion (who applied for sign-off and when) and the
supervising office's (who signed off and when, once every measure is), with blanks for the
signatures. ``signoff_data`` reads it in two statements beyond the problem the page loaded;
the page (templates/reports/signoff.html) and ``build_signoff`` (Word) show the same data.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Optional, Union

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from rectify.core.extensions import db
from rectify.core.timeutil import format_date, local_date
from rectify.models import (
    Evidence,
    Measure,
    MeasureStatus,
    Problem,
    ProblemStatus,
    ProgressUpdate,
    UpdateKind,
)
from rectify.tracking.status import deadline_label, problem_status

SIGNED_OFF = (UpdateKind.APPROVED, UpdateKind.STAGE_DONE)
SIGNATURE = "负责人（签字）：　　　　　　　　　　　　年　　月　　日"
REVIEWER_SIGNATURE = "审核人（签字）：　　　　　　　　　　　　年　　月　　日"


@dataclass
class SignoffMeasure:
    text: str
    unit: str
    owners: str
    deadline: str
    status: str
    completed_on: str
    done: str  # what was done: the completion note, else the latest progress


@dataclass
class Opinion:
    text: str = ""
    names: str = ""
    on: str = ""

    @property
    def signed(self) -> bool:
        return bool(self.text)


@dataclass
class SignoffData:
    batch: str
    number: str
    aspect: str
    description: str
    lead_unit: str
    leaders: str
    status: ProblemStatus
    measures: list[SignoffMeasure] = field(default_factory=list)
    evidence: list[tuple[str, str]] = field(default_factory=list)  # (file name, date)
    unit_opinion: Opinion = field(default_factory=Opinion)
    supervisor_opinion: Opinion = field(default_factory=Opinion)


def _names(people) -> str:
    return "、".join(p.name for p in people)


def _latest(updates, kinds) -> Optional[ProgressUpdate]:
    found = [u for u in updates if u.kind in kinds]
    return found[-1] if found else None


def _opinion(updates: list[ProgressUpdate], text: str) -> Opinion:
    """Signed by the authors of ``updates`` (one per measure), dated by the last of them."""
    names = "、".join(dict.fromkeys(u.author.name for u in updates if u.author))
    last = max(u.created_at for u in updates)
    return Opinion(text, names, format_date(local_date(last)))


def signoff_data(problem: Problem, measures: list[Measure], long_term_closes: bool) -> SignoffData:
    """The form's content for ``problem`` with ``measures`` (those the reader may see, live)."""
    ids = [m.id for m in measures] or [0]
    updates: dict[int, list[ProgressUpdate]] = {m.id: [] for m in measures}
    for update in db.session.scalars(
        sa.select(ProgressUpdate).where(ProgressUpdate.measure_id.in_(ids))
        .options(joinedload(ProgressUpdate.author)).order_by(ProgressUpdate.created_at, ProgressUpdate.id)
    ):
        updates[update.measure_id].append(update)
    files = db.session.scalars(
        sa.select(Evidence).where(Evidence.measure_id.in_(ids), Evidence.deleted_at.is_(None))
        .order_by(Evidence.uploaded_at, Evidence.id)).all()
    status = problem_status(measures, long_term_closes)
    data = SignoffData(
        batch=problem.batch.title, number=problem.number or "", aspect=problem.aspect or "",
        description=problem.description, lead_unit=problem.lead_unit.name if problem.lead_unit else "",
        leaders=_names(problem.leaders), status=status,
        evidence=[(f.filename, format_date(local_date(f.uploaded_at))) for f in files])
    submitted, approved = [], []
    for m in measures:
        mine = updates[m.id]
        completion = _latest(mine, (UpdateKind.SUBMITTED,))
        progress = _latest(mine, (UpdateKind.PROGRESS,))
        data.measures.append(SignoffMeasure(
            text=m.text, unit=m.lead_unit.name if m.lead_unit else "", owners=_names(m.owners),
            deadline=deadline_label(m), status=m.status.label, completed_on=format_date(m.completed_on),
            done=(completion or progress).text if (completion or progress) else ""))
        if m.status in (MeasureStatus.PENDING_REVIEW, MeasureStatus.DONE, MeasureStatus.LONG_TERM) and completion:
            submitted.append(completion)
        if status is ProblemStatus.CLOSED:
            approval = _latest(mine, SIGNED_OFF)
            if approval is not None:
                approved.append(approval)
    if measures and len(submitted) == len(measures):
        data.unit_opinion = _opinion(submitted, "该问题各项整改措施已落实，佐证材料齐全，申请销号。")
    if status is ProblemStatus.CLOSED and approved:
        notes = "；".join(dict.fromkeys(u.text for u in approved if u.text))
        data.supervisor_opinion = _opinion(approved, notes or "经审核，同意销号。")
    return data


def measure_lines(data: SignoffData) -> list[str]:
    lines = []
    for index, m in enumerate(data.measures, start=1):
        lines.append(f"{index}. {m.text}")
        facts = [f"责任单位：{m.unit or '未定'}", f"责任人：{m.owners or '未定'}", f"整改时限：{m.deadline}",
                 f"状态：{m.status}" + (f"（{m.completed_on}销号）" if m.completed_on else "")]
        lines.append("　　" + "；".join(facts))
        if m.done:
            lines.append(f"　　完成情况：{m.done}")
    return lines


def opinion_lines(opinion: Opinion, signature: str, who: str) -> list[str]:
    if not opinion.signed:
        return ["", "", signature]
    return [opinion.text, f"{who}：{opinion.names}　　{opinion.on}", signature]


def build_signoff(data: SignoffData, out: Union[str, Path, BinaryIO], unit: str, template: Optional[Path] = None) -> None:
    """The form as a .docx, an A4 page of one table under its title."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm

    from rectify.reports.word import OfficialDocument  # python-docx: loaded when a document is made

    doc = OfficialDocument(template)
    doc.paragraph("问题整改销号审批表", "公文标题")
    doc.paragraph(f"填报单位：{unit}", "公文表格")
    rows = [
        ("整改批次", data.batch, None, None),
        ("问题编号", data.number, "问题类别", data.aspect),
        ("反馈问题", data.description, None, None),
        ("牵头单位", data.lead_unit, "责任领导", data.leaders),
        ("整改措施及\n完成情况", "\n".join(measure_lines(data)) or "（尚无整改措施）", None, None),
        ("佐证材料", "\n".join(f"{i}. {name}（{day}）" for i, (name, day) in enumerate(data.evidence, start=1))
         or "（无）", None, None),
        ("责任单位\n意见", "\n".join(opinion_lines(data.unit_opinion, SIGNATURE, "申请人")), None, None),
        ("督办单位\n意见", "\n".join(opinion_lines(data.supervisor_opinion, REVIEWER_SIGNATURE, "审核人")), None, None),
        ("备注", "", None, None),
    ]
    widths = [Mm(28), Mm(58), Mm(25), Mm(45)]
    table = doc.doc.add_table(rows=len(rows), cols=4)
    table.style = doc.doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    style = doc.styles["公文表格"]
    for r, values in enumerate(rows):
        cells = table.rows[r].cells
        for cell, width in zip(cells, widths):
            cell.width = width
        if values[2] is None:
            cells[1].merge(cells[3])
        for col, text in ((0, values[0]), (1, values[1]), (2, values[2]), (3, values[3])):
            if text is None:
                continue
            cell = table.cell(r, col)
            lines = str(text).split("\n")
            cell.paragraphs[0].style = style
            run = cell.paragraphs[0].add_run(lines[0])
            run.bold = col in (0, 2)
            for line in lines[1:]:
                paragraph = cell.add_paragraph(style=style)
                paragraph.add_run(line).bold = col in (0, 2)
    doc.save(out)
