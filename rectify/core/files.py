"""Files under the instance folder hold the installation's data: only its owner may read them.

Folders are made 0o700 and files 0o600 by the call that creates them (the mode given to ``mkdir``
or ``open``), before any content is written, so there is no moment when another account could read
them. The process's umask is left alone: ``create_app`` may run inside a host process (gunicorn, a
test runner, a script) whose other files are none of Rectify's business. A umask can only take
permissions away, so these modes hold whatever it is.

SQLite gives its -wal and -shm files the mode of the database file, so creating the empty
database file 0o600 before SQLite first opens it covers them too (``extensions``). Files and folders
made by earlier versions keep their modes (``chmod -R go-rwx instance`` tightens them).

On Windows these modes only set or clear the read-only flag; who may read a folder is decided by its
access control list, which the instance folder inherits from where it is installed.
"""
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path) -> Path:
    """Make the folder ``path`` and any missing parents, each 0o700; existing folders are left alone."""
    path = Path(path)
    if not path.is_dir():
        if path.parent != path:
            private_folder(path.parent)
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:  # made by another thread or process meanwhile, or a file is in the way
            if not path.is_dir():
                raise
    return path


def private_opener(path, flags: int) -> int:
    """``open(..., opener=private_opener)``: a file it creates is 0o600 from the start."""
    return os.open(path, flags, FILE_MODE)


def create_private_file(path) -> bool:
    """Create ``path`` empty and 0o600 unless it exists; True when it was created."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return False
    return True


def write_private_bytes(path, data: bytes) -> None:
    """Write ``data`` to a new file ``path`` that only the owner may read."""
    with open(path, "xb", opener=private_opener) as handle:
        handle.write(data)
