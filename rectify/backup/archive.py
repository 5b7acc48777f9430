"""The backup file: one ZIP holding manifest.json, the database snapshot, evidence and ledgers.

The manifest names every other member with its size and SHA-256; a restore checks them all
before it changes anything. Member names must have one of the shapes written here, so a
crafted file cannot write outside the instance folder. ZIP because Python reads it without
extracting, it holds files over 4 GB (ZIP64), and an administrator can look inside on Windows.
"""
import hashlib
import json
import os
import re
import secrets
import zipfile
import zlib
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

FORMAT = "rectify-backup"
VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
DATABASE_MEMBERS = {"sqlite": "database/rectify.sqlite3", "postgresql": "database/rectify.pgdump"}
EVIDENCE_MEMBER = re.compile(r"^evidence/[0-9a-f]{2}/[0-9a-f]{64}$")


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


def read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class Writer:
    """Writes a backup under a hidden temporary name beside ``out`` (mode 0600) and renames it
    to ``out`` only when complete, so a backup file that exists is always whole."""

    def __init__(self, out: Path, local_now: datetime):
        self.out = out
        self.partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        self.handle = os.fdopen(fd, "wb")
        self.zip = zipfile.ZipFile(self.handle, "w", allowZip64=True)
        self.date_time = local_now.timetuple()[:6]
        self.files: dict[str, dict] = {}

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is not None:
            self.zip.close()
            self.handle.close()
            self.partial.unlink(missing_ok=True)

    def _info(self, name: str, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        return info

    def add(self, name: str, chunks: Iterable[bytes], compress: bool = False) -> None:
        """Add one member from ``chunks``, recording its size and SHA-256 for the manifest."""
        digest, size = hashlib.sha256(), 0
        with self.zip.open(self._info(name, compress), "w", force_zip64=True) as member:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                member.write(chunk)
        self.files[name] = {"size": size, "sha256": digest.hexdigest()}

    def finish(self, manifest: dict) -> None:
        manifest = {"format": FORMAT, "version": VERSION, **manifest, "files": self.files}
        self.zip.writestr(self._info(MANIFEST, True), json.dumps(manifest, ensure_ascii=False, indent=1))
        self.zip.close()
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.partial, self.out)


def safe_member(name: str) -> bool:
    """Whether ``name`` is a member Rectify writes: the database, an evidence file or a ledger."""
    if name in DATABASE_MEMBERS.values() or EVIDENCE_MEMBER.match(name):
        return True
    parts = PurePosixPath(name).parts
    return (len(parts) >= 2 and parts[0] == "ledgers" and not name.startswith("/")
            and all(part not in (".", "..") and not re.search(r"[\\:\x00-\x1f]", part) for part in parts))


def open_backup(path: Path) -> tuple[zipfile.ZipFile, dict]:
    """Open a backup and read its manifest; refuse anything else before a byte is restored."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        with path.open("rb") as handle:
            if handle.read(4) == b"PK\x03\x04":  # a ZIP cut short: its directory is at the end
                raise BackupError(f"备份文件“{path.name}”已损坏或不完整，无法读取。") from None
        raise _not_a_backup(path.name) from None
    try:
        return archive, _manifest(archive, path.name)
    except BaseException:
        archive.close()
        raise


def _not_a_backup(name: str) -> BackupError:
    return BackupError(f"“{name}”不是 Rectify 备份文件（应为 flask --app app backup 生成的文件）。")


def _manifest(archive: zipfile.ZipFile, name: str) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise _not_a_backup(name) from None
    except (zipfile.BadZipFile, zlib.error, ValueError):
        raise BackupError(f"备份文件“{name}”已损坏：清单无法读取。") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(name)
    if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
        raise BackupError(f"备份文件“{name}”的格式（第 {manifest.get('version')} 版）比本程序新，请先升级 Rectify 再恢复。")
    files, tables = manifest.get("files"), manifest.get("tables")
    if (manifest.get("database") not in DATABASE_MEMBERS or not isinstance(files, dict) or not isinstance(tables, dict)
            or DATABASE_MEMBERS[manifest["database"]] not in files
            or not all(isinstance(entry, dict) and isinstance(entry.get("sha256"), str) for entry in files.values())):
        raise BackupError(f"备份文件“{name}”已损坏：清单不完整。")
    return manifest


def verify(archive: zipfile.ZipFile, manifest: dict, name: str) -> None:
    """Check that the members are exactly the manifest's, each with its recorded SHA-256."""
    tampered = "，文件可能已损坏或被篡改。未做任何更改。"
    members = {info.filename for info in archive.infolist()} - {MANIFEST}
    for member in sorted(members | set(manifest["files"])):
        if not safe_member(member):
            raise BackupError(f"备份文件“{name}”含有不应有的成员“{member}”{tampered}")
        if member not in manifest["files"]:
            raise BackupError(f"备份文件“{name}”含有清单之外的成员“{member}”{tampered}")
        if member not in members:
            raise BackupError(f"备份文件“{name}”缺少清单所列的“{member}”{tampered}")
        digest, size = hashlib.sha256(), 0
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError):
            raise BackupError(f"备份文件“{name}”中的“{member}”已损坏（校验失败）{tampered}") from None
        expected = manifest["files"][member]
        if digest.hexdigest() != expected["sha256"] or size != expected.get("size"):
            raise BackupError(f"备份文件“{name}”中“{member}”的 SHA-256 与清单不符{tampered}")


def extract(archive: zipfile.ZipFile, member: str, target: Path) -> None:
    """Write one member to ``target`` (mode 0600), creating its folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with archive.open(member) as stream, os.fdopen(fd, "wb") as out:
        while chunk := stream.read(CHUNK):
            out.write(chunk)
