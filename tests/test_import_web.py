"""The import pages: upload → preview (writes nothing) → confirm → history → undo."""
import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from rectify.models import ImportRecord, Measure, MeasureStatus, Problem, Role

import ledgers


def upload(client, data, filename="巡察反馈台账.xlsx", **fields):
    form = {"title": "县委第三巡察组反馈意见整改", "kind": "xuncha", "feedback_on": "2023-03-15",
            "file": (io.BytesIO(data), filename), **fields}
    return client.post("/imports/", data=form, content_type="multipart/form-data")


def count(session, model):
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def confirm_fields(page):
    return {name: value for name, value in re.findall(r'name="(token|filename|title|kind|feedback_on)" type="hidden" value="([^"]*)"', page)}


def test_preview_writes_nothing_then_confirm_imports(client, session, login_as):
    login_as(Role.SUPERVISOR)
    preview = upload(client, ledgers.messy_ledger())
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "将新建问题 3 个、措施 5 项" in page and "未写年份" in page
    assert count(session, Measure) == 0
    done = client.post("/imports/confirm", data=confirm_fields(page))
    assert done.status_code == 302 and "/board?batch=" in done.location
    assert count(session, Measure) == 5
    record = session.scalar(sa.select(ImportRecord))
    assert (record.filename, record.problems, record.measures) == ("巡察反馈台账.xlsx", 3, 5)
    assert len(record.sha256) == 64 and len(record.created_ids["measures"]) == 5
    history = client.get("/imports/").get_data(as_text=True)
    assert "巡察反馈台账.xlsx" in history and "撤销" in history


def test_refused_upload_lists_errors_and_offers_the_marked_workbook(client, session, login_as):
    login_as(Role.SUPERVISOR)
    bad = ledgers.simple_ledger([[1, "问题甲", "措施一", "组织人事部", "周洁", "尽快"]])
    preview = upload(client, bad, "坏表.xlsx")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 400
    assert "工作表“问题清单”，第 2 行，F 列" in page and "确认导入" not in page
    link = re.search(r'href="(/imports/marked/[0-9a-f]{32})"', page).group(1)
    marked = client.get(link)
    sheet = load_workbook(io.BytesIO(marked.data))["问题清单"]
    assert sheet["F2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "无法识别“尽快”" in sheet["F2"].comment.text
    assert sheet["C2"].comment is None
    assert count(session, Measure) == 0


def test_upload_without_a_file_or_of_the_wrong_kind(client, session, login_as):
    login_as(Role.SUPERVISOR)
    empty = client.post("/imports/", data={"title": "批次", "kind": "xuncha"})
    assert empty.status_code == 400 and "请选择要导入的文件" in empty.get_data(as_text=True)
    wrong = upload(client, b"%PDF-1.4", "报告.pdf")
    assert wrong.status_code == 400 and "不是 Excel 工作簿" in wrong.get_data(as_text=True)
    assert count(session, Problem) == 0


def test_undo_removes_what_the_import_created_until_someone_works_on_it(client, session, login_as):
    login_as(Role.SUPERVISOR)
    page = upload(client, ledgers.messy_ledger()).get_data(as_text=True)
    client.post("/imports/confirm", data=confirm_fields(page))
    record_id = session.scalar(sa.select(ImportRecord.id))
    assert client.post(f"/imports/{record_id}/undo").status_code == 302
    assert count(session, Measure) == 0 and count(session, Problem) == 0
    assert session.get(ImportRecord, record_id).undone_at is not None

    page = upload(client, ledgers.messy_ledger()).get_data(as_text=True)
    client.post("/imports/confirm", data=confirm_fields(page))
    second = session.scalar(sa.select(ImportRecord.id).where(ImportRecord.undone_at.is_(None)))
    measure = session.scalar(sa.select(Measure))
    measure.status = MeasureStatus.IN_PROGRESS
    session.commit()
    refused = client.post(f"/imports/{second}/undo")
    assert refused.status_code == 409 and "不能撤销" in refused.get_data(as_text=True)
    assert count(session, Measure) == 5


def test_the_standard_template_imports_cleanly(app, client, session, login_as):
    login_as(Role.SUPERVISOR)
    template = client.get("/imports/template.xlsx")
    assert "attachment" in template.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(template.data))["整改台账"]
    assert [c.value for c in sheet[1]][:4] == ["序号", "问题类别", "存在问题", "整改措施"]
    assert any("L2" in str(v.sqref) for v in sheet.data_validations.dataValidation)
    preview = upload(client, template.data, "模板.xlsx")
    assert preview.status_code == 200 and "将新建问题 1 个、措施 1 项" in preview.get_data(as_text=True)


def test_every_door_records_its_import_and_any_can_be_undone(client, runner, session, login_as, make_user, tmp_path):
    """The page, the API and the command line each write an import record (who, door, file,
    SHA-256, counts); the page lists them all, and the page or the command line undoes them."""
    import hashlib
    import json

    from rectify.accounts.tokens import create_token

    data = ledgers.messy_ledger()
    path = tmp_path / "命令行台账.xlsx"
    path.write_bytes(data)
    by_cli = runner.invoke(args=["findings", "import", str(path), "--batch", "命令行批次", "--json"])
    assert by_cli.exit_code == 0, by_cli.output
    assert json.loads(by_cli.stdout)["record"] is not None
    supervisor = make_user(Role.SUPERVISOR, name="孙丽")
    _, token = create_token(supervisor, "OA")
    session.commit()
    by_api = client.post("/api/v1/imports", headers={"Authorization": f"Bearer {token}"},
                         data={"batch": "接口批次", "file": (io.BytesIO(data), "接口台账.xlsx")},
                         content_type="multipart/form-data")
    assert by_api.status_code == 200 and by_api.json["record"] is not None
    login_as(Role.SUPERVISOR, name="周洁")
    client.post("/imports/confirm", data=confirm_fields(upload(client, data, "网页台账.xlsx").get_data(as_text=True)))

    session.expire_all()
    records = {r.via: r for r in session.scalars(sa.select(ImportRecord))}
    assert set(records) == {"cli", "api", "web"}
    assert records["cli"].created_by is None and records["api"].created_by.name == "孙丽"
    assert records["web"].created_by.name == "周洁"
    for record in records.values():
        assert record.sha256 == hashlib.sha256(data).hexdigest() and record.size == len(data)
        assert record.measures == 5 and len(record.created_ids["measures"]) == 5, (record.via, record.problems)
    page = client.get("/imports/").get_data(as_text=True)
    page = page[page.index('id="import-records"'):]
    for filename, door in (("命令行台账.xlsx", "经命令行"), ("接口台账.xlsx", "经接口"), ("网页台账.xlsx", "经网页")):
        row = page[page.index(filename):]
        assert door in row[:row.index("</tr>")]

    assert client.post(f"/imports/{records['cli'].id}/undo").status_code == 302
    undone = runner.invoke(args=["findings", "undo", str(records["api"].id)])
    assert undone.exit_code == 0 and "删除新建措施 5 项" in undone.output
    again = runner.invoke(args=["findings", "undo", str(records["api"].id)])
    assert again.exit_code == 1 and "已撤销" in again.output
    assert runner.invoke(args=["findings", "undo", "99999"]).exit_code == 1
    history = runner.invoke(args=["findings", "history"]).output
    assert "命令行台账.xlsx" in history and "经" not in history and "撤销" in history
    session.expire_all()
    assert count(session, Measure) == 5  # the page's import stays


def test_reimport_preview_offers_finished_and_unlisted_measures_and_confirm_takes_the_ticks(client, session, login_as):
    login_as(Role.SUPERVISOR)
    rows = [[1, "问题甲", "措施一", "组织人事部", "周洁", "2023年6月30日"],
            [2, "问题乙", "措施二", "组织人事部", "周洁", "2023年7月31日"],
            [3, "问题丙", "措施三", "组织人事部", "周洁", "2023年8月31日"]]
    page = upload(client, ledgers.simple_ledger(rows)).get_data(as_text=True)
    client.post("/imports/confirm", data=confirm_fields(page))
    done = session.scalar(sa.select(Measure).where(Measure.text == "措施一"))
    done.status = MeasureStatus.DONE
    session.commit()
    gone = session.scalar(sa.select(Measure).where(Measure.text == "措施三"))

    changed = [[1, "问题甲", "措施一", "组织人事部", "吴刚", "2023年6月30日"],
               [2, "问题乙", "措施二", "组织人事部", "周洁", "2023年7月31日"]]
    preview = upload(client, ledgers.simple_ledger(changed)).get_data(as_text=True)
    held = preview[preview.index('id="import-held"'):preview.index("</section>", preview.index('id="import-held"'))]
    assert "措施一" in held and "已完成" in held and "责任人：周洁 → 吴刚" in held
    missing = preview[preview.index('id="import-missing"'):]
    assert "措施三" in missing and f'name="delete" value="{gone.id}"' in missing

    client.post("/imports/confirm", data={**confirm_fields(preview), "include": [str(done.id), "x1"],
                                          "delete": [str(gone.id)], "sheet": ["m1.owners; drop table", "bad"]})
    session.expire_all()
    done, gone = session.get(Measure, done.id), session.get(Measure, gone.id)
    assert [o.name for o in done.owners] == ["吴刚"] and done.status is MeasureStatus.DONE
    assert gone.deleted_at is not None


def test_the_preview_shows_every_problem_as_read_paged_with_each_rows_findings(client, session, login_as):
    login_as(Role.SUPERVISOR)
    rows = [[i, f"干部档案缺失材料{i}份。", f"补齐档案材料{i}份。", "组织人事部", "周洁", "2023年6月底前" if i % 2 else "3天"]
            for i in range(1, 121)]
    preview = upload(client, ledgers.simple_ledger(rows))
    page = preview.get_data(as_text=True)
    section = page[page.index('id="import-rows"'):page.index("</section>", page.index('id="import-rows"'))]
    assert "问题 120 个，第 1/3 页" in section
    assert "干部档案缺失材料1份" in section and "补齐档案材料50份" in section and "缺失材料51份" not in section
    assert "2023年6月底前 → 2023年6月30日" in section and "3天 → 2023年3月18日" in section
    link = re.search(r'href="(/imports/preview/[0-9a-f]{32}\?[^"]*page=3[^"]*)"', section).group(1)
    third = client.get(link.replace("&amp;", "&"))
    assert third.status_code == 200
    later = third.get_data(as_text=True)
    assert "第 3/3 页" in later and "缺失材料120份" in later and "缺失材料1份" not in later
    assert 'name="token"' in later  # confirmable from any page
    assert count(session, Measure) == 0

    bad = upload(client, ledgers.simple_ledger([[1, "问题甲", "措施一", "组织人事部", "周洁", "尽快"]]))
    section = bad.get_data(as_text=True)
    section = section[section.index('id="import-rows"'):]
    assert "措施一" in section and "无法识别“尽快”" in section
    assert client.get("/imports/preview/" + "0" * 32 + "?filename=a.xlsx&title=x&kind=xuncha").status_code == 404


def test_columns_corrected_in_the_preview_then_remembered_for_the_same_headers(client, session, login_as):
    from test_import_mapping import ROWS, workbook

    from rectify.models import ImportMapping

    login_as(Role.SUPERVISOR)
    page = upload(client, workbook(ROWS)).get_data(as_text=True)
    columns = page[page.index('id="import-columns"'):]
    assert re.search(r'name="field:承办人"[^>]*>.*?<option value="note" selected', columns, re.S)
    fields = {**confirm_fields(page), "field:承办人": "owner", "field:完成节点": "deadline", "field:内部编码": "ignore",
              "header_row:问题清单": "3", "header_row_was:问题清单": "3"}
    remapped = client.post("/imports/remap", data=fields)
    assert remapped.status_code == 200
    page = remapped.get_data(as_text=True)
    rows = page[page.index('id="import-rows"'):page.index("</section>", page.index('id="import-rows"'))]
    assert "周洁" in rows and "2026年12月31日" in rows and "CZ-01" not in rows
    assert count(session, Measure) == 0
    mapping = re.search(r'name="mapping" type="hidden" value="([^"]*)"', page).group(1)
    done = client.post("/imports/confirm", data={**confirm_fields(page), "mapping": mapping.replace("&#34;", '"')})
    assert done.status_code == 302
    measure = session.scalar(sa.select(Measure).order_by(Measure.id))
    assert [o.name for o in measure.owners] == ["周洁"]
    assert count(session, ImportMapping) == 1

    again = upload(client, workbook(ROWS[1:], title="第二批")).get_data(as_text=True)
    assert "已按上次对相同表头所做的列设置读取" in again
    rows = again[again.index('id="import-rows"'):]
    assert "黄磊" in rows
    automatic = client.post("/imports/remap", data={**confirm_fields(again), "automatic": "1"}).get_data(as_text=True)
    assert "已按上次" not in automatic
    assert re.search(r'name="field:承办人"[^>]*>.*?<option value="note" selected', automatic, re.S)


def test_a_header_row_can_be_named_when_none_was_found(client, session, login_as):
    login_as(Role.SUPERVISOR)
    data = ledgers.simple_ledger([[1, "账目不清。", "清理账目。", "财政局", "黄磊", "2023年6月30日"]],
                                 headers=("编号", "情况", "做法", "科室", "人", "日期"))
    refused = upload(client, data)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'name="header_row:*"' in page
    bad = client.post("/imports/remap", data={**confirm_fields(page), "header_row:*": "0"})
    assert bad.status_code == 400


def test_an_empty_batch_name_is_taken_from_the_lists_title(client, session, login_as):
    from test_import_mapping import ROWS, workbook

    from rectify.models import Batch

    login_as(Role.SUPERVISOR)
    preview = upload(client, workbook(ROWS), title="")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "导入到批次“县委第一巡察组反馈问题整改清单”" in page and "按表格标题拟定" in page
    client.post("/imports/confirm", data=confirm_fields(page))
    assert session.scalar(sa.select(Batch.title)) == "县委第一巡察组反馈问题整改清单"

    plain = upload(client, ledgers.simple_ledger([[1, "问题甲", "措施一", "组织人事部", "周洁", "2023年6月30日"]]),
                   filename="督查交办问题.xlsx", title="").get_data(as_text=True)
    assert "导入到批次“督查交办问题”" in plain  # no title row: the file's name


def test_a_refused_form_keeps_the_chosen_file(client, session, login_as):
    login_as(Role.SUPERVISOR)
    refused = upload(client, ledgers.messy_ledger(), feedback_on="2023-13-45")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "已选择文件“巡察反馈台账.xlsx”" in page
    token = re.search(r'name="kept_token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    again = client.post("/imports/", data={"title": "县委第三巡察组反馈意见整改", "kind": "xuncha",
                                          "feedback_on": "2023-03-15", "kept_token": token,
                                          "kept_filename": "巡察反馈台账.xlsx"}, content_type="multipart/form-data")
    assert again.status_code == 200 and "将新建问题 3 个、措施 5 项" in again.get_data(as_text=True)
    forged = client.post("/imports/", data={"title": "x", "kind": "xuncha", "kept_token": "../" + "0" * 29,
                                           "kept_filename": "a.xlsx"}, content_type="multipart/form-data")
    assert forged.status_code == 400 and "请选择要导入的文件" in forged.get_data(as_text=True)
    assert count(session, Measure) == 0


def test_a_new_name_one_character_from_a_known_person_can_be_taken_for_them(client, session, login_as, make_user):
    from rectify.models import Person

    login_as(Role.SUPERVISOR)
    zhou = make_user(Role.OWNER, name="周洁", person=True)
    make_user(Role.OWNER, name="黄磊")  # an account, no person yet
    rows = [[1, "问题甲", "措施一", "组织人事部", "周杰", "2023年6月30日"],
            [2, "问题乙", "措施二", "组织人事部", "黄磊", "2023年6月30日"]]
    page = upload(client, ledgers.simple_ledger(rows)).get_data(as_text=True)
    names = page[page.index('id="import-names"'):page.index("</section>", page.index('id="import-names"'))]
    assert "新建人员“周杰”" in names and "即已有的“周洁”（组织人事部，有账号）" in names
    assert "新建人员“黄磊”，关联同名账号" in names
    client.post("/imports/confirm", data={**confirm_fields(page), "person:周杰": "周洁"})
    measure = session.scalar(sa.select(Measure).where(Measure.text == "措施一"))
    assert [o.name for o in measure.owners] == ["周洁"] and measure.owners[0].user_id == zhou.id
    assert session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.name == "周杰")) == 0
