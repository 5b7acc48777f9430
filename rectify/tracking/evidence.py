"""Evidence files (佐证材料): checked, stored once by SHA-256 under the instance folder.

Only the types offices use are accepted, and a file's content must match its extension:
magic bytes for PDF and images, the OLE container for legacy Office files, and the zip
container with the right members for OOXML (docx/xlsx/pptx) and OFD. Member names are read
from the zip's directory; nothing is decompressed, so a zip bomb costs nothing here.
"""
import errno
import hashlib
import os
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from rectify.core.files import private_folder

CHUNK = 1024 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class EvidenceError(ValueError):
    """A file that cannot be accepted; the message names it and says why."""


def _starts_with(*signatures):
    def check(path: Path) -> bool:
        with path.open("rb") as handle:
            head = handle.read(16)
        return any(head.startswith(signature) for signature in signatures)

    return check


def _zip_with(*prefixes):
    def check(path: Path) -> bool:
        if not zipfile.is_zipfile(path):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return False
        return all(any(name.startswith(prefix) for name in names) for prefix in prefixes)

    return check


# extension: (content type, content check)
ALLOWED = {
    "pdf": ("application/pdf", _starts_with(b"%PDF-")),
    "jpg": ("image/jpeg", _starts_with(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _starts_with(b"\xff\xd8\xff")),
    "png": ("image/png", _starts_with(b"\x89PNG\r\n\x1a\n")),
    "doc": ("application/msword", _starts_with(OLE)),
    "xls": ("application/vnd.ms-excel", _starts_with(OLE)),
    "ppt": ("application/vnd.ms-powerpoint", _starts_with(OLE)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             _zip_with("[Content_Types].xml", "word/")),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             _zip_with("[Content_Types].xml", "xl/")),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
             _zip_with("[Content_Types].xml", "ppt/")),
    "ofd": ("application/ofd", _zip_with("OFD.xml")),
    "zip": ("application/zip", _zip_with("")),
}
PREVIEWABLE = {"application/pdf", "image/jpeg", "image/png"}
ALLOWED_TEXT = "PDF、JPG、PNG、DOC、DOCX、XLS、XLSX、PPT、PPTX、OFD、ZIP"
# The file picker's filter (a phone's photos among them); the server checks every file anyway.
ACCEPT = ",".join(["image/*", *(f".{extension}" for extension in sorted(ALLOWED))])


@dataclass(frozen=True)
class StoredFile:
    filename: str
    sha256: str
    size: int
    content_type: str


@dataclass(frozen=True)
class Received(StoredFile):
    """A checked upload waiting in the temporary folder until every file of its request passed."""

    temp: Path = Path()


class StorageError(EvidenceError):
    """The server cannot store files just now (disk full, folder read-only): not the user's fault.

    ``status`` is 507 (no space) or 503 (storage unavailable); nothing of the upload is kept.
    """

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def storage_failure(error: OSError) -> StorageError:
    if error.errno in NO_SPACE:
        return StorageError("服务器存储空间不足，文件未能保存。您填写的内容已保留，请稍后重试或联系管理员。", 507)
    return StorageError("服务器暂时无法保存文件（存储目录不可写）。您填写的内容已保留，请稍后重试或联系管理员。", 503)


def clean_filename(raw: str | None) -> str:
    """The file name as the user's computer had it; refuse names that carry a path."""
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if not name:
        raise EvidenceError("文件没有名称。")
    if "/" in name or "\\" in name or name in (".", "..") or any(ord(ch) < 32 for ch in name):
        raise EvidenceError(f"文件名“{name}”含有路径或非法字符，请改名后重新上传。")
    if len(name) > 200:
        raise EvidenceError(f"文件名过长（{len(name)} 个字符，上限 200）。")
    return name


def storage_dir() -> Path:
    return Path(current_app.instance_path) / "evidence"


def path_for(sha256: str) -> Path:
    return storage_dir() / sha256[:2] / sha256


def store(stream, raw_filename: str | None) -> StoredFile:
    """Check one uploaded file and store its content; identical content is stored once."""
    return keep(receive(stream, raw_filename))


def receive_all(uploads) -> list[Received]:
    """Check every file of one request into the temporary folder; if any is refused, none is kept."""
    received = []
    try:
        for upload in uploads:
            received.append(receive(upload.stream, upload.filename))
    except EvidenceError:
        discard(received)
        raise
    return received


def receive(stream, raw_filename: str | None) -> Received:
    """Check one uploaded file (name, type, size, content) into the temporary folder."""
    filename = clean_filename(raw_filename)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED:
        raise EvidenceError(f"“{filename}”的文件类型不在允许范围内（允许：{ALLOWED_TEXT}）。")
    content_type, matches = ALLOWED[extension]
    limit_mb = current_app.config["RECTIFY_EVIDENCE_MAX_MB"]
    digest, size = hashlib.sha256(), 0
    temp = None
    try:
        fd, temp_name = tempfile.mkstemp(dir=private_folder(storage_dir() / "tmp"))  # mkstemp: mode 0o600
        temp = Path(temp_name)
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit_mb * 1024 * 1024:
                    raise EvidenceError(f"“{filename}”超过单个文件 {limit_mb} MB 的上限。")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EvidenceError(f"“{filename}”是空文件。")
        if not matches(temp):
            raise EvidenceError(f"“{filename}”的内容与扩展名 .{extension} 不符，可能已损坏或被改名。")
    except OSError as error:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise storage_failure(error) from error
    except EvidenceError:
        temp.unlink(missing_ok=True)
        raise
    return Received(filename=filename, sha256=digest.hexdigest(), size=size, content_type=content_type, temp=temp)


def keep(received: Received) -> StoredFile:
    """Move a checked file to its place by content; identical content is stored once.

    Should the transaction that refers to it roll back, the file stays unreferenced until
    ``sweep`` removes it a day later (removing it at once could race another upload of the
    same content that found it in place)."""
    target = path_for(received.sha256)
    try:
        private_folder(target.parent)
        if target.exists():
            received.temp.unlink()
        else:
            os.replace(received.temp, target)
    except OSError as error:
        received.temp.unlink(missing_ok=True)
        raise storage_failure(error) from error
    return StoredFile(received.filename, received.sha256, received.size, received.content_type)


def discard(received: list[Received]) -> None:
    for item in received:
        item.temp.unlink(missing_ok=True)


def sweep(referenced: set[str], now: float, older_than_hours: int = 24) -> int:
    """Remove stored files no evidence row refers to and temporary files, both older than a day
    (left by a failed transaction or a stopped process); returns how many went."""
    limit = now - older_than_hours * 3600
    removed = 0
    root = storage_dir()
    if not root.exists():
        return 0
    for path in root.glob("*/*"):
        if not path.is_file() or path.stat().st_mtime >= limit:
            continue
        if path.parent.name == "tmp" or path.name not in referenced:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
