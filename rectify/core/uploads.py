"""Uploaded files kept between a preview and its confirmation, by an unguessable token."""
import secrets
import time
from pathlib import Path

from flask import abort, current_app

from rectify.core.files import private_folder, write_private_bytes

KEEP_HOURS = 24


def folder() -> Path:
    return private_folder(Path(current_app.instance_path) / "uploads" / "pending")


def keep(data: bytes) -> str:
    """Store ``data`` for a later confirmation; return its token. Old uploads are purged."""
    limit = time.time() - KEEP_HOURS * 3600
    for old in folder().iterdir():
        if old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    write_private_bytes(folder() / token, data)
    return token


def kept(token) -> bool:
    """Whether ``token`` is well formed and its file still kept."""
    token = token or ""
    return len(token) == 32 and all(c in "0123456789abcdef" for c in token) and (folder() / token).exists()


def path_for(token) -> Path:
    """The kept file of ``token``; 404 when the token is malformed or the file is gone."""
    if not kept(token):
        abort(404, description="上传的文件已失效，请重新上传。")
    return folder() / token
