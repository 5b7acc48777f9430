"""Workbooks written by LibreOffice (as many offices save them), .xls included."""
import shutil
import subprocess
import uuid

import pytest
import sqlalchemy as sa

from rectify.extensions import db
from rectify.importer import BatchSpec, import_findings
from rectify.models import Measure, SourceKind

import ledgers
from conftest import unavailable
from test_import import SPEC, counts


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The messy ledger re-saved by LibreOffice as .xls and as .xlsx."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        unavailable("libreoffice", "soffice not found (apt-get install libreoffice-calc-nogui)")
    folder = tmp_path_factory.mktemp("lo")
    source = folder / "source.xlsx"
    source.write_bytes(ledgers.messy_ledger())
    profile = f"-env:UserInstallation=file://{folder}/profile-{uuid.uuid4().hex}"
    out = {}
    for target in ("xls", "xlsx"):
        target_dir = folder / target
        subprocess.run([soffice, profile, "--headless", "--convert-to", target, "--outdir", str(target_dir), str(source)],
                       check=True, capture_output=True, timeout=120)
        out[target] = (target_dir / f"source.{target}").read_bytes()
    return out


@pytest.mark.parametrize("kind", ["xls", "xlsx"])
def test_libreoffice_files_import_like_the_original(app, session, converted, kind):
    with app.app_context():
        report = import_findings(converted[kind], f"巡察反馈.{kind}", SPEC, by=None, via="cli")
        assert report.errors == [], report.errors
        db.session.commit()
    assert counts(session) == (1, 3, 5)
    texts = session.scalars(sa.select(Measure.text).order_by(Measure.id)).all()
    assert texts[2:4] == ["对干部档案逐一核查", "补齐缺失材料，建立档案管理台账。"]
    owners = session.scalars(sa.select(Measure).order_by(Measure.id)).all()[1].owners
    assert [o.name for o in owners] == ["刘芳", "周洁"]


def test_xls_reimport_updates_in_place(app, session, converted):
    with app.app_context():
        for _ in range(2):
            report = import_findings(converted["xls"], "巡察反馈.xls", BatchSpec(SPEC.title, SourceKind.XUNCHA, SPEC.feedback_on), by=None, via="cli")
            db.session.commit()
    assert report.unchanged["measures"] == 5 and counts(session) == (1, 3, 5)
