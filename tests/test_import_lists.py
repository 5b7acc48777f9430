"""The corpus of real lists (tests/lists.py, tests/fixtures/lists/SOURCES.md): each imports as a user
expects, and nothing in any of them is dropped without a word."""
import io
import json
import re

import pytest
import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.imports.operations import BatchSpec, import_findings
from rectify.imports.reader import Limits, check_file, read_sheets
from rectify.imports.statuses import status_for
from rectify.models import Measure, Problem, ProgressUpdate, Role, SourceKind

import lists

BY_NAME = {fixture.name: fixture for fixture in lists.CORPUS}


@pytest.fixture(scope="module")
def files(request):
    """Each fixture's bytes; those offices send as .xls are saved again by LibreOffice."""
    built = {}
    for fixture in lists.CORPUS:
        data = fixture.build()
        if fixture.convert:
            data = request.getfixturevalue("libreoffice")(data, fixture.convert)
        built[fixture.name] = data
    return built


def imported(app, fixture, data):
    with app.app_context():
        report = import_findings(data, fixture.filename, BatchSpec(fixture.name, SourceKind.OTHER, fixture.feedback_on),
                                 by=None, via="cli")
        assert report.errors == [], [str(e) for e in report.errors]
        db.session.commit()
        return report


def starting(items, start):
    found = [item for item in items if item[0].startswith(start)]
    assert len(found) >= 1, f"nothing starts with {start!r} in {[i[0] for i in items]}"
    return found[0][1]


def test_the_corpus_is_wide():
    assert len(lists.CORPUS) >= 15
    assert {f.filename.rsplit(".", 1)[1] for f in lists.CORPUS} == {"xlsx", "xls", "docx"}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_each_real_list_imports_as_a_user_expects(app, session, files, name):
    fixture, expected = BY_NAME[name], BY_NAME[name].expected
    report = imported(app, fixture, files[name])
    assert (report.problems, report.measures) == (expected.problems, expected.measures)
    measures = session.scalars(sa.select(Measure).order_by(Measure.id)).all()
    problems = session.scalars(sa.select(Problem).order_by(Problem.id)).all()
    assert sum(m.is_problem_itself for m in measures) == expected.itself
    by_text = [(m.text, m) for m in measures]
    for start, due_on in expected.deadlines.items():
        assert starting(by_text, start).due_on == due_on, start
    for start, label in expected.statuses.items():
        assert starting(by_text, start).status.label == label, start
    by_problem = [(p.description, p) for p in problems]
    for start, unit in expected.units.items():
        assert starting(by_problem, start).lead_unit.name == unit, start
    for start, location in expected.locations.items():
        problem = starting(by_problem, start) if any(d.startswith(start) for d, _ in by_problem) \
            else starting(by_text, start).problem
        assert problem.location == location, start
    for header in expected.unmapped:
        assert any(header in name for name in report.unmapped), report.unmapped
    warnings = [str(w) for w in report.warnings]
    for words in expected.warnings:
        assert any(words in w for w in warnings), (words, warnings)
    assert all(m.lead_unit is not None for m in measures if expected.units)


FRAGMENT = re.compile(r"[\s、，,；;。：:（）()\[\]【】“”\"'/．.!！?？①②③④⑤⑥⑦⑧⑨⑩]+")
NUMBERING = re.compile(r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})(?:是)?$|^第[一二三四五六七八九十]+$")
ITEM_MARK = re.compile(r"^(?:[一二三四五六七八九十]{1,3}是|第[一二三四五六七八九十]{1,3}|\d{1,2}(?=\D))")


def _squeeze(text) -> str:
    return re.sub(r"\s+", "", str(text))


def _everything_kept(session, report) -> str:
    """Every text the import kept: the database's fields, the warnings, the report's headers."""
    session.expire_all()
    parts = []
    for p in session.scalars(sa.select(Problem)):
        parts += [p.number, p.aspect, p.category, p.description, p.location, p.lead_unit and p.lead_unit.name,
                  *(person.name for person in p.leaders)]
    for m in session.scalars(sa.select(Measure)):
        parts += [m.text, m.goal, m.note, m.deadline_text, m.status.label, m.lead_unit and m.lead_unit.name,
                  *(u.name for u in m.cooperating_units), *(o.name for o in m.owners), *(o.name for o in m.leaders)]
    parts += session.scalars(sa.select(ProgressUpdate.text)).all()
    parts += [str(w) for w in report.warnings]
    parts += list(report.columns) + list(report.unmapped)
    parts += [text for sheet in report.sheets for text in sheet["above_header"]]
    parts += [field["header"] for sheet in report.sheets for field in sheet["fields"]]
    return _squeeze("\n".join(str(part) for part in parts if part))


@pytest.mark.parametrize("name", list(BY_NAME))
def test_no_cell_of_a_real_list_is_dropped_silently(app, session, files, name):
    """Every non-empty visible cell's text is in a field, a note, the location, the report's
    headers or a warning (a Word document's tables; its paragraphs are not imported, by design)."""
    fixture = BY_NAME[name]
    report = imported(app, fixture, files[name])
    kept = _everything_kept(session, report)
    data = files[name]
    limits = Limits()
    sheets = read_sheets(data, fixture.filename, check_file(data, fixture.filename, limits.max_mb), limits)
    missing = []
    for sheet in sheets:
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is None or c in sheet.hidden_columns:
                    continue
                for fragment in FRAGMENT.split(_squeeze(value)):
                    fragment = ITEM_MARK.sub("", fragment)  # an item's number: kept apart from its text
                    if len(fragment) < 2 or NUMBERING.match(fragment) or fragment in kept:
                        continue
                    if status_for(fragment) is not None and len(fragment) <= 8:
                        continue  # a status word: it set the measure's status
                    missing.append((sheet.name, r + 1, c + 1, fragment))
    assert missing == []


def _snapshot(session, batch):
    problems = session.scalars(sa.select(Problem).join(Problem.batch).where(sa.text("batch.title = :t"))
                               .params(t=batch).order_by(Problem.position)).all()
    return [(p.number, p.aspect, p.description, p.location, p.lead_unit and p.lead_unit.name,
             [(m.text, m.due_on, m.is_problem_itself, m.status, m.lead_unit and m.lead_unit.name,
               sorted(o.name for o in m.owners)) for m in p.measures])
            for p in problems]


@pytest.mark.parametrize("name", ["创文督查通报问题清单", "市委巡察整改台账（.xls）", "审计查出问题整改清单"])
def test_our_own_ledger_comes_back_the_same(app, session, runner, files, tmp_path, name):
    """Export → import into a fresh batch: the same problems and measures; import into the batch it
    came from: nothing new. Its 统计汇总 and 逾期清单 sheets are skipped."""
    fixture = BY_NAME[name]
    imported(app, fixture, files[name])
    before = _snapshot(session, fixture.name)
    out = tmp_path / "台账.xlsx"
    result = runner.invoke(args=["ledger", "export", str(out), "--batch", fixture.name])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["findings", "import", str(out), "--batch", "回导", "--json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert (report["problems"], report["measures"]) == (fixture.expected.problems, fixture.expected.measures)
    assert any("统计汇总" in w["sheet"] or "逾期清单" in (w["sheet"] or "") for w in report["warnings"] if w["sheet"])
    assert _snapshot(session, "回导") == before
    update = runner.invoke(args=["findings", "import", str(out), "--batch", fixture.name, "--json"])
    assert json.loads(update.stdout)["created"]["measures"] == 0
    assert _snapshot(session, fixture.name) == before


def test_the_preview_says_which_column_became_which_field_and_the_ticket_shows_the_rest(
        app, client, session, login_as, files):
    login_as(Role.SUPERVISOR, department=None)
    data = files["双创交办清单"]
    page = client.post("/imports/", content_type="multipart/form-data", data={
        "title": "交办", "kind": "supervision", "feedback_on": "2020-08-04",
        "file": (io.BytesIO(data), "交办清单.xlsx")}).get_data(as_text=True)
    assert re.search(r'<td>问题点位</td>\s*<td><select[^>]*name="field:问题点位".*?<option value="location" selected>点位',
                     page, re.S) and "与“属地”列同为责任单位" in page
    imported(app, BY_NAME["双创交办清单"], data)
    problem = session.scalar(sa.select(Problem).where(Problem.description.startswith("公厕")))
    ticket = client.get(f"/problems/{problem.id}").get_data(as_text=True)
    assert "点位：宝塔公园东门" in ticket and "待细化" in ticket
    assert "2020年8月7日" in ticket and "（原文：3天）" in ticket and "主管单位：区住建局" in ticket
