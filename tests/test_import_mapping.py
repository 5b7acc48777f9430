"""Column mapping when the importer's guess is wrong: a field per column, the header row, and a
mapping remembered for the next workbook with the same headers (rectify/imports/mapping.py)."""
import json
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from rectify.imports.mapping import Mapping, MappingError
from rectify.models import ImportMapping, Measure

import ledgers

HEADERS = ("序号", "存在问题", "整改措施", "责任科室", "承办人", "完成节点", "内部编码")


def workbook(rows, title="县委第一巡察组反馈问题整改清单", headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append([title])
    ws.append(["填报单位：县财政局", None, None, None, None, "填报时间：2026年11月"])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    return ledgers.save(wb)


ROWS = [[1, "专项资金拨付不及时。", "建立拨付台账，按月对账。", "预算股", "周洁", "2026年12月31日", "CZ-01"],
        [2, "政府采购程序不规范。", "修订采购内控制度。", "采购办", "黄磊", "2027年3月31日", "CZ-02"]]


def run(runner, tmp_path, *options, data=None, name="清单.xlsx"):
    path = tmp_path / name
    path.write_bytes(data or workbook(ROWS))
    result = runner.invoke(args=["findings", "import", str(path), "--batch", "财政局反馈问题整改",
                                 "--feedback-date", "2026-11-01", "--json", *options])
    return result, (json.loads(result.stdout) if result.stdout.strip().startswith("{") else None)


def measures(session):
    session.expire_all()
    return session.scalars(sa.select(Measure).order_by(Measure.id)).all()


def test_the_guess_first_then_the_users_fields(app, session, runner, tmp_path):
    result, report = run(runner, tmp_path, "--dry-run")
    fields = {f["header"]: f["field"] for f in report["sheets"][0]["fields"]}
    assert fields["承办人"] == "note" and fields["完成节点"] == "note"  # 承办人 looked like a unit; 完成节点 unknown
    assert report["sheets"][0]["header_row"] == 3

    result, report = run(runner, tmp_path, "--column", "承办人=people", "--column", "完成 节点=deadline",
                         "--column", "内部编码=ignore")
    assert result.exit_code == 0, result.output
    fields = {f["header"]: (f["field"], f["reason"]) for f in report["sheets"][0]["fields"]}
    assert fields["承办人"] == ("owner", "按设置：责任人") and fields["完成节点"][0] == "deadline"
    assert "内部编码" not in fields
    assert any("按设置不导入“内部编码”列" in w["message"] for w in report["warnings"])
    first, second = measures(session)
    assert [o.name for o in first.owners] == ["周洁"] and first.due_on == date(2026, 12, 31)
    assert second.lead_unit.name == "采购办" and "CZ-02" not in (second.note or "")
    assert report["mapping"]["columns"] == {"承办人": "owner", "完成节点": "deadline", "内部编码": "ignore"}


def test_a_confirmed_mapping_is_offered_again_for_the_same_headers(app, session, runner, tmp_path):
    run(runner, tmp_path, "--column", "承办人=people", "--column", "完成节点=deadline")
    assert session.scalar(sa.select(sa.func.count()).select_from(ImportMapping)) == 1
    later = workbook([[3, "公务卡使用不规范。", "清理公务卡消费记录。", "国库股", "吴刚", "2027年1月15日", "CZ-03"]],
                     title="县委第一巡察组反馈问题整改清单（第二批）")
    result, report = run(runner, tmp_path, data=later, name="第二批.xlsx")
    assert result.exit_code == 0 and report["mapping"]["remembered"] is True
    third = measures(session)[-1]
    assert [o.name for o in third.owners] == ["吴刚"] and third.due_on == date(2027, 1, 15)
    text = runner.invoke(args=["findings", "import", str(tmp_path / "第二批.xlsx"), "--batch", "财政局反馈问题整改",
                               "--dry-run"]).stdout
    assert "按上次对相同表头所做的列设置读取" in text

    other = workbook(ROWS, headers=("序号", "存在问题", "整改措施", "责任科室", "承办人", "完成节点"))
    _, report = run(runner, tmp_path, "--dry-run", data=[r[:6] for r in [other]][0], name="别的表头.xlsx")
    assert report["mapping"] is None  # other headers, other layout


def test_a_header_row_the_user_names(app, session, runner, tmp_path):
    result, report = run(runner, tmp_path, "--header-row", "3", "--column", "承办人=people", "--dry-run")
    assert result.exit_code == 0 and report["sheets"][0]["header_row"] == 3 and report["measures"] == 2
    result, report = run(runner, tmp_path, "--header-row", "2", "--dry-run")  # 填报单位：… 填报时间：…
    assert result.exit_code == 1
    assert report["errors"][0]["row"] == 2 and "没有“存在问题”" in report["errors"][0]["message"]
    result, report = run(runner, tmp_path, "--header-row", "问题清单:99", "--dry-run")
    assert result.exit_code == 1 and "超出了工作表的范围（共 5 行）" in report["errors"][0]["message"]


@pytest.mark.parametrize("option", ["承办人", "=people", "承办人=人员名单"])
def test_a_column_option_that_cannot_be_read_is_a_usage_error(app, runner, tmp_path, option):
    result, _ = run(runner, tmp_path, "--column", option)
    assert result.exit_code == 2 and ("--column" in result.output or "未知的字段" in result.output)
    assert session_is_empty(app)


def session_is_empty(app):
    from rectify.core.extensions import db
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Measure)) == 0


def test_mappings_from_a_form_are_checked():
    assert Mapping.from_json('{"columns": {"承 办人": "people"}, "header_rows": {"*": 3}}') == \
        Mapping({"承办人": "owner"}, {"*": 3})
    for bad in ('{"columns": {"a": "nothing"}}', '{"header_rows": {"*": 0}}', "[1]", "{"):
        with pytest.raises(MappingError):
            Mapping.from_json(bad)
