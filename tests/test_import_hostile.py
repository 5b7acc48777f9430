"""Hostile workbooks: refused with a Chinese message at every door, nothing written, the server unharmed.

Each of these once reached python-calamine whole: one cell at XFD50000 made it ask for 26 GB
and abort the process that served the upload.
"""
import io
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from rectify.core import uploads
from rectify.imports import sandbox
from rectify.models import Department, Measure, Person, ProgressUpdate, Role

import ledgers
from live_server import Browserless, LiveServer
from test_import import counts, run

TOO_LARGE = "工作表“问题清单”的数据范围达 {}，超过上限（50,000 行、200 列），请删除多余的行和列后重新导入。"
HOSTILE = {
    "far cell": (lambda: ledgers.far_cell("XFD50000"), "台账.xlsx", TOO_LARGE.format("50,000 行 × 16,384 列")),
    "last cell of a sheet": (lambda: ledgers.far_cell("XFD1048576"), "台账.xlsx",
                             TOO_LARGE.format("1,048,576 行 × 16,384 列")),
    "last row": (lambda: ledgers.far_cell("A1048576"), "台账.xlsx", TOO_LARGE.format("1,048,576 行 × 6 列")),
    "lying dimension": (ledgers.lying_dimension, "台账.xlsx", TOO_LARGE.format("1,048,576 行 × 16,384 列")),
    "16,384 columns": (ledgers.full_width_row, "台账.xlsx", TOO_LARGE.format("3 行 × 16,384 列")),
    "rows and cells without r": (lambda: ledgers.rows_without_references(60000), "台账.xlsx",
                                 TOO_LARGE.format("60,002 行 × 6 列")),
    "namespace prefix": (ledgers.prefixed_far_cell, "台账.xlsx", TOO_LARGE.format("3 行 × 256 列")),
    "two r attributes": (ledgers.duplicated_reference, "台账.xlsx", TOO_LARGE.format("50,000 行 × 16,384 列")),
    "cell over 32,767 characters": (lambda: ledgers.long_cell(3, 32768), "台账.xlsx",
                                    "工作表“问题清单”第 2 行 C 列的单元格有 32,768 个字符，超过 Excel 单元格 32,767 个字符的上限"),
    "bad checksum": (ledgers.bad_checksum, "台账.xlsx", "“台账.xlsx”已损坏，无法打开。"),
    "bad checksum further in": (lambda: ledgers.bad_checksum(100), "台账.xlsx", "“台账.xlsx”已损坏，无法打开。"),
    "ods far cell": (ledgers.ods_far_cell, "台账.ods", TOO_LARGE.format("50,000 行 × 16,384 列")),
    "ods row repeated": (ledgers.ods_repeated_content, "台账.ods", TOO_LARGE.format("1,000,002 行 × 6 列")),
    # BIFF8 stops at IV65536, which calamine holds in about 1 GB: the reader's process checks it.
    "xls far cell": (None, "台账.xls", TOO_LARGE.format("60,000 行 × 256 列")),
}
every_hostile_file = pytest.mark.parametrize("name", list(HOSTILE))


@pytest.fixture(scope="module")
def far_xls(libreoffice):
    return libreoffice(ledgers.far_cell("IV60000"), "xls")


@pytest.fixture
def hostile_file(request, name):
    """(bytes, file name, the message expected) of the hostile workbook ``name``."""
    build, filename, message = HOSTILE[name]
    return (request.getfixturevalue("far_xls") if build is None else build()), filename, message


def nothing_written(session):
    assert counts(session) == (0, 0, 0)
    assert session.scalar(sa.select(sa.func.count()).select_from(Department)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


@every_hostile_file
def test_hostile_workbooks_are_refused_and_write_nothing(app, session, hostile_file):
    data, filename, message = hostile_file
    report = run(app, data, filename)
    assert [message in e.message for e in report.errors] == [True], report.errors
    nothing_written(session)


@every_hostile_file
def test_the_import_page_refuses_them(client, session, login_as, hostile_file):
    data, filename, message = hostile_file
    login_as(Role.SUPERVISOR, department=None)
    response = client.post("/imports/", content_type="multipart/form-data", data={
        "title": "县委第三巡察组反馈意见整改", "kind": "xuncha", "file": (io.BytesIO(data), filename)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert "确认导入" not in page and "下载已标注错误的原文件" not in page
    nothing_written(session)


@every_hostile_file
def test_the_api_refuses_them(client, session, runner, make_user, hostile_file):
    data, filename, message = hostile_file
    token = runner.invoke(args=["users", "token", make_user(Role.SUPERVISOR, department=None).username]).stdout.strip()
    response = client.post("/api/v1/imports", content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}"},
                           data={"batch": "API导入", "file": (io.BytesIO(data), filename)})
    assert response.status_code == 422
    assert [message in e["message"] for e in response.json["errors"]] == [True]
    assert response.json["imported"] is False
    nothing_written(session)


@every_hostile_file
def test_the_ledger_upload_refuses_them(client, session, login_as, make_measure, hostile_file):
    data, filename, message = hostile_file
    make_measure()
    login_as(Role.VIEWER)  # anyone signed in may upload a ledger
    response = client.post("/ledger/upload", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), filename)})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == 0


@every_hostile_file
def test_the_cli_refuses_them(runner, session, tmp_path, hostile_file):
    data, filename, message = hostile_file
    path = tmp_path / filename
    path.write_bytes(data)
    result = runner.invoke(args=["findings", "import", str(path)])
    assert result.exit_code == 1 and message in result.output and "未导入" in result.output
    nothing_written(session)


def test_a_refused_workbook_is_never_opened_to_mark_its_errors(app, client, login_as):
    login_as(Role.SUPERVISOR)
    with app.app_context():
        token = uploads.keep(ledgers.far_cell())
    assert client.get(f"/imports/marked/{token}").status_code == 404


def test_a_cell_as_long_as_excel_allows_is_imported_where_its_field_holds_it(app, session):
    report = run(app, ledgers.long_cell(3, 32767))
    assert report.errors == []
    assert len(session.scalar(sa.select(Measure.text))) == 32767


@pytest.mark.parametrize("column, letter, label, limit", [(4, "D", "责任单位", 100), (5, "E", "责任人", 64)])
def test_a_name_longer_than_its_field_is_an_error_at_its_cell(app, session, column, letter, label, limit):
    report = run(app, ledgers.long_cell(column, 32767))
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("问题清单", 2, letter)]
    assert f"{label}“{'字' * 20}……”过长（32,767 个字），最多 {limit} 个字。" == report.errors[0].message
    nothing_written(session)


def test_what_libreoffice_writes_after_a_table_is_not_counted(app, session):
    report = run(app, ledgers.ods_like_libreoffice(), "台账.ods")  # a million empty rows, 1,024 columns
    assert report.errors == [] and counts(session) == (1, 1, 1)


def test_hidden_columns_follow_the_workbooks_relationships_not_file_names(app, session):
    """The table is the second sheet, kept in sheet1.xml: its hidden column is still hidden."""
    report = run(app, ledgers.sheets_stored_in_reverse())
    assert report.errors == []
    assert session.scalars(sa.select(Department.name)).all() == ["组织人事部"]


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no memory cap for a process")
@pytest.mark.parametrize("app_config", [{"RECTIFY_IMPORT_MEMORY_MB": 64}])
def test_a_reader_past_its_memory_limit_is_refused_cleanly(app, session):
    small = run(app, ledgers.messy_ledger(), commit=False)
    assert small.errors == []  # 64 MB reads an ordinary ledger
    report = run(app, ledgers.far_cell("GR50000"))  # within the limits, but 10 million cells: 600 MB
    assert [e.message for e in report.errors] == [
        "“台账.xlsx”无法读取：解析时超出内存限制（64 MB），文件中的数据过多或结构异常。请删除多余的行、列和内容后重新导入。"]
    nothing_written(session)


@pytest.fixture
def stand_in_reader(tmp_path, monkeypatch):
    """Replace the reader script by one that misbehaves as told."""

    def use(source: str) -> None:
        script = tmp_path / "reader.py"
        script.write_text(source, encoding="utf-8")
        monkeypatch.setattr(sandbox, "CHILD", script)

    return use


@pytest.mark.parametrize("app_config", [{"RECTIFY_IMPORT_TIMEOUT": 1}])
def test_a_reader_that_hangs_is_stopped(app, session, stand_in_reader):
    stand_in_reader("import sys, time\nsys.stdin.buffer.read()\ntime.sleep(30)\n")
    report = run(app, ledgers.messy_ledger())
    assert [e.message for e in report.errors] == ["“台账.xlsx”无法读取：解析超时（超过 1 秒），文件中的数据过多或结构异常。"]
    nothing_written(session)


@pytest.mark.parametrize("source", [
    pytest.param("import os, signal, sys\nsys.stdin.buffer.read()\nos.kill(os.getpid(), signal.SIGSEGV)\n", id="crash"),
    pytest.param("import sys\nsys.stdin.buffer.read()\nprint('{not json')\n", id="garbage"),
    pytest.param("import sys\nsys.stdin.buffer.read()\n"
                 "print('{\"sheet\": \"问题清单\", \"merged\": [], \"rows\": [[\"存在问题\"]]}')\n", id="cut short"),
    pytest.param("import sys\nsys.stdin.buffer.read()\nprint('{\"sheet\": 1, \"merged\": [], \"rows\": 5}')\n"
                 "print('{\"done\": true}')\n", id="wrong shape"),
])
def test_a_reader_that_crashes_or_answers_nonsense_is_refused_cleanly(app, session, stand_in_reader, source):
    if "SIGSEGV" in source and sys.platform == "win32":
        pytest.skip("no SIGSEGV to send on Windows")
    stand_in_reader(source)
    report = run(app, ledgers.messy_ledger())
    assert [e.message for e in report.errors] == ["“台账.xlsx”无法读取：解析过程意外终止，文件可能已损坏。"]
    nothing_written(session)


@pytest.mark.slow
def test_a_running_server_refuses_them_and_keeps_serving(tmp_path):
    instance = tmp_path / "instance"
    with LiveServer(instance, "--demo") as server:
        password = server.printed(r"演示账号 duban、lingdao、zeren1、zeren2、chakan 的密码：(\S+)")
        browser = Browserless(server.url)
        assert browser.submit("/login", {"username": "duban", "password": password})[0] == 302
        token = re.search(r'id="new-token">(rct_[^<]+)<', browser.submit("/account/tokens", {"name": "测试"})[2]).group(1)
        files = {"far.xlsx": ledgers.far_cell("XFD50000"), "corner.xlsx": ledgers.far_cell("XFD1048576"),
                 "far.ods": ledgers.ods_far_cell(), "crc.xlsx": ledgers.bad_checksum(100)}
        for filename, data in files.items():
            status, _, page = browser.upload("/imports/", {"title": "攻击测试", "kind": "xuncha"},
                                             {"file": (filename, data)}, form_page="/imports/")
            assert status == 400 and ("超过上限" in page or "已损坏" in page), page
            status, _, page = browser.upload("/ledger/upload", {}, {"file": (filename, data)}, form_page="/ledger/upload")
            assert status == 400 and ("超过上限" in page or "已损坏" in page), page
            status, _, body = browser.upload("/api/v1/imports", {"batch": "攻击测试"}, {"file": (filename, data)},
                                             headers={"Authorization": f"Bearer {token}"})
            message = json.loads(body)["errors"][0]["message"]
            assert status == 422 and ("超过上限" in message or "已损坏" in message), message
        assert server.process.poll() is None
        status, _, page = browser.get("/")
        assert status == 200 and "工作台" in page
    with sqlite3.connect(Path(instance) / "rectify.db") as database:
        assert database.execute("select count(*) from batch where title = '攻击测试'").fetchone() == (0,)
