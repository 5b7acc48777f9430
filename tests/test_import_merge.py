"""Re-imports merge (rectify/imports/merge.py): work done in the system is never undone by a sheet.

The rules, on both databases: a field changed in the system since the last import is a conflict
kept by default; a field only the sheet changed is updated like an edit on the page (audited,
re-签收, told); 已完成/待审核 measures are left alone unless ticked; measures no longer listed
are named and kept unless chosen for deletion; undo puts back what an import changed.
"""
import json
from datetime import date

import pytest
import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.imports.operations import BatchSpec, Resolution, UndoRefused, import_findings, undo_import
from rectify.models import (
    AuditLog,
    Event,
    ExtensionRequest,
    ImportRecord,
    Measure,
    MeasureStatus,
    Person,
    ProgressUpdate,
    Role,
    SourceKind,
)
from rectify.tracking import workflow

import ledgers

SPEC = BatchSpec("县委第一巡察组反馈问题整改", SourceKind.XUNCHA, date(2026, 9, 1))
HEADERS = ("序号", "存在问题", "整改措施", "责任单位", "责任人", "整改时限", "整改进展")


def sheet(*rows):
    return ledgers.simple_ledger(rows, headers=HEADERS)


FIRST = sheet(
    [1, "干部档案管理不规范。", "逐一核查干部档案。", "组织人事部", "周洁", "2026年12月15日", None],
    [None, None, "建立档案管理台账。", "组织人事部", "周洁", "2026年12月31日", None],
    [2, "公务接待审批不严。", "规范公务接待审批。", "党政综合办公室", "刘芳", "2026年11月30日", None],
)


def run(app, data, resolution=Resolution(), commit=True, by=None):
    with app.app_context():
        user = db.session.merge(by) if by is not None else None
        report = import_findings(data, "反馈问题清单.xlsx", SPEC, by=user, via="cli", resolution=resolution)
        assert report.errors == [], [str(e) for e in report.errors]
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return report


def measure(session, text) -> Measure:
    session.expire_all()
    return session.scalar(sa.select(Measure).where(Measure.text == text))


def names(people):
    return sorted(p.name for p in people)


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR, name="王督办")


def reassign(app, session, supervisor, text, owner):
    with app.app_context():
        target = db.session.scalar(sa.select(Measure).where(Measure.text == text))
        person = db.session.scalar(sa.select(Person).where(Person.name == owner)) or Person(name=owner)
        workflow.update_measure(target, db.session.merge(supervisor), target.version, owners=[person])
        db.session.commit()


def extend(app, supervisor, text, until):
    with app.app_context():
        target = db.session.scalar(sa.select(Measure).where(Measure.text == text))
        request = ExtensionRequest(measure=target, old_due_on=target.due_on, new_due_on=until, reason="需协调上级部门")
        db.session.add(request)
        db.session.flush()
        workflow.decide_extension(request, db.session.merge(supervisor), approve=True)
        db.session.commit()


def set_status(session, text, status):
    target = measure(session, text)
    target.status = status
    session.commit()


def test_reimporting_the_same_sheet_keeps_what_the_supervisor_did(app, session, supervisor):
    """The issue's case: reassigned, extended and finished measures survive the same sheet again."""
    run(app, FIRST)
    reassign(app, session, supervisor, "逐一核查干部档案。", "黄磊")
    extend(app, supervisor, "逐一核查干部档案。", date(2027, 1, 31))
    set_status(session, "规范公务接待审批。", MeasureStatus.DONE)
    audits_before = session.scalar(sa.select(sa.func.count()).select_from(AuditLog))

    report = run(app, FIRST)

    checked = measure(session, "逐一核查干部档案。")
    assert names(checked.owners) == ["黄磊"]
    assert checked.due_on == date(2027, 1, 31) and checked.original_due_on == date(2026, 12, 15)
    assert measure(session, "规范公务接待审批。").status is MeasureStatus.DONE
    assert report.changes == []
    conflicts = {(c["measure_id"], c["field"]): c for c in report.conflicts}
    assert set(conflicts) == {(checked.id, "owners"), (checked.id, "deadline")}
    assert conflicts[checked.id, "owners"]["system"] == ["黄磊"] and conflicts[checked.id, "owners"]["sheet"] == ["周洁"]
    assert all(c["taken"] == "system" for c in report.conflicts)
    assert report.updated["measures"] == 0 and report.unchanged["measures"] == 3
    # only the import's own entry: no field was written
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audits_before + 1


def test_a_field_only_the_sheet_changed_is_updated_like_an_edit(app, session, supervisor):
    run(app, FIRST)
    target = measure(session, "建立档案管理台账。")
    target.acknowledged_at = utcnow()
    session.commit()
    changed = sheet(
        [1, "干部档案管理不规范。", "逐一核查干部档案。", "组织人事部", "周洁", "2026年12月15日", None],
        [None, None, "建立档案管理台账。", "组织人事部", "吴刚", "2027年1月15日", "已起草台账模板。"],
        [2, "公务接待审批不严。", "规范公务接待审批。", "党政综合办公室", "刘芳", "2026年11月30日", None],
    )
    report = run(app, changed, by=supervisor)

    target = measure(session, "建立档案管理台账。")
    assert names(target.owners) == ["吴刚"] and target.due_on == date(2027, 1, 15)
    assert target.acknowledged_at is None  # a new owner signs for it anew
    assert {(c["field"], json.dumps(c["old"], ensure_ascii=False)) for c in report.changes} >= {
        ("owners", '["周洁"]'), ("progress", "null")}
    assert report.conflicts == [] and report.updated["measures"] == 1 and report.unchanged["measures"] == 2
    entry = session.scalar(sa.select(AuditLog).where(AuditLog.action == "import_update",
                                                     AuditLog.object_id == target.id))
    assert entry.changes["owners"] == [["周洁"], ["吴刚"]]
    assert entry.changes["due_on"] == ["2026-12-31", "2027-01-15"]
    assert entry.actor_id == supervisor.id
    kinds = {(e.kind, tuple(sorted(e.details.get("people", [])))) for e in session.scalars(
        sa.select(Event).where(Event.measure_id == target.id))}
    assert {k for k, _ in kinds} >= {"assigned", "unassigned", "changed"}
    assert session.scalar(sa.select(ProgressUpdate.text).where(ProgressUpdate.measure_id == target.id)) == "已起草台账模板。"


def test_a_conflict_takes_the_sheets_value_when_chosen_for_that_field_or_for_all(app, session, supervisor):
    run(app, FIRST)
    reassign(app, session, supervisor, "逐一核查干部档案。", "黄磊")
    reassign(app, session, supervisor, "建立档案管理台账。", "黄磊")
    first, second = measure(session, "逐一核查干部档案。"), measure(session, "建立档案管理台账。")

    one = run(app, FIRST, Resolution(sheet=frozenset({f"m{first.id}.owners"})))
    assert names(measure(session, "逐一核查干部档案。").owners) == ["周洁"]
    assert names(measure(session, "建立档案管理台账。").owners) == ["黄磊"]
    assert {(c["measure_id"], c["taken"]) for c in one.conflicts} == {(first.id, "sheet"), (second.id, "system")}

    run(app, FIRST, Resolution(on_conflict="sheet"))
    assert names(measure(session, "建立档案管理台账。").owners) == ["周洁"]


def test_finished_and_submitted_measures_are_left_alone_unless_ticked(app, session):
    run(app, FIRST)
    set_status(session, "规范公务接待审批。", MeasureStatus.DONE)
    set_status(session, "建立档案管理台账。", MeasureStatus.PENDING_REVIEW)
    changed = sheet(
        [1, "干部档案管理不规范。", "逐一核查干部档案。", "组织人事部", "周洁", "2026年12月15日", None],
        [None, None, "建立档案管理台账。", "组织人事部", "吴刚", "2026年12月31日", "补充说明"],
        [2, "公务接待审批不严。", "规范公务接待审批。", "党政综合办公室", "赵敏", "2026年11月30日", None],
    )
    report = run(app, changed)
    assert names(measure(session, "规范公务接待审批。").owners) == ["刘芳"]
    assert names(measure(session, "建立档案管理台账。").owners) == ["周洁"]
    assert {(h["measure_id"], h["status"]) for h in report.held} == {
        (measure(session, "规范公务接待审批。").id, "已完成"), (measure(session, "建立档案管理台账。").id, "待审核")}
    assert session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == 0

    done = measure(session, "规范公务接待审批。")
    report = run(app, changed, Resolution(include=frozenset({done.id})))
    assert names(measure(session, "规范公务接待审批。").owners) == ["赵敏"]
    assert measure(session, "规范公务接待审批。").status is MeasureStatus.DONE
    assert names(measure(session, "建立档案管理台账。").owners) == ["周洁"]


def test_measures_no_longer_listed_are_named_and_kept_unless_chosen(app, session):
    run(app, FIRST)
    shorter = sheet(
        [1, "干部档案管理不规范。", "逐一核查干部档案。", "组织人事部", "周洁", "2026年12月15日", None],
        [2, "公务接待审批不严。", "规范公务接待审批。", "党政综合办公室", "刘芳", "2026年11月30日", None],
    )
    report = run(app, shorter)
    gone = measure(session, "建立档案管理台账。")
    assert [(m["measure_id"], m["deleted"]) for m in report.missing] == [(gone.id, False)]
    assert gone.deleted_at is None

    report = run(app, shorter, Resolution(delete=frozenset({gone.id})))
    assert measure(session, "建立档案管理台账。").deleted_at is not None
    assert [(m["measure_id"], m["deleted"]) for m in report.missing] == [(gone.id, True)]
    with app.app_context():  # undo brings it back
        undo_import(db.session.get(ImportRecord, report.record_id), None, utcnow())
        db.session.commit()
    assert measure(session, "建立档案管理台账。").deleted_at is None


def test_undo_puts_back_what_an_import_changed_unless_changed_again(app, session, supervisor):
    run(app, FIRST)
    changed = sheet(
        [1, "干部档案管理不规范。", "逐一核查干部档案。", "组织人事部", "吴刚", "2027年3月31日", "已核查一半。"],
        [None, None, "建立档案管理台账。", "组织人事部", "周洁", "2026年12月31日", None],
        [2, "公务接待审批不严。", "规范公务接待审批。", "党政综合办公室", "赵敏", "2026年11月30日", None],
    )
    second = run(app, changed)
    third = run(app, FIRST)  # the first sheet again: every field goes back (nothing was changed by hand)
    assert names(measure(session, "逐一核查干部档案。").owners) == ["周洁"] and third.conflicts == []
    with app.app_context():
        undo_import(db.session.get(ImportRecord, third.record_id), None, utcnow())
        db.session.commit()
    target = measure(session, "逐一核查干部档案。")
    assert names(target.owners) == ["吴刚"] and target.due_on == date(2027, 3, 31)
    with app.app_context():
        undo_import(db.session.get(ImportRecord, second.record_id), None, utcnow())
        db.session.commit()
    target = measure(session, "逐一核查干部档案。")
    assert names(target.owners) == ["周洁"] and target.due_on == date(2026, 12, 15)
    assert names(measure(session, "规范公务接待审批。").owners) == ["刘芳"]
    assert session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == 0

    again = run(app, changed)
    reassign(app, session, supervisor, "逐一核查干部档案。", "黄磊")
    with app.app_context():
        with pytest.raises(UndoRefused, match="逐一核查干部档案.*责任人"):
            undo_import(db.session.get(ImportRecord, again.record_id), None, utcnow())
        db.session.rollback()
    assert names(measure(session, "逐一核查干部档案。").owners) == ["黄磊"]
    assert names(measure(session, "规范公务接待审批。").owners) == ["赵敏"]


def test_measures_no_import_wrote_count_every_difference_as_a_conflict(app, session, make_measure):
    """Typed in on the page (or imported before imports remembered the sheet): nothing says the
    system's value is stale, so the sheet's is only taken when chosen."""
    existing = make_measure(text="逐一核查干部档案。", owners=[Person(name="黄磊")])
    existing.problem.batch.title = SPEC.title
    existing.problem.description = "干部档案管理不规范。"
    session.commit()
    report = run(app, FIRST)
    assert names(measure(session, "逐一核查干部档案。").owners) == ["黄磊"]
    assert {c["field"] for c in report.conflicts if c["measure_id"] == existing.id} == {"owners", "deadline"}


def test_a_text_edited_in_the_system_is_still_the_same_measure(app, session, supervisor):
    run(app, FIRST)
    with app.app_context():
        target = db.session.scalar(sa.select(Measure).where(Measure.text == "建立档案管理台账。"))
        workflow.update_measure(target, db.session.merge(supervisor), target.version, text="建立干部档案管理台账，每季度更新。")
        db.session.commit()
    report = run(app, FIRST)
    assert session.scalar(sa.select(sa.func.count()).select_from(Measure)) == 3
    assert measure(session, "建立干部档案管理台账，每季度更新。") is not None
    assert report.missing == [] and report.created["measures"] == 0
    assert [(c["field"], c["taken"]) for c in report.conflicts] == [("text", "system")]


def test_a_sheet_without_a_column_says_nothing_about_that_field(app, session, supervisor):
    run(app, FIRST)
    target = measure(session, "逐一核查干部档案。")
    target.goal = "档案全部合规"
    session.commit()
    report = run(app, FIRST, Resolution(on_conflict="sheet"))
    assert measure(session, "逐一核查干部档案。").goal == "档案全部合规"
    assert report.conflicts == []


def test_the_command_line_chooses_and_reports_conflicts(app, session, runner, supervisor, tmp_path):
    path = tmp_path / "反馈问题清单.xlsx"
    path.write_bytes(FIRST)
    args = ["findings", "import", str(path), "--batch", SPEC.title]
    assert runner.invoke(args=args).exit_code == 0
    reassign(app, session, supervisor, "逐一核查干部档案。", "黄磊")
    target = measure(session, "逐一核查干部档案。")

    kept = runner.invoke(args=[*args, "--json"])
    report = json.loads(kept.stdout)
    assert report["conflicts"] == [{"problem_id": target.problem_id, "measure_id": target.id, "field": "owners",
                                    "system": ["黄磊"], "sheet": ["周洁"], "taken": "system"}]
    assert report["changes"] == []
    text = runner.invoke(args=args).stdout
    assert "冲突：措施" in text and "责任人：系统中为 黄磊，表中为 周洁，保留系统中的值" in text
    assert names(measure(session, "逐一核查干部档案。").owners) == ["黄磊"]

    taken = json.loads(runner.invoke(args=[*args, "--json", "--on-conflict", "sheet"]).stdout)
    assert taken["changes"] == [{"problem_id": target.problem_id, "measure_id": target.id, "field": "owners",
                                 "old": ["黄磊"], "new": ["周洁"]}]
    assert names(measure(session, "逐一核查干部档案。").owners) == ["周洁"]


def test_people_with_accounts_hear_of_measures_an_import_gives_them(app, session, make_user):
    """A first import (the bulk path) and a re-import adding a measure both tell the new owner."""
    from rectify.models import Notification

    zhou = make_user(Role.OWNER, name="周洁", person=True)
    make_user(Role.OWNER, name="办公室的责任人", department="党政综合办公室")
    run(app, FIRST)
    session.expire_all()
    notices = session.scalars(sa.select(Notification).where(Notification.user_id == zhou.id)).all()
    assert len(notices) == 1 and len(notices[0].items) == 2  # two measures, one notice
    assert "逐一核查干部档案" in json.dumps(notices[0].items, ensure_ascii=False)
    told = {e.measure.text for e in session.scalars(sa.select(Event).where(Event.kind == "assigned"))}
    assert told == {"逐一核查干部档案。", "建立档案管理台账。"}  # 刘芳 has no account: nobody to tell

    more = sheet(
        [1, "干部档案管理不规范。", "逐一核查干部档案。", "组织人事部", "周洁", "2026年12月15日", None],
        [None, None, "建立档案管理台账。", "组织人事部", "周洁", "2026年12月31日", None],
        [None, None, "开展档案专项审核。", "组织人事部", "周洁", "2027年3月31日", None],
        [2, "公务接待审批不严。", "规范公务接待审批。", "党政综合办公室", "刘芳", "2026年11月30日", None],
    )
    run(app, more)
    session.expire_all()
    latest = session.scalars(sa.select(Notification).where(Notification.user_id == zhou.id)
                             .order_by(Notification.id.desc())).first()
    assert "开展档案专项审核" in json.dumps(latest.items, ensure_ascii=False)


def test_undo_puts_back_a_problems_fields_the_import_filled(app, session):
    from rectify.models import Problem

    plain = ledgers.simple_ledger([[1, "干部档案管理不规范。", "逐一核查干部档案。", "周洁", "2026年12月15日"]],
                                  headers=("序号", "存在问题", "整改措施", "责任人", "整改时限"))
    run(app, plain)
    assert session.scalar(sa.select(Problem)).lead_unit is None
    filled = run(app, FIRST)
    session.expire_all()
    assert session.scalar(sa.select(Problem).where(Problem.number == "1")).lead_unit.name == "组织人事部"
    with app.app_context():
        undo_import(db.session.get(ImportRecord, filled.record_id), None, utcnow())
        db.session.commit()
    session.expire_all()
    assert session.scalar(sa.select(Problem).where(Problem.number == "1")).lead_unit is None


def test_undo_of_an_import_people_were_told_of_keeps_the_notices_and_refuses_once_a_plan_is_drafted(
        app, session, make_user):
    from rectify.models import Notification, Plan, Problem

    zhou = make_user(Role.OWNER, name="周洁", person=True)
    first = run(app, FIRST)
    with app.app_context():
        undo_import(db.session.get(ImportRecord, first.record_id), None, utcnow())
        db.session.commit()
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Measure)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)
                          .where(Notification.user_id == zhou.id)) == 1  # what she was told stays told

    again = run(app, FIRST)
    session.add(Plan(problem=session.scalar(sa.select(Problem).where(Problem.number == "2")), measures=[]))
    session.commit()
    with app.app_context():
        with pytest.raises(UndoRefused, match="起草整改方案"):
            undo_import(db.session.get(ImportRecord, again.record_id), None, utcnow())
