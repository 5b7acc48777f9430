"""Excel import of findings: real layouts, exact results, refusals that write nothing."""
import json
import time
from datetime import date

import pytest
import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.imports.operations import BatchSpec, import_findings
from rectify.models import Batch, Department, Measure, MeasureStatus, Person, Problem, Role, SourceKind

import ledgers

SPEC = BatchSpec("县委第三巡察组反馈意见整改", SourceKind.XUNCHA, date(2023, 3, 15))


def run(app, data, filename="台账.xlsx", spec=SPEC, commit=True):
    with app.app_context():
        report = import_findings(data, filename, spec, by=None, via="cli")
        if report.errors or not commit:
            db.session.rollback()
        else:
            db.session.commit()
        return report


def counts(session):
    session.expire_all()
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Batch, Problem, Measure))


def measures_by_text(session):
    rows = session.scalars(sa.select(Measure).order_by(Measure.id)).all()
    return {m.text: m for m in rows}


def test_a_messy_real_ledger_comes_out_exactly(app, session):
    report = run(app, ledgers.messy_ledger())
    assert report.errors == []
    assert (report.problems, report.measures) == (3, 5)
    problems = session.scalars(sa.select(Problem).order_by(Problem.position)).all()
    assert [(p.number, p.aspect, p.category) for p in problems] == [
        ("1", "一、党的领导弱化方面", None),
        ("2", "一、党的领导弱化方面", "（一）选人用人方面"),
        ("3", "二、全面从严治党方面", None),
    ]
    assert [p.lead_unit.name for p in problems] == ["党政综合办公室", "组织人事部", "党政综合办公室"]
    assert [[leader.name for leader in p.leaders] for p in problems] == [["王建国"], ["李明"], ["王建国"]]
    m = measures_by_text(session)
    assert list(m) == ["每半年召开1次意识形态工作专题会议。", "建立意识形态工作台账。", "对干部档案逐一核查",
                       "补齐缺失材料，建立档案管理台账", "规范公务接待审批，实行“一事一单”。"]
    first = m["每半年召开1次意识形态工作专题会议。"]
    assert (first.due_on, first.lead_unit.name, [o.name for o in first.owners]) == (date(2023, 6, 30), "党政综合办公室", ["刘芳"])
    ledger = m["建立意识形态工作台账。"]
    assert [o.name for o in ledger.owners] == ["刘芳", "周洁"]
    assert [u.name for u in ledger.cooperating_units] == ["组织人事部"]
    assert ledger.due_on == date(2023, 6, 30) and ledger.problem_id == first.problem_id
    split = m["对干部档案逐一核查"]
    assert [o.name for o in split.owners] == ["周洁", "吴刚"] and split.due_on == date(2023, 8, 31)
    last = m["规范公务接待审批，实行“一事一单”。"]
    assert (last.due_on, last.is_immediate, last.is_long_term) == (None, True, True)
    assert last.deadline_text == "立行立改，长期坚持"
    assert all(m.status is MeasureStatus.NOT_STARTED for m in m.values())
    warnings = [str(w) for w in report.warnings]
    assert any("第 10 行" in w and "H 列" in w and "未写年份" in w and "2023年8月31日" in w for w in warnings)
    assert any("新建单位" in w for w in warnings)
    assert "X-01" not in json.dumps(report.as_json(), ensure_ascii=False)  # the hidden column stays out


def test_reimporting_the_same_sheet_updates_in_place(app, session):
    run(app, ledgers.messy_ledger())
    before = counts(session)
    again = run(app, ledgers.messy_ledger())
    assert counts(session) == before
    assert again.created == {"problems": 0, "measures": 0, "units": 0, "people": 0}
    assert again.unchanged == {"problems": 3, "measures": 5}


def test_reimport_with_a_changed_deadline_updates_that_measure(app, session):
    run(app, ledgers.simple_ledger([[1, "问题甲", "措施一", "组织人事部", "周洁", "2023年6月30日"]]))
    changed = run(app, ledgers.simple_ledger([[1, "问题甲", "措施一", "组织人事部", "周洁", "2023年9月30日"]]))
    assert changed.updated == {"problems": 1, "measures": 1}
    assert session.scalar(sa.select(Measure.due_on)) == date(2023, 9, 30)
    assert counts(session) == (1, 1, 1)


def test_instruction_sheets_are_skipped_and_sheet_names_become_sections(app, session):
    report = run(app, ledgers.with_instructions_sheet())
    assert report.errors == []
    assert any("填表说明" in str(w) and "已跳过" in str(w) for w in report.warnings)
    measure = session.scalar(sa.select(Measure))
    assert (measure.text, measure.status, measure.due_on) == ("追回违规资金。", MeasureStatus.DONE, date(2023, 9, 30))
    assert measure.problem.lead_unit.name == "财政局"


def test_problem_written_once_with_rows_below_blank(app, session):
    report = run(app, ledgers.simple_ledger([
        [1, "问题甲", "措施一", "组织人事部", "周洁", "2023年6月30日"],
        [None, None, "措施二", "组织人事部", "周洁", "2023年7月31日"],
        [2, "问题乙", "措施三", "财政局", "黄磊", "2023年8月"],
    ]))
    assert report.errors == []
    problems = session.scalars(sa.select(Problem).order_by(Problem.id)).all()
    assert [[m.text for m in p.measures] for p in problems] == [["措施一", "措施二"], ["措施三"]]


def test_formula_like_text_is_kept_as_text(app, session):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["存在问题", "整改措施", "整改时限"])
    ws.append(["问题", "=HYPERLINK(\"http://evil\",\"点击\")", "2023年6月"])
    ws["B2"].data_type = "s"
    run(app, ledgers.save(wb))
    assert session.scalar(sa.select(Measure.text)) == '=HYPERLINK("http://evil","点击")'


def test_every_error_is_named_and_nothing_is_written(app, session):
    report = run(app, ledgers.simple_ledger([
        [1, "问题甲", "措施一", "组织人事部", "周洁", "尽快"],
        [2, "问题乙", None, "组织人事部", "周洁", "2023年6月"],  # no measure yet: the normal case
        [None, None, None, "组织人事部", "黄磊", "2023年2月30日"],
    ]))
    errors = [(e.sheet, e.row, e.column) for e in report.errors]
    assert errors == [("问题清单", 2, "F"), ("问题清单", 4, "F")]
    assert any("无法识别“尽快”" in e.message for e in report.errors)
    assert counts(session) == (0, 0, 0)
    assert session.scalar(sa.select(sa.func.count()).select_from(Department)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"just some text", "台账.xlsx", "内容不是 Excel 工作簿"),
        (b"", "台账.xlsx", "空文件"),
        (b"%PDF-1.4", "台账.pdf", "不是 Excel 工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "台账.xlsx", "已加密"),
        (b"PK\x03\x04broken", "台账.xlsx", "已损坏"),
    ],
)
def test_wrong_files_are_refused_with_a_clear_message(app, session, data, filename, message):
    report = run(app, data, filename)
    assert len(report.errors) == 1 and message in report.errors[0].message
    assert counts(session) == (0, 0, 0)


def test_a_workbook_without_a_recognisable_header_is_refused(app, session):
    report = run(app, ledgers.simple_ledger([["a", "b"]], headers=("姓名", "电话")))
    assert "未找到可识别的表头" in report.errors[0].message


def test_zip_bomb_is_refused_without_inflating_it(app, session):
    data = ledgers.zip_bomb()
    started = time.perf_counter()
    report = run(app, data)
    assert time.perf_counter() - started < 2
    assert "压缩炸弹" in report.errors[0].message


def test_xml_entities_are_refused(app, session):
    report = run(app, ledgers.with_entities())
    assert "DTD" in report.errors[0].message
    assert counts(session) == (0, 0, 0)


@pytest.mark.parametrize("app_config", [{"RECTIFY_IMPORT_MAX_MB": 1}])
def test_oversized_file_is_refused(app, session):
    report = run(app, ledgers.messy_ledger() + b"\x00" * (1024 * 1024))
    assert "超过 1 MB" in report.errors[0].message


def test_a_sheet_of_100000_junk_rows_is_refused_quickly(app, session):
    data = ledgers.many_rows(100_000)
    started = time.perf_counter()
    report = run(app, data)
    assert time.perf_counter() - started < 5
    assert "数据范围达 100,000 行 × 1 列，超过上限（50,000 行、200 列）" in report.errors[0].message


def test_names_link_to_users_and_near_miss_units_are_flagged(app, session, make_user, make_department):
    user = make_user(Role.OWNER, name="周洁")
    make_department("组织人事科")
    report = run(app, ledgers.simple_ledger([[1, "问题甲", "措施一", "组织人事股", "周洁", "2023年6月30日"]]))
    assert any("组织人事股" in str(w) and "组织人事科" in str(w) for w in report.warnings)
    person = session.scalar(sa.select(Person).where(Person.name == "周洁"))
    assert person.user_id == user.id


def test_cli_json_dry_run_and_exit_codes(app, runner, session, tmp_path):
    good = tmp_path / "巡察反馈.xlsx"
    good.write_bytes(ledgers.messy_ledger())
    dry = runner.invoke(args=["findings", "import", str(good), "--kind", "巡察", "--feedback-date", "2023-03-15",
                              "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    result = json.loads(dry.stdout)
    assert (result["batch"], result["problems"], result["measures"], result["imported"]) == ("巡察反馈", 3, 5, False)
    assert result["created"]["measures"] == 5 and result["errors"] == []
    assert counts(session) == (0, 0, 0)

    done = runner.invoke(args=["findings", "import", str(good), "--batch", "第三巡察组反馈", "--kind", "巡察",
                               "--feedback-date", "2023-03-15"])
    assert done.exit_code == 0 and "已导入" in done.output
    assert "解析 1 个工作表" in done.output and "写入 3 个问题、5 项措施" in done.output
    assert counts(session) == (1, 3, 5)
    assert session.scalar(sa.select(Batch)).kind is SourceKind.XUNCHA

    bad = tmp_path / "坏表.xlsx"
    bad.write_bytes(ledgers.simple_ledger([[1, "问题", "措施", "单位", "张三", "尽快"]]))
    refused = runner.invoke(args=["findings", "import", str(bad), "--json"])
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["errors"][0] | {"message": ""} == {"sheet": "问题清单", "row": 2, "column": "F", "message": ""}
    usage = runner.invoke(args=["findings", "import", str(good), "--kind", "不存在的来源"])
    assert usage.exit_code == 2
    assert counts(session) == (1, 3, 5)
