"""整改台账 export: what a leader would see when opening it, in openpyxl and in LibreOffice."""
import csv
import gc
import io
import json
import shutil
import subprocess
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from rectify.core.timeutil import local_today
from rectify.models import Batch, Evidence, MeasureStatus, Person, Problem, Role, SourceKind

from conftest import unavailable

S = MeasureStatus


@pytest.fixture
def ledger_data(app, session, make_measure):
    with app.app_context():
        today = local_today()
    batch = Batch(kind=SourceKind.XUNCHA, title="县委第三巡察组反馈意见整改")
    zhou, liu = Person(name="周洁"), Person(name="刘芳")
    first = Problem(batch=batch, position=1, number="（一）1", aspect="一、党的领导弱化方面",
                    description="=落实意识形态工作责任制不到位。")
    second = Problem(batch=batch, position=2, number="（二）1", aspect="二、党的建设缺失方面",
                     description="流动党员管理不规范\x07。")
    session.add_all([first, second])
    overdue = make_measure(problem=first, position=1, text="@召开专题会议", owners=[liu], unit="党政综合办公室",
                           status=S.IN_PROGRESS, due_on=today - timedelta(days=5))
    make_measure(problem=first, position=2, text="+建立工作台账", owners=[liu, zhou], unit="党政综合办公室",
                 status=S.DONE, due_on=today - timedelta(days=20), completed_on=today - timedelta(days=21))
    make_measure(problem=first, position=3, text="-开展风险排查", owners=[liu], unit="党政综合办公室",
                 status=S.NOT_STARTED, due_on=today + timedelta(days=3), original_due_on=today - timedelta(days=10))
    make_measure(problem=second, position=1, text="完善流动党员台账", owners=[zhou], unit="组织人事部",
                 status=S.LONG_TERM, is_long_term=True)
    session.add(Evidence(measure=overdue, filename="会议纪要.pdf", sha256="0" * 64, size=10, content_type="application/pdf"))
    session.commit()
    measures = sorted(m.id for m in first.measures) + [m.id for m in second.measures]
    return today, measures


def export(runner, tmp_path, *args):
    out = tmp_path / "台账.xlsx"
    result = runner.invoke(args=["ledger", "export", str(out), "--json", *args])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_the_ledger_reads_like_an_office_ledger(runner, tmp_path, ledger_data):
    out, summary = export(runner, tmp_path)
    assert summary == {"rows": 4, "problems": 2, "measures": 4, "path": str(out)}
    book = load_workbook(out)
    assert book.sheetnames == ["整改台账", "统计汇总", "逾期清单"]
    sheet = book["整改台账"]
    assert sheet["A1"].value == "全部批次整改台账"
    assert [c.value for c in sheet[3]][:13] == ["序号", "问题类别", "存在问题", "整改措施", "责任领导", "责任单位", "责任人",
                                           "整改时限", "整改进展", "整改状态", "完成时间", "佐证材料", "备注"]
    assert sheet["A4"].value == "一、党的领导弱化方面"
    assert {"A1:M1", "A4:M4", "A5:A7", "B5:B7", "C5:C7", "A8:M8"} <= {str(r) for r in sheet.merged_cells.ranges}
    assert [sheet.cell(r, 4).value for r in range(5, 8)] == ["@召开专题会议", "+建立工作台账", "-开展风险排查"]
    assert sheet["C5"].value == "=落实意识形态工作责任制不到位。"
    assert sheet["C9"].value == "流动党员管理不规范。"  # the control character is gone
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet["G6"].value == "刘芳、周洁" and sheet["L5"].value == "1份：会议纪要.pdf"
    assert "已延期" in sheet["H7"].value and sheet["H9"].value == "长期坚持"
    assert sheet["J5"].fill.fgColor.rgb.endswith("F8CBAD") and sheet["J6"].fill.fgColor.rgb.endswith("EDEDED")
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize) == ("landscape", 8)  # A3
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0  # one page wide
    assert sheet.print_title_rows == "$3:$3" and sheet.freeze_panes == "A4"
    assert sheet.auto_filter.ref.startswith("A3:M")
    assert sheet["N3"].value == "系统编号" and sheet.column_dimensions["N"].hidden
    assert [sheet.cell(r, 14).value for r in (5, 6, 7, 9)] == [f"{m}:1" for m in ledger_data[1]]

    stats = book["统计汇总"]
    assert stats["A1"].value.startswith("全部批次整改情况统计（截至")
    assert stats["A2"].value.startswith("填报单位：")
    rows = {r[0]: r for r in stats.iter_rows(values_only=True) if r[0]}
    # 问题数, 已整改到位, 正在整改, 未启动, 逾期, 完成率 | 措施数, 未启动, 整改中, 待审核, 已完成, 长期坚持, 逾期, 延期, 完成率
    assert rows["党政综合办公室"][1:16] == (1, 0, 1, 0, 1, 0, 3, 1, 1, 0, 1, 0, 1, 1, 1 / 3)
    assert rows["组织人事部"][1:8] == (1, 1, 0, 0, 0, 1, 1)
    assert rows["县委第三巡察组反馈意见整改"][1:7] == (2, 1, 1, 0, 1, 0.5)
    for row in rows.values():
        if isinstance(row[1], int):  # the problem and the measure columns add up
            assert row[2] + row[3] + row[4] == row[1] and sum(row[8:13]) == row[7]
    assert (stats.page_setup.orientation, stats.page_setup.paperSize) == ("landscape", 9)  # A4
    assert stats.sheet_properties.pageSetUpPr.fitToPage and stats.page_setup.fitToHeight == 0  # one page wide
    overdue = book["逾期清单"]
    assert overdue["C3"].value == "@召开专题会议" and overdue["G3"].value == 5
    assert overdue["C4"].value is None


def test_filters_narrow_the_ledger(runner, tmp_path, ledger_data):
    _, summary = export(runner, tmp_path, "--unit", "组织人事部")
    assert (summary["problems"], summary["measures"]) == (1, 1)
    _, summary = export(runner, tmp_path, "--status", "已完成", "--batch", "县委第三巡察组反馈意见整改")
    assert summary["measures"] == 1
    bad = runner.invoke(args=["ledger", "export", str(tmp_path / "x.xlsx"), "--batch", "不存在的批次"])
    assert bad.exit_code == 2 and "未找到批次" in bad.output


@pytest.fixture(scope="module")
def soffice():
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        unavailable("libreoffice", "soffice not found (apt-get install libreoffice-calc-nogui)")
    return path


def test_libreoffice_opens_the_ledger(runner, tmp_path, ledger_data, soffice):
    out, _ = export(runner, tmp_path)
    profile = f"-env:UserInstallation=file://{tmp_path}/profile-{uuid.uuid4().hex}"
    for target in ("csv:Text - txt - csv (StarCalc):44,34,76,1", "pdf"):
        subprocess.run([soffice, profile, "--headless", "--convert-to", target, "--outdir", str(tmp_path), str(out)],
                       check=True, capture_output=True, timeout=120)
    with open(tmp_path / "台账.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "全部批次整改台账"
    assert ["（一）1", "一、党的领导弱化方面", "=落实意识形态工作责任制不到位。", "@召开专题会议"] == rows[4][:4]
    assert any(row[3] == "完善流动党员台账" for row in rows)
    assert (tmp_path / "台账.pdf").read_bytes().startswith(b"%PDF") and (tmp_path / "台账.pdf").stat().st_size > 5000


def test_web_export_follows_the_filters_and_the_users_scope(app, client, session, login_as, ledger_data):
    owner = login_as(Role.OWNER, department="组织人事部")
    response = client.get("/ledger/export")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["整改台账"]
    response.close()
    texts = [c.value for c in sheet["D"] if c.value]
    assert "完善流动党员台账" in texts and "@召开专题会议" not in texts  # only the owner's unit
    assert sheet["A2"].value.startswith("填报单位：组织人事部")
    listing = client.get("/ledger/").get_data(as_text=True)
    assert "<title>整改台账 - 整改台账系统</title>" in listing
    name = response.headers["Content-Disposition"].split("filename*=UTF-8''")[-1]
    assert "整改台账-" in listing and name
    assert client.get("/ledger/files/..%2F..%2Fsecret_key").status_code == 404
    assert owner.id


def test_board_export_button_carries_the_filters(client, login_as, ledger_data):
    login_as(Role.SUPERVISOR)
    page = client.get("/board?status=done&q=台账").get_data(as_text=True)
    assert 'href="/ledger/export?status=done&amp;q=%E5%8F%B0%E8%B4%A6"' in page
    response = client.get("/ledger/export?status=done")
    sheet = load_workbook(io.BytesIO(response.data))["整改台账"]
    response.close()
    assert [c.value for c in sheet["D"]][4] == "+建立工作台账"


def edited_export(client, edits, swap=False):
    """Export the ledger as the signed-in user, fill in 整改进展 etc. as a unit would in Excel."""
    response = client.get("/ledger/export")
    book = load_workbook(io.BytesIO(response.data))
    response.close()
    sheet = book["整改台账"]
    rows = {sheet.cell(r, 4).value: r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 14).value}
    for measure_text, values in edits.items():
        for column, value in values.items():
            sheet[f"{column}{rows[measure_text]}"] = value
    if swap:  # sorting in Excel moves the hidden id with its row
        a, b = sorted(rows.values())[:2]
        for col in range(4, 15):
            first, second = sheet.cell(a, col).value, sheet.cell(b, col).value
            sheet.cell(a, col).value, sheet.cell(b, col).value = second, first
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload_ledger(client, data, name="填写后的台账.xlsx"):
    return client.post("/ledger/upload", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def confirm_of(page):
    import re

    return dict(re.findall(r'name="(token|filename)" type="hidden" value="([^"]*)"', page))


def test_an_edited_ledger_comes_back_as_progress(client, session, login_as, ledger_data):
    from sqlalchemy import select

    from rectify.models import Measure, ProgressUpdate

    supervisor = login_as(Role.SUPERVISOR)
    data = edited_export(client, {
        "@召开专题会议": {"I": "已召开专题会议2次。", "J": "已完成", "K": "2023年6月30日"},
        "+建立工作台账": {"I": "补充台账材料。"},
        "-开展风险排查": {"I": "已完成风险排查。"},
    }, swap=True)
    stale = session.scalar(select(Measure).where(Measure.text == "-开展风险排查"))
    stale.goal = "导出后被他人修改"
    session.commit()

    preview = upload_ledger(client, data)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "将更新 1 项措施的整改进展" in page and "已召开专题会议2次。" in page
    assert "在导出后已被修改" in page and "不能再填报进展" in page
    assert session.scalar(select(ProgressUpdate).where(ProgressUpdate.text.like("已召开%"))) is None

    done = client.post("/ledger/upload/confirm", data=confirm_of(page))
    assert done.status_code == 302
    update = session.scalar(select(ProgressUpdate).where(ProgressUpdate.text.like("已召开专题会议2次%")))
    assert update.author_id == supervisor.id
    assert "表中填报状态：已完成" in update.text and "表中填报完成时间：2023年6月30日" in update.text
    assert update.measure.status is S.IN_PROGRESS  # Excel signs nothing off
    assert session.scalar(select(ProgressUpdate).where(ProgressUpdate.text == "已完成风险排查。")) is None

    again = upload_ledger(client, data).get_data(as_text=True)
    assert "将更新 0 项措施" in again and "在导出后已被修改" in again  # the same file cannot apply twice


def test_rows_outside_the_uploaders_scope_are_refused(app, client, session, login, login_as, make_user, ledger_data):
    from sqlalchemy import select

    from rectify.models import ProgressUpdate

    login_as(Role.SUPERVISOR)
    data = edited_export(client, {"@召开专题会议": {"I": "越权填报的进展"}, "完善流动党员台账": {"I": "第三季度联系流动党员43名。"}})
    owner = app.test_client()
    login(make_user(Role.OWNER, department="组织人事部"), on=owner)
    page = upload_ledger(owner, data).get_data(as_text=True)
    assert "将更新 1 项措施" in page and "找不到该措施或无权查看" in page
    owner.post("/ledger/upload/confirm", data=confirm_of(page))
    texts = session.scalars(select(ProgressUpdate.text)).all()
    assert "第三季度联系流动党员43名。" in texts and "越权填报的进展" not in texts


def test_a_findings_workbook_is_not_a_ledger(client, login_as):
    import ledgers

    login_as(Role.SUPERVISOR)
    response = upload_ledger(client, ledgers.messy_ledger())
    assert response.status_code == 400 and "不是本系统导出的整改台账" in response.get_data(as_text=True)


def test_full_collections_are_rarer_only_while_ledgers_are_built():
    from rectify.ledgers.export import _fewer_full_collections

    before = gc.get_threshold()
    with _fewer_full_collections():
        during = gc.get_threshold()
        with _fewer_full_collections():  # a second build, in another thread say
            pass
        assert gc.get_threshold() == during  # the second ending does not undo the first
    assert during == (before[0], before[1], before[2] * 100) and gc.get_threshold() == before
    with pytest.raises(RuntimeError):
        with _fewer_full_collections():
            raise RuntimeError("the build failed")
    assert gc.get_threshold() == before


def test_two_exports_of_the_same_name_at_once_both_finish(app, session, make_measure, tmp_path):
    """A double click makes two exports of one name in the same second: each writes a partial
    file of its own, and a complete ledger stays (it was a 500 when both shared one .part)."""
    import threading

    from rectify.ledgers.export import export_ledger
    from rectify.tracking.filters import MeasureFilters

    make_measure(text="措施一")
    folder = tmp_path / "out"
    folder.mkdir()
    out, failures = folder / "台账.xlsx", []

    def export():
        with app.app_context():
            try:
                export_ledger(MeasureFilters(), None, out)
            except Exception as error:  # noqa: BLE001 - what the test looks for
                failures.append(error)

    threads = [threading.Thread(target=export) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and out.read_bytes()[:2] == b"PK"
    assert [p.name for p in folder.iterdir()] == ["台账.xlsx"]  # no partial left behind
