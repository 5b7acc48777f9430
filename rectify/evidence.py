"""Evidence files (佐证材料): checked, stored once by SHA-256 under the instance folder.

Only the types offices use are accepted, and a file's content must match its extension:
magic bytes for PDF and images, the OLE container for legacy Office files, and the zip
container with the right members for OOXML (docx/xlsx/pptx) and OFD. Member names are read
from the zip's directory; nothing is decompressed, so a zip bomb costs nothing here.
"""
import hashlib
import os
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from .files import private_folder

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


@dataclass(frozen=True)
class StoredFile:
    filename: str
    sha256: str
    size: int
    content_type: str


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
    filename = clean_filename(raw_filename)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED:
        raise EvidenceError(f"“{filename}”的文件类型不在允许范围内（允许：{ALLOWED_TEXT}）。")
    content_type, matches = ALLOWED[extension]
    limit_mb = current_app.config["RECTIFY_EVIDENCE_MAX_MB"]
    digest, size = hashlib.sha256(), 0
    fd, temp_name = tempfile.mkstemp(dir=private_folder(storage_dir() / "tmp"))  # mkstemp: mode 0o600
    temp = Path(temp_name)
    try:
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
        sha256 = digest.hexdigest()
        target = path_for(sha256)
        private_folder(target.parent)
        if target.exists():
            temp.unlink()
        else:
            os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    return StoredFile(filename=filename, sha256=sha256, size=size, content_type=content_type)
