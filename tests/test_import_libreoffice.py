"""Workbooks written by LibreOffice (as many offices save them), .xls and .ods included."""
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
def libreoffice(tmp_path_factory):
    """Convert workbook bytes to another format as LibreOffice saves it: ``convert(data, "xls")``."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        unavailable("libreoffice", "soffice not found (apt-get install libreoffice-calc-nogui)")
    folder = tmp_path_factory.mktemp("lo")

    def convert(data: bytes, target: str) -> bytes:
        work = folder / uuid.uuid4().hex
        work.mkdir()
        (work / "source.xlsx").write_bytes(data)
        profile = f"-env:UserInstallation=file://{work}/profile"
        subprocess.run([soffice, profile, "--headless", "--convert-to", target, "--outdir", str(work / "out"),
                        str(work / "source.xlsx")], check=True, capture_output=True, timeout=120)
        return (work / "out" / f"source.{target}").read_bytes()

    return convert


@pytest.fixture(scope="module")
def converted(libreoffice):
    """The messy ledger re-saved by LibreOffice as .xls, .xlsx and .ods."""
    return {target: libreoffice(ledgers.messy_ledger(), target) for target in ("xls", "xlsx", "ods")}


@pytest.mark.parametrize("kind", ["xls", "xlsx", "ods"])
def test_libreoffice_files_import_like_the_original(app, session, converted, kind):
    with app.app_context():
        report = import_findings(converted[kind], f"巡察反馈.{kind}", SPEC, by=None)
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
            report = import_findings(converted["xls"], "巡察反馈.xls", BatchSpec(SPEC.title, SourceKind.XUNCHA, SPEC.feedback_on), by=None)
            db.session.commit()
    assert report.unchanged["measures"] == 5 and counts(session) == (1, 3, 5)


def test_an_xls_with_a_far_cell_is_refused_and_writes_nothing(app, session, libreoffice):
    """BIFF8 stops at IV65536, which calamine holds in about 1 GB: the reader's process checks it."""
    data = libreoffice(ledgers.far_cell("IV60000"), "xls")
    with app.app_context():
        report = import_findings(data, "巡察反馈.xls", SPEC, by=None)
        db.session.rollback()
    assert [e.message for e in report.errors] == [
        "工作表“问题清单”的数据范围达 60,000 行 × 256 列，超过上限（50,000 行、200 列），请删除多余的行和列后重新导入。"]
    assert counts(session) == (0, 0, 0)
