"""Reading a workbook in a child process, so that no file can take the server down with it.

python-calamine is Rust: a workbook it cannot hold makes it abort the whole process (SIGABRT),
whatever Python catches. extent.py refuses the files known to do that; this is the second wall,
for whatever gets past it. Design decisions:

- The child is ``sys.executable -I sandbox_child.py``: isolated mode (no PYTHON* variables, no
  user site-packages, nothing of the working directory on sys.path) running a small script that
  imports only the standard library and python-calamine, never Flask or the rectify package. It
  starts in about 70 ms (most of it loading calamine) and inherits no state of the server.
  sys.executable must be a Python interpreter: it is under ``python app.py``, ``flask`` and
  gunicorn, not under uWSGI or mod_wsgi, which name their own binary there.
- The child caps itself before it reads a byte: RLIMIT_AS (address space) at
  RECTIFY_IMPORT_MEMORY_MB and RLIMIT_CPU at RECTIFY_IMPORT_TIMEOUT seconds. It does so itself
  because ``preexec_fn`` is unsafe in a threaded server. RUST_BACKTRACE is off in its
  environment: a backtrace at an allocation failure allocates again and can hang the child.
- The child starts before the extent check and loads calamine while the parent checks; it
  reads nothing until the parent, the check passed, sends the bytes on stdin. That hides most
  of its start-up. From then on a timer kills it after RECTIFY_IMPORT_TIMEOUT seconds.
- The answer comes back as JSON lines (see sandbox_child.py), never pickle: a compromised
  child can send wrong data, not code. Dates travel as tagged objects and are rebuilt here. Rows
  come 1,000 to a line and are decoded here while the child encodes the next ones. At most
  RECTIFY_IMPORT_MEMORY_MB bytes are read from it, so the server holds no more than that.
  stderr goes to a temporary file (capped by RLIMIT_FSIZE), so no pipe can fill and block.
- Every way the child can end badly — an allocation refused (Rust aborts, Python raises
  MemoryError), a crash, the CPU limit, the timeout, output that is not a complete answer —
  becomes ImportRefused with a Chinese message, and what the child wrote to stderr is logged.
- Windows has no rlimits: there the child still contains a crash and the timeout still holds,
  but its memory is not capped. The cap applies on Linux and macOS.
"""
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple

from rectify.imports.extent import too_large
from rectify.imports.report import ImportRefused, column_letter

CHILD = Path(__file__).with_name("sandbox_child.py")
EXIT_OUT_OF_MEMORY = 3  # as in sandbox_child.py
# How the child ends when an allocation is refused: Rust aborts, Python raises MemoryError.
OUT_OF_MEMORY = {EXIT_OUT_OF_MEMORY, -getattr(signal, "SIGABRT", 6)}
OUT_OF_TIME = {-getattr(signal, "SIGXCPU", 24)}
TAGS = {"$date": date.fromisoformat, "$datetime": datetime.fromisoformat, "$time": time.fromisoformat,
        "$timedelta": lambda seconds: timedelta(seconds=seconds)}
log = logging.getLogger(__name__)


class Read(NamedTuple):
    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]]


class Sandbox:
    """A reader process, started ahead so that its start-up overlaps the extent check.

    ``with Sandbox(limits) as sandbox: ... sandbox.read(data, filename)``; leaving the block
    without reading stops the process, which by then has read nothing.
    """

    def __init__(self, limits, kind: str = "workbook"):
        self.limits = limits
        self.document = kind == "document"
        self.timed_out = False
        command = [sys.executable, "-I", str(CHILD), str(limits.memory_mb), str(limits.timeout),
                   str(limits.max_rows), str(limits.max_columns), str(self.most_bytes), kind]
        environment = {**os.environ, "RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
        self.errors = tempfile.TemporaryFile()  # a file, not a pipe: nobody has to drain it
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=self.errors, env=environment)
        except OSError as error:  # no process to be had: too many open files, no memory left
            self.errors.close()
            log.error("could not start the workbook reader: %s", error)
            raise ImportRefused("系统暂时无法读取工作簿，请稍后重新导入。") from None

    @property
    def most_bytes(self) -> int:
        return self.limits.memory_mb * 1024 * 1024

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
        with self.process, self.errors:  # closes the pipes, waits, drops the file
            pass

    def read(self, data: bytes, filename: str) -> list[Read]:
        """The visible worksheets (or a document's tables) as the child read them; ImportRefused
        for anything else.

        The rows are decoded here while the child still encodes the next ones."""
        timer = threading.Timer(self.limits.timeout, self._stop)
        timer.start()
        try:
            try:
                self.process.stdin.write(data)
                self.process.stdin.close()
            except OSError:  # the child is gone already: its exit code says why
                pass
            outcome = self._receive(filename)
            if outcome is None and self.process.poll() is None:
                self.process.kill()
            self.process.wait()
        finally:
            timer.cancel()
        if isinstance(outcome, list):
            return outcome
        return self._failure(outcome, filename)

    def _stop(self):
        self.timed_out = True
        self.process.kill()

    def _receive(self, filename: str):
        """The answer, line by line: the sheets, the child's refusal, or None when it broke off."""
        sheets, left = [], self.most_bytes
        try:
            while line := self.process.stdout.readline(left + 1):
                left -= len(line)
                if left < 0:
                    self.process.kill()
                    return ImportRefused(f"“{filename}”无法读取：内容超过 {self.limits.memory_mb:,} MB，"
                                         "请删除多余的内容后重新导入。")
                message = json.loads(line, object_hook=_untag)
                if isinstance(message, list):
                    if not sheets or set(map(type, message)) - {list}:
                        raise ValueError("rows outside a sheet, or not rows")
                    sheets[-1].rows.extend(message)
                elif "refused" in message:
                    return _refusal(message, filename, self.limits, self.document)
                elif message.get("done") is True:
                    return sheets
                else:
                    sheets.append(_sheet(message))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning("workbook %s: the reader's answer was malformed: %s", filename, error)
        return None

    def _failure(self, refusal, filename: str):
        """Raise what went wrong: the timeout, the child's refusal, or how it ended."""
        limits, code = self.limits, self.process.returncode
        if self.timed_out:
            log.warning("workbook %s: reading took over %s s; the reader was stopped", filename, limits.timeout)
            raise timed_out(filename, limits)
        if refusal is not None:  # the child's own answer, whatever its end
            raise refusal
        self.errors.seek(0)
        log.warning("workbook %s: the reader ended with %s: %s", filename, code,
                    self.errors.read()[-2000:].decode(errors="replace"))
        if code in OUT_OF_MEMORY:
            raise ImportRefused(f"“{filename}”无法读取：解析时超出内存限制（{limits.memory_mb:,} MB），"
                                "文件中的数据过多或结构异常。请删除多余的行、列和内容后重新导入。")
        if code in OUT_OF_TIME:
            raise timed_out(filename, limits)
        raise _broken(filename)


def _sheet(message: dict) -> Read:
    """A sheet's first line: its name, and its merged ranges as four numbers each in a row."""
    name, corners = message["sheet"], message["merged"]
    if not (isinstance(name, str) and isinstance(corners, list) and len(corners) % 4 == 0
            and set(map(type, corners)) <= {int}):
        raise ValueError("a sheet without a name or with ranges that are not numbers")
    return Read(name, [], list(zip(*[iter(corners)] * 4)))


def _untag(mapping: dict):
    if len(mapping) == 1:
        key, value = next(iter(mapping.items()))
        if key in TAGS:
            return TAGS[key](value)
    return mapping


def _refusal(message: dict, filename: str, limits, document: bool = False) -> ImportRefused:
    why = message["refused"]
    if why == "extent":
        return too_large(message["sheet"], message["rows"], message["columns"], limits.max_rows, limits.max_columns,
                         document)
    if why == "cell" and document:
        return ImportRefused(f"Word 文档的{message['sheet']}第 {message['row'] + 1} 行第 {message['column'] + 1} 列"
                             f"的单元格有 {message['length']:,} 个字符，超过 32,767 个字符的上限，请删减后重新导入。")
    if why == "cell":
        return ImportRefused(f"工作表“{message['sheet']}”第 {message['row'] + 1} 行 {column_letter(message['column'] + 1)} 列"
                             f"的单元格有 {message['length']:,} 个字符，超过 Excel 单元格 32,767 个字符的上限，请删减后重新导入。")
    if why == "encrypted":
        return ImportRefused(f"“{filename}”已加密，请取消密码后重新导入。")
    if why == "unreadable":
        return ImportRefused(f"“{filename}”无法读取：文件已损坏或格式不受支持（{message.get('error', '')}）。")
    if why == "output":
        return ImportRefused(f"“{filename}”无法读取：内容超过 {limits.memory_mb:,} MB，请删除多余的内容后重新导入。")
    raise ValueError(f"unknown refusal {why!r}")


def timed_out(filename: str, limits) -> ImportRefused:
    return ImportRefused(f"“{filename}”无法读取：解析超时（超过 {limits.timeout} 秒），文件中的数据过多或结构异常。")


def _broken(filename: str) -> ImportRefused:
    return ImportRefused(f"“{filename}”无法读取：解析过程意外终止，文件可能已损坏。")
