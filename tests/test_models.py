"""Guarantees of the data model itself, on both databases."""
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rectify.core.extensions import db
from rectify.models import AuditLog, Department, Measure, MeasureStatus, Person, Role


def test_sqlite_runs_with_wal_and_foreign_keys(app, session):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(session, make_user):
    user = make_user(Role.OWNER, department="组织人事部")
    with pytest.raises(sa.exc.IntegrityError):
        session.execute(sa.delete(Department).where(Department.id == user.department_id))
        session.flush()


def test_a_stale_save_is_refused_not_applied(session, make_measure):
    measure = make_measure(status=MeasureStatus.NOT_STARTED)
    assert measure.version == 1
    with Session(db.engine) as other:
        theirs = other.get(Measure, measure.id)
        theirs.text = "他人先保存的措施"
        other.commit()
    measure.text = "我后保存的措施"
    with pytest.raises(StaleDataError):
        session.commit()
    session.rollback()
    session.refresh(measure)
    assert (measure.text, measure.version) == ("他人先保存的措施", 2)


def test_people_exist_before_accounts_and_are_linked_later(session, make_user):
    named = Person(name="吴刚")
    session.add(named)
    session.commit()
    user = make_user(Role.OWNER, name="吴刚")
    named.user = user
    session.commit()
    session.expire_all()
    assert session.get(Person, named.id).user.username == user.username


def test_deadline_can_be_a_date_and_long_term_at_once(session, make_measure):
    from datetime import date

    measure = make_measure(due_on=date(2024, 12, 31), is_long_term=True, deadline_text="2024年底前，并长期坚持")
    session.expire_all()
    stored = session.get(Measure, measure.id)
    assert (stored.due_on, stored.is_long_term, stored.is_immediate) == (date(2024, 12, 31), True, False)


def test_audit_changes_keep_chinese_text(session, make_user):
    user = make_user(Role.ADMIN)
    session.add(AuditLog(actor_id=user.id, action="update", object_type="Measure", object_id=1,
                         changes={"status": ["未启动", "整改中"]}))
    session.commit()
    session.expire_all()
    assert session.scalar(sa.select(AuditLog.changes)) == {"status": ["未启动", "整改中"]}
