"""Word documents (.docx): their tables imported like sheets, behind the same walls as workbooks."""
import io
import zipfile

import docx
import pytest

import lists
from test_import import counts, run


def document(rows, paragraphs=("关于反馈意见的整改方案",)) -> bytes:
    made = docx.Document()
    for text in paragraphs:
        made.add_paragraph(text)
    grid = made.add_table(rows=len(rows), cols=len(rows[0]))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            grid.cell(r, c).text = value
    buffer = io.BytesIO()
    made.save(buffer)
    return buffer.getvalue()


GOOD = [("序号", "存在问题", "整改措施", "整改时限"), ("1", "问题甲", "措施一", "2023年6月30日")]


def rewritten(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item.filename, change(item.filename, source.read(item)))
    return buffer.getvalue()


def test_a_documents_tables_are_imported_and_its_paragraphs_are_not(app, session):
    report = run(app, lists.task_breakdown_docx(), "整改方案.docx")
    assert report.errors == []
    assert counts(session) == (1, 2, 4)
    assert any("已读取 Word 文档中的 2 个表格；表格以外的段落不导入" in str(w) for w in report.warnings)


def test_errors_name_the_table_row_and_column(app, session):
    report = run(app, document([*GOOD, ("2", "问题乙", "措施二", "2023年13月")]), "方案.docx")
    assert [str(e) for e in report.errors] == [
        "表格1，第 3 行，第 4 列：整改时限月份 13 不存在，请写成如“2023年6月30日”“2023年6月底前”“3天”“立行立改”“长期坚持”。"]
    assert report.as_json()["errors"][0] == {"sheet": "表格1", "row": 3, "column": "D", "message": report.errors[0].message}
    assert counts(session) == (0, 0, 0)


def _dtd_deep_inside(name, data):
    if name != "word/document.xml":
        return data
    declaration, _, rest = data.partition(b"?>")
    padding = b"<!--" + b" " * 4096 + b"-->"  # past the first 2,048 bytes a workbook's parts are checked for
    return declaration + b"?>" + padding + b'<!DOCTYPE w [<!ENTITY a "aaaa">]>' + rest


@pytest.mark.parametrize("build, filename, message", [
    (lambda: rewritten(document(GOOD), _dtd_deep_inside), "方案.docx", "DTD"),
    (lambda: rewritten(document(GOOD), lambda n, d: d + b" " * (300 * 1024 * 1024) if n == "word/document.xml" else d),
     "方案.docx", "压缩炸弹"),
    (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "方案.docx", "已加密"),
    (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "方案.doc", "另存为 .docx"),
    (lambda: rewritten(document(GOOD), lambda n, d: d), "方案.docx", None),
    (lambda: lists.county_xuncha_feedback(), "方案.docx", "不是 Word 文档"),
    (lambda: document([("甲", "乙")]), "方案.docx", "未找到可识别的表头：文档的表格中"),
])
def test_malicious_or_wrong_documents_are_refused(app, session, build, filename, message):
    report = run(app, build(), filename)
    if message is None:  # the rewritten but honest document still imports
        assert report.errors == []
        return
    assert [message in e.message for e in report.errors] == [True], report.errors
    assert counts(session) == (0, 0, 0)


@pytest.mark.parametrize("app_config", [{"RECTIFY_IMPORT_MAX_ROWS": 3}])
def test_a_table_past_the_row_limit_is_refused_by_the_reader(app, session):
    report = run(app, document([*GOOD] + [("", "", "", "")] * 5), "方案.docx")
    assert [e.message for e in report.errors] == [
        "Word 文档的表格1的数据范围达 7 行 × 4 列，超过上限（3 行、200 列），请删除多余的行和列后重新导入。"]
