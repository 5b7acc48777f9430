"""Reports as offices make them: the 整改情况报告 (Word, read back and converted by LibreOffice), the
销号审批表 (page and Word), the 进展通报 (page, Word, the weekly job and its e-mails), the figures
agreeing with the dashboard's, and a fixed number of queries per page."""
import io
import json
import re
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from rectify.core.extensions import db
from rectify.core.timeutil import format_date, local_today, utcnow
from rectify.models import (
    Batch,
    Delivery,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    MeasureStatus,
    Person,
    Problem,
    ProgressUpdate,
    Role,
    SourceKind,
    UpdateKind,
)
from rectify.tracking.counts import batch_figures, headline

from conftest import page_queries, unavailable

S = MeasureStatus
ORG = "中共青山县委巡察工作领导小组办公室"


@pytest.fixture
def app_config():
    return {"RECTIFY_ORG_NAME": ORG}


@pytest.fixture
def seeded(app, session, make_measure, make_user):
    """A 巡察 batch of two 方面, four problems in every state, with notes, evidence and an extension."""
    with app.app_context():
        today = local_today()
    reviewer = make_user(Role.SUPERVISOR, name="督办员王芳")
    owner = make_user(Role.OWNER, name="责任人周洁", department="组织人事部")
    batch = Batch(kind=SourceKind.XUNCHA, title="县委第三巡察组反馈意见整改", issuer="县委第三巡察组",
                  doc_number="青巡反〔2023〕3号", feedback_on=today - timedelta(days=90))
    problems = [
        Problem(batch=batch, position=1, number="（一）1", aspect="一、党的领导弱化方面",
                description="落实意识形态工作责任制不到位。"),
        Problem(batch=batch, position=2, number="（一）2", aspect="一、党的领导弱化方面",
                description="理论学习中心组学习不规范。"),
        Problem(batch=batch, position=3, number="（二）1", aspect="二、党的建设缺失方面",
                description="流动党员管理不规范。"),
        Problem(batch=batch, position=4, number="（二）2", aspect="二、党的建设缺失方面",
                description="发展党员程序不严格。"),
    ]
    session.add_all(problems)
    other = Batch(kind=SourceKind.AUDIT, title="经济责任审计整改")
    session.add(Problem(batch=other, description="专项资金使用不规范。"))
    session.commit()
    m = {
        "done": make_measure(problem=problems[0], position=1, text="召开专题会议研究意识形态工作", unit="党政综合办公室",
                             status=S.DONE, completed_on=today - timedelta(days=3), due_on=today - timedelta(days=10)),
        "long": make_measure(problem=problems[0], position=2, text="建立意识形态工作责任清单", unit="党政综合办公室",
                             status=S.LONG_TERM, is_long_term=True),
        "overdue": make_measure(problem=problems[1], position=1, text="制定年度学习计划", unit="宣传统战部",
                                status=S.IN_PROGRESS, due_on=today - timedelta(days=2)),
        "review": make_measure(problem=problems[1], position=2, text="规范学习记录", unit="宣传统战部",
                               status=S.PENDING_REVIEW, due_on=today + timedelta(days=20)),
        "new": make_measure(problem=problems[2], position=1, text="完善流动党员台账", unit="组织人事部",
                            status=S.NOT_STARTED, due_on=today + timedelta(days=30), owners=[Person(name="周洁")]),
        "extended": make_measure(problem=problems[3], position=1, text="开展发展党员工作专项检查", unit="组织人事部",
                                 status=S.DONE, completed_on=today - timedelta(days=1),
                                 due_on=today + timedelta(days=5), original_due_on=today - timedelta(days=5)),
        "elsewhere": make_measure(problem=other.problems[0], text="追回违规资金", unit="财政局", status=S.IN_PROGRESS),
    }
    week = utcnow() - timedelta(days=2)
    for key, note in (("done", "已召开专题会议2次"), ("long", "责任清单已印发"), ("review", "学习记录已规范"),
                      ("extended", "专项检查已完成")):
        session.add(ProgressUpdate(measure=m[key], kind=UpdateKind.PROGRESS, text=f"{note}（进展）", author=owner,
                                   created_at=week - timedelta(days=5)))
        session.add(ProgressUpdate(measure=m[key], kind=UpdateKind.SUBMITTED, text=f"{note}。", author=owner,
                                   created_at=week - timedelta(days=1)))
    session.add(ProgressUpdate(measure=m["overdue"], kind=UpdateKind.PROGRESS, text="学习计划已起草", author=owner))
    for key in ("done", "extended"):
        session.add(ProgressUpdate(measure=m[key], kind=UpdateKind.APPROVED, text="经审核，同意销号。", author=reviewer,
                                   created_at=week))
    session.add(ProgressUpdate(measure=m["long"], kind=UpdateKind.STAGE_DONE, text="阶段性完成，转入长期坚持。",
                               author=reviewer, created_at=week))
    session.add(Evidence(measure=m["done"], filename="专题会议纪要.pdf", sha256="0" * 64, size=10,
                         content_type="application/pdf", uploaded_at=week - timedelta(days=1)))
    session.add(ExtensionRequest(measure=m["extended"], old_due_on=today - timedelta(days=5), new_due_on=today + timedelta(days=5),
                                 reason="需协调上级部门", status=ExtensionStatus.APPROVED, decided_by=reviewer,
                                 decided_at=week))
    session.commit()
    return {"today": today, "batch": batch.id, "problems": [p.id for p in problems], "measures": m,
            "reviewer": reviewer, "owner": owner}


def docx_text(data: bytes) -> tuple[Document, str]:
    doc = Document(io.BytesIO(data))
    cells = [p.text for t in doc.tables for row in t.rows for cell in row.cells for p in cell.paragraphs]
    return doc, "\n".join([p.text for p in doc.paragraphs] + cells)


def dashboard_figures(client):
    page = client.get("/").get_data(as_text=True)
    return {name: value for name, value in re.findall(r'data-figure="(\w+)">([^<]+)<', page)}, page


def test_the_report_reads_as_offices_write_it_and_agrees_with_the_dashboard(app, client, runner, session, login,
                                                                              seeded, tmp_path):
    out = tmp_path / "报告.docx"
    result = runner.invoke(args=["report", "县委第三巡察组反馈意见整改", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    doc, text = docx_text(out.read_bytes())
    paragraphs = [p for p in doc.paragraphs if p.text]
    assert paragraphs[0].text == "关于县委第三巡察组反馈意见整改落实情况的报告" == summary["title"]
    assert paragraphs[0].style.name == "公文标题" and paragraphs[1].text == "县委第三巡察组："
    headings = [(p.style.name, p.text) for p in paragraphs if p.style.name.startswith("公文") and "标题" in p.style.name[2:]]
    assert [h for h in headings if h[0] == "公文一级标题"] == [
        ("公文一级标题", "一、总体情况"), ("公文一级标题", "二、整改落实情况"), ("公文一级标题", "三、下一步打算")]
    assert ("公文二级标题", "（一）党的领导弱化方面") in headings and ("公文二级标题", "（二）党的建设缺失方面") in headings
    assert ("公文三级标题", "1.关于“落实意识形态工作责任制不到位”的问题") in headings
    assert ("公文四级标题", "（1）召开专题会议研究意识形态工作。") in headings
    for description in ("落实意识形态工作责任制不到位", "理论学习中心组学习不规范", "流动党员管理不规范", "发展党员程序不严格"):
        assert f"关于“{description}”的问题" in text
    assert "专项资金使用不规范" not in text  # another batch
    # The figures: as the dashboard shows them, as the ledger's 统计汇总 counts them.
    with app.app_context():
        figures = batch_figures(None, seeded["today"])[seeded["batch"]]
    assert (figures.problems, figures.closed, figures.in_progress, figures.not_started) == (4, 2, 1, 1)
    assert (figures.measures, figures.done, figures.long_term, figures.overdue, figures.extended) == (6, 2, 1, 1, 1)
    assert f"截至{format_date(seeded['today'])}，{headline(figures)}" in text
    assert "反馈问题4个，已整改到位2个，正在整改1个，未启动1个，整改完成率50%；制定整改措施6条，已完成2条，长期坚持1条" in text
    assert "经批准延期1条" in text and "逾期未完成1条" in text
    assert summary["figures"] == figures.as_json()
    login(seeded["reviewer"])
    page = client.get(f"/batches/{seeded['batch']}").get_data(as_text=True)
    shown = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', page))
    assert shown == {"problems": "4", "closed": "2", "in_progress": "1", "not_started": "1", "problems_overdue": "1",
                     "problem_rate": "50%"}
    assert headline(figures) in page
    overall, home = dashboard_figures(client)
    assert overall["problems"] == "5" and "反馈问题5个" in home  # the audit batch's problem too
    stats = load_workbook(summary["ledger"])["统计汇总"]
    rows = {r[0]: r for r in stats.iter_rows(values_only=True) if r[0]}
    assert rows["县委第三巡察组反馈意见整改"][1:8] == (4, 2, 1, 1, 1, 0.5, 6)
    assert stats["A2"].value == f"填报单位：{ORG}"
    # What was done, and where each measure stands.
    assert "已完成。已召开专题会议2次。" in text and "阶段性完成，转入长期坚持。责任清单已印发。" in text
    assert "正在整改。学习计划已起草。" in text and "已逾期2天" in text
    assert "已完成整改，待审核销号。学习记录已规范。" in text and "尚未启动" in text
    assert "县委第三巡察组向中共青山县委巡察工作领导小组办公室反馈了巡察意见（青巡反〔2023〕3号）" in text
    # The placeholder, the attachment and the signature.
    highlighted = [run.text for p in doc.paragraphs for run in p.runs if run.font.highlight_color is not None]
    assert any(t.startswith("【待填写：针对尚未整改到位的2个问题") for t in highlighted)
    assert "附件：县委第三巡察组反馈意见整改台账" in text
    assert paragraphs[-2].text == ORG and paragraphs[-1].text == format_date(seeded["today"])
    # 公文 layout: A4, margins, 三号 仿宋_GB2312 body, page numbers in the footer.
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    body = doc.styles["公文正文"]
    assert body.font.size.pt == 16
    assert body.element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋_GB2312"
    assert "PAGE" in section.footer._element.xml and "PAGE" in section.even_page_footer._element.xml
    assert "仿宋_GB2312" in _part(doc, "/word/fontTable.xml") and 'w:altName w:val="仿宋"' in _part(doc, "/word/fontTable.xml")


def _part(doc, name):
    return next(p for p in doc.part.package.iter_parts() if p.partname == name).blob.decode()


def test_the_report_from_the_batch_page(client, login, make_user, seeded):
    login(seeded["reviewer"])
    page = client.get(f"/batches/{seeded['batch']}").get_data(as_text=True)
    assert f'href="/batches/{seeded["batch"]}/report.docx"' in page
    response = client.get(f"/batches/{seeded['batch']}/report.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "关于县委第三巡察组反馈意见整改落实情况的报告" in docx_text(response.data)[1]
    login(seeded["owner"])  # a unit sees its part, not the office's report
    assert client.get(f"/batches/{seeded['batch']}/report.docx").status_code == 403
    assert "report.docx" not in client.get(f"/batches/{seeded['batch']}").get_data(as_text=True)


def test_the_report_command_refuses_an_unknown_batch(runner, seeded, tmp_path):
    result = runner.invoke(args=["report", "不存在的批次", str(tmp_path / "x.docx")])
    assert result.exit_code == 2 and "未找到批次" in result.output


@pytest.fixture(scope="module")
def soffice():
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        unavailable("libreoffice", "soffice not found (apt-get install libreoffice-writer-nogui)")
    return path


def to_pdf(soffice, source, folder) -> bytes:
    profile = f"-env:UserInstallation=file://{folder}/profile-{uuid.uuid4().hex}"
    result = subprocess.run([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                            capture_output=True, timeout=180)
    pdf = folder / (source.stem + ".pdf")
    if not pdf.exists():
        unavailable("libreoffice", f"Writer did not convert the document: {result.stderr.decode(errors='replace')[:300]}")
    return pdf.read_bytes()


def test_libreoffice_converts_the_documents_to_pdf(client, runner, login, seeded, tmp_path, soffice):
    runner.invoke(args=["report", str(seeded["batch"]), str(tmp_path / "report.docx"), "--no-ledger"])
    login(seeded["reviewer"])
    (tmp_path / "signoff.docx").write_bytes(client.get(f"/problems/{seeded['problems'][0]}/signoff.docx").data)
    (tmp_path / "bulletin.docx").write_bytes(client.get("/reports/bulletin.docx").data)
    for name in ("report", "signoff", "bulletin"):
        pdf = to_pdf(soffice, tmp_path / f"{name}.docx", tmp_path)
        assert pdf.startswith(b"%PDF") and len(pdf) > 3000, name
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages >= 1, name
        if name == "signoff":
            assert pages == 1  # a typical problem's form is one A4 page


def test_the_signoff_form_of_a_signed_off_problem(client, login, seeded):
    login(seeded["reviewer"])
    problem = seeded["problems"][0]
    ticket = client.get(f"/problems/{problem}").get_data(as_text=True)
    assert f'href="/problems/{problem}/signoff"' in ticket
    page = client.get(f"/problems/{problem}/signoff").get_data(as_text=True)
    for text in ("问题整改销号审批表", "落实意识形态工作责任制不到位。", "召开专题会议研究意识形态工作", "建立意识形态工作责任清单",
                 "完成情况：已召开专题会议2次。", "专题会议纪要.pdf", "申请人：责任人周洁", "审核人：督办员王芳",
                 "负责人（签字）", "审核人（签字）", f"填报单位：{ORG}", "data-print"):
        assert text in page, text
    doc, text = docx_text(client.get(f"/problems/{problem}/signoff.docx").data)
    for expected in ("问题整改销号审批表", "落实意识形态工作责任制不到位。", "1. 召开专题会议研究意识形态工作",
                     "专题会议纪要.pdf", "审核人：督办员王芳", "经审核，同意销号。", "负责人（签字）"):
        assert expected in text, expected
    assert round(doc.sections[0].page_width.mm) == 210


def test_the_signoff_form_of_an_open_problem_leaves_the_opinions_blank(client, login, seeded):
    login(seeded["reviewer"])
    page = client.get(f"/problems/{seeded['problems'][1]}/signoff").get_data(as_text=True)
    supervisor = page[page.index('id="signoff-supervisor"'):]
    assert "审核人：" not in supervisor[:supervisor.index("</td>")]
    unit = page[page.index('id="signoff-unit"'):]
    assert "申请人：" not in unit[:unit.index("</td>")]  # one of its measures is not yet submitted


def test_the_ticket_and_the_forms_print_without_navigation_buttons_or_forms(app):
    css = (app.static_folder + "/css/app.css")
    with open(css, encoding="utf-8") as handle:
        printing = handle.read().split("@media print", 1)[1]
    for selector in (".navbar", ".btn", "form", ".actions", "#audit-trail > :not(summary)"):
        assert selector in printing


def test_the_bulletin_ranks_units_and_lists_the_weeks_events(client, login, seeded):
    login(seeded["reviewer"])
    page = client.get("/reports/bulletin", query_string={"batch": seeded["batch"]}).get_data(as_text=True)
    assert "县委第三巡察组反馈意见整改进展通报" in page
    units = re.findall(r"<tr><td[^>]*>(\d+)</td><td[^>]*>([^<]+)</td>", page[page.index('id="bulletin-units"'):])
    assert [name for _, name in units][:1] == ["宣传统战部"]  # the one overdue measure ranks it first
    finished = page[page.index('id="bulletin-finished"'):page.index('id="bulletin-overdue"')]
    assert "召开专题会议研究意识形态工作" in finished and "开展发展党员工作专项检查" in finished
    assert "建立意识形态工作责任清单" in finished  # 阶段性完成
    assert "制定年度学习计划" in page[page.index('id="bulletin-overdue"'):page.index('id="bulletin-extended"')]
    assert "需协调上级部门" in page[page.index('id="bulletin-extended"'):]
    assert "新完成整改措施3条，新增逾期1条，批准延期1条" in page
    assert "追回违规资金" not in page  # another batch
    everything = client.get("/reports/bulletin").get_data(as_text=True)
    assert "财政局" in everything
    doc, text = docx_text(client.get("/reports/bulletin.docx", query_string={"batch": seeded["batch"]}).data)
    assert doc.paragraphs[0].text == "县委第三巡察组反馈意见整改进展通报"
    assert "宣传统战部" in text and "召开专题会议研究意识形态工作" in text and "需协调上级部门" in text
    assert client.get("/reports/bulletin", query_string={"days": "0"}).status_code == 400
    login(seeded["owner"])
    assert client.get("/reports/bulletin").status_code == 403


def test_the_weekly_bulletin_is_made_once_mailed_once_and_listed(app, client, session, login, make_user, seeded):
    from rectify.reports.bulletin import folder, make_weekly_bulletin

    app.config["SMTP_HOST"] = "127.0.0.1"
    leader = make_user(Role.LEADER, name="责任领导李明", email="liming@example.cn")
    make_user(Role.SUPERVISOR, name="督办员赵强", email="zhaoqiang@example.cn")
    make_user(Role.OWNER, name="责任人甲", email="jia@example.cn")
    now = datetime(2030, 1, 7, 0, 0)
    with app.app_context():
        first = make_weekly_bulletin(seeded["today"], now)
        again = make_weekly_bulletin(seeded["today"], now)
        path = folder() / first["file"]
        assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
        mails = db.session.scalars(sa.select(Delivery).order_by(Delivery.id)).all()
        assert {d.user.name for d in mails} == {"责任领导李明", "督办员赵强"}
        assert mails[0].attachment.endswith(".docx") and ORG in mails[0].body and "反馈问题" in mails[0].body
    assert first["made"] and first["emails"] == 2 and not again["made"] and again["emails"] == 0
    login(leader)
    listing = client.get("/ledger/").get_data(as_text=True)
    assert first["file"] in listing
    download = client.get(f"/reports/bulletins/{first['file']}")
    assert download.status_code == 200 and docx_text(download.data)[0].paragraphs[0].text == "整改进展通报"
    download.close()


def test_the_weekly_bulletin_is_a_scheduled_job(app):
    from rectify.scheduler.jobs import JOBS, triggers

    assert "weekly_bulletin" in JOBS and "weekly_bulletin" in triggers(app.config)


def test_a_done_measures_progress_in_the_ledger_is_its_completion_note(runner, seeded, tmp_path):
    out = tmp_path / "台账.xlsx"
    assert runner.invoke(args=["ledger", "export", str(out), "--batch", "县委第三巡察组反馈意见整改"]).exit_code == 0
    sheet = load_workbook(out)["整改台账"]
    progress = {row[3]: row[8] for row in sheet.iter_rows(min_row=4, values_only=True) if row[3]}
    assert progress["召开专题会议研究意识形态工作"] == "已完成：已召开专题会议2次。\n此前进展：已召开专题会议2次（进展）"
    assert progress["建立意识形态工作责任清单"].startswith("阶段性完成：责任清单已印发。")
    assert progress["制定年度学习计划"] == "学习计划已起草"
    assert sheet["A1"].value == "县委第三巡察组反馈意见整改台账"  # not …整改整改台账
    assert sheet["A2"].value.startswith(f"填报单位：{ORG}")


def test_the_api_gives_the_figures(app, client, session, seeded):
    from rectify.accounts.tokens import create_token

    with app.app_context():
        _, token = create_token(session.merge(seeded["reviewer"]), "test")
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    batches = {b["id"]: b for b in client.get("/api/v1/batches", headers=headers).json["items"]}
    figures = batches[seeded["batch"]]["figures"]
    assert (figures["problems"], figures["problems_closed"], figures["problems_in_progress"],
            figures["problems_not_started"], figures["problem_rate"]) == (4, 2, 1, 1, 50.0)
    assert figures["measures_by_status"] == {"not_started": 1, "in_progress": 1, "pending_review": 1, "done": 2,
                                             "long_term": 1}
    problems = client.get("/api/v1/problems", query_string={"batch": seeded["batch"]}, headers=headers).json
    assert problems["summary"] == figures and problems["total"] == 4


def test_the_board_header_counts_problems(client, login, seeded):
    login(seeded["reviewer"])
    page = client.get("/board", query_string={"batch": seeded["batch"]}).get_data(as_text=True)
    assert 'data-problems="4" data-closed="2"' in page


@pytest.mark.parametrize("url", ["/batches/{batch}", "/reports/bulletin", "/problems/{problem}/signoff"])
def test_report_pages_issue_a_fixed_number_of_queries(app, client, session, login, seeded, make_measure, url):
    login(seeded["reviewer"])
    problem = session.get(Problem, seeded["problems"][0])
    url = url.format(batch=seeded["batch"], problem=problem.id)

    def queries():
        return page_queries(app, client, url)[0]

    def grow(count):
        for i in range(count):
            measure = make_measure(problem=problem, text=f"新增措施{i}", unit=f"单位{i % 7}", status=list(S)[i % 5],
                                   due_on=seeded["today"] - timedelta(days=i % 3))
            session.add(ProgressUpdate(measure=measure, kind=UpdateKind.APPROVED, text="同意", created_at=utcnow()))
            session.add(Evidence(measure=measure, filename=f"材料{i}.pdf", sha256="1" * 64, size=1,
                                 content_type="application/pdf"))
        session.commit()

    grow(10)
    few = queries()
    grow(30)
    assert queries() == few


def test_the_batch_list_counts_problems(client, login, seeded):
    login(seeded["reviewer"])
    page = client.get("/batches/").get_data(as_text=True)
    row = page[page.index(f'data-batch="{seeded["batch"]}"'):]
    row = row[:row.index("</tr>")]
    shown = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', row))
    assert shown == {"problems": "4", "closed": "2", "in_progress": "1", "not_started": "1", "problems_overdue": "1",
                     "measures": "6"}
