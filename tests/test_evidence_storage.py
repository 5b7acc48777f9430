"""Evidence storage when things go wrong: a refused file in a multi-file upload keeps nothing,
a full or read-only disk answers in Chinese (507 / 503) and keeps what the user typed, and
files nothing refers to are swept after a day.

The disk tests mount a real tmpfs of 64 KB over the instance's evidence folder (root only; a
machine where mounting is not allowed skips them).
"""
import io
import os
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_workflow import PDF, action, reload, updates

from rectify.models import Evidence, MeasureStatus, ProgressUpdate
from rectify.tracking import evidence


def stored_files(app) -> list[Path]:
    root = Path(app.instance_path) / "evidence"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def measure(login_as, make_measure):
    owner = login_as("owner", name="周洁", department="组织人事部", person=True)
    return make_measure(owners=[owner.person], unit="组织人事部")


def test_a_refused_file_among_several_keeps_none_of_them(app, client, session, measure):
    response = action(client, measure.id, "progress", text="附会议纪要和照片。", version=1,
                      files=[("会议纪要.pdf", PDF), ("工具.exe", b"MZ\x90\x00")])
    assert response.status_code == 400 and "文件类型不在允许范围内" in response.get_data(as_text=True)
    assert stored_files(app) == []  # neither the accepted file nor a temporary one
    assert updates(session, measure) == [] and session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


@pytest.fixture
def tiny_disk(app):
    """The evidence folder on a 64 KB tmpfs; yields a function that remounts it read-only."""
    folder = Path(app.instance_path) / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield lambda: subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_says_so_and_keeps_the_typed_progress(app, client, session, measure, tiny_disk):
    big = PDF + b"0" * (200 * 1024)
    typed = "第三季度已召开专题会议两次，整改台账已更新。"
    response = action(client, measure.id, "progress", text=typed, version=1, files=[("会议纪要.pdf", big)])
    page = response.get_data(as_text=True)
    assert response.status_code == 507
    assert "服务器存储空间不足，文件未能保存" in page and typed in page  # the form comes back filled in
    assert updates(session, measure) == [] and reload(session, measure).status is MeasureStatus.NOT_STARTED
    assert stored_files(app) == []


def test_a_read_only_evidence_folder_says_so(app, client, session, measure, tiny_disk):
    tiny_disk()
    response = action(client, measure.id, "evidence", files=[("会议纪要.pdf", PDF)])
    assert response.status_code == 503 and "暂时无法保存文件" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_the_api_answers_a_full_disk_in_json(app, client, session, measure, tiny_disk):
    from rectify.accounts.tokens import create_token

    _, token = create_token(measure.owners[0].user, "脚本")
    session.commit()
    response = client.post(f"/api/v1/measures/{measure.id}/evidence", headers={"Authorization": f"Bearer {token}"},
                           data={"files": [(io.BytesIO(PDF + b"0" * (200 * 1024)), "纪要.pdf")]},
                           content_type="multipart/form-data")
    assert response.status_code == 507
    assert response.json["error"]["code"] == "insufficient_storage" and "存储空间不足" in response.json["error"]["message"]


def test_the_daily_cleanup_sweeps_old_unreferenced_files_only(app, client, session, measure):
    from rectify.scheduler.jobs import run_recorded

    assert action(client, measure.id, "evidence", files=[("纪要.pdf", PDF)]).status_code == 302
    with app.app_context():
        orphan = evidence.store(io.BytesIO(PDF + b"orphan"), "回滚了的.pdf")  # no row refers to it
        fresh = evidence.store(io.BytesIO(PDF + b"fresh"), "刚上传的.pdf")
    kept = evidence.path_for(session.scalar(sa.select(Evidence.sha256)))
    leftover = Path(app.instance_path) / "evidence" / "tmp" / "tmpleft"
    leftover.write_bytes(b"x")
    day_old, now = time.time() - 25 * 3600, time.time()  # on one clock, even a faked one
    for path in (kept, evidence.path_for(orphan.sha256), leftover):
        os.utime(path, (day_old, day_old))
    os.utime(evidence.path_for(fresh.sha256), (now, now))
    with app.app_context():
        run = run_recorded("cleanup")
        assert run.ok and run.summary == {"evidence_removed": 2}
    assert kept.exists() and evidence.path_for(fresh.sha256).exists()  # referenced, or too recent to judge
    assert not evidence.path_for(orphan.sha256).exists() and not leftover.exists()
    assert session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == 0
