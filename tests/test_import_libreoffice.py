"""Workbooks written by LibreOffice (as many offices save them), .xls and .ods included."""
import pytest
import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.imports.operations import BatchSpec, import_findings
from rectify.models import Measure, SourceKind

import ledgers
from test_import import SPEC, counts


@pytest.fixture(scope="module")
def converted(libreoffice):
    """The messy ledger re-saved by LibreOffice as .xls, .xlsx and .ods."""
    return {target: libreoffice(ledgers.messy_ledger(), target) for target in ("xls", "xlsx", "ods")}


@pytest.mark.parametrize("kind", ["xls", "xlsx", "ods"])
def test_libreoffice_files_import_like_the_original(app, session, converted, kind):
    with app.app_context():
        report = import_findings(converted[kind], f"巡察反馈.{kind}", SPEC, by=None, via="cli")
        assert report.errors == [], report.errors
        db.session.commit()
    assert counts(session) == (1, 3, 5)
    texts = session.scalars(sa.select(Measure.text).order_by(Measure.id)).all()
    assert texts[2:4] == ["对干部档案逐一核查", "补齐缺失材料，建立档案管理台账"]
    owners = session.scalars(sa.select(Measure).order_by(Measure.id)).all()[1].owners
    assert [o.name for o in owners] == ["刘芳", "周洁"]


def test_xls_reimport_updates_in_place(app, session, converted):
    with app.app_context():
        for _ in range(2):
            report = import_findings(converted["xls"], "巡察反馈.xls", BatchSpec(SPEC.title, SourceKind.XUNCHA, SPEC.feedback_on), by=None, via="cli")
            db.session.commit()
    assert report.unchanged["measures"] == 5 and counts(session) == (1, 3, 5)

