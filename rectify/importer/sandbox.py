"""Reading a workbook in a child process, so that no file can take the server down with it.

python-calamine is Rust: a workbook it cannot hold makes it abort the whole process (SIGABRT),
whatever Python catches. extent.py refuses the files known to do that; this is the second wall,
for whatever gets past it. Design decisions:

- The child is ``sys.executable -I sandbox_child.py``: isolated mode (no PYTHON* variables, no
  user site-packages, nothing of the working directory on sys.path) running a small script that
  imports only the standard library and python-calamine, never Flask or the rectify package. It
  starts in about 70 ms (most of it loading calamine) and inherits no state of the server.
- The child caps itself before it reads a byte: RLIMIT_AS (address space) at
  RECTIFY_IMPORT_MEMORY_MB and RLIMIT_CPU at RECTIFY_IMPORT_TIMEOUT seconds. It does so itself
  because ``preexec_fn`` is unsafe in a threaded server. RUST_BACKTRACE is off in its
  environment: a backtrace at an allocation failure allocates again and can hang the child.
- The child starts before the extent check and loads calamine while the parent checks; it
  reads nothing until the parent, the check passed, sends the bytes on stdin. That hides most
  of its start-up. The parent then waits RECTIFY_IMPORT_TIMEOUT seconds and kills it after.
- The answer comes back as JSON lines (see sandbox_child.py), never pickle: a compromised
  child can send wrong data, not code. Dates travel as tagged objects and are rebuilt here. The
  child writes at most RECTIFY_IMPORT_MEMORY_MB bytes, so the server holds no more than that.
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
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple

from openpyxl.utils import get_column_letter

from .extent import too_large
from .report import ImportRefused

CHILD = Path(__file__).with_name("sandbox_child.py")
EXIT_OUT_OF_MEMORY = 3  # as in sandbox_child.py
OUT_OF_MEMORY = {EXIT_OUT_OF_MEMORY, -getattr(signal, "SIGABRT", 6), -getattr(signal, "SIGKILL", 9)}
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

    def __init__(self, limits):
        self.limits = limits
        command = [sys.executable, "-I", str(CHILD), str(limits.memory_mb), str(limits.timeout),
                   str(limits.max_rows), str(limits.max_columns), str(limits.memory_mb * 1024 * 1024)]
        environment = {**os.environ, "RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, env=environment)
        except OSError as error:  # no process to be had: too many open files, no memory left
            log.error("could not start the workbook reader: %s", error)
            raise ImportRefused("系统暂时无法读取工作簿，请稍后重新导入。") from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
        with self.process:  # closes the pipes and waits
            pass

    def read(self, data: bytes, filename: str) -> list[Read]:
        """The visible worksheets as the child read them; ImportRefused for anything else."""
        limits = self.limits
        try:
            stdout, stderr = self.process.communicate(data, timeout=limits.timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            log.warning("workbook %s: reading took over %s s; the reader was stopped", filename, limits.timeout)
            raise timed_out(filename, limits) from None
        code = self.process.returncode
        if code != 0:
            log.warning("workbook %s: the reader ended with %s: %s", filename, code, stderr[-2000:].decode(errors="replace"))
            if code in OUT_OF_MEMORY:
                raise ImportRefused(f"“{filename}”无法读取：解析时超出内存限制（{limits.memory_mb:,} MB），"
                                    "文件中的数据过多或结构异常。请删除多余的行、列和内容后重新导入。")
            if code in OUT_OF_TIME:
                raise timed_out(filename, limits)
            raise _broken(filename)
        return _answer(stdout, filename, limits)


def _answer(output: bytes, filename: str, limits) -> list[Read]:
    sheets, refusal = [], _broken(filename)
    try:
        for line in output.splitlines():
            message = json.loads(line, object_hook=_untag)
            if "refused" in message:
                refusal = _refusal(message, filename, limits)
                break
            if message.get("done") is True:
                return sheets
            rows, merged = message["rows"], message["merged"]
            if not (isinstance(message["sheet"], str) and all(isinstance(row, list) for row in rows)):
                raise ValueError("a sheet of the wrong shape")
            sheets.append(Read(message["sheet"], rows, [tuple(int(n) for n in block) for block in merged]))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        log.warning("workbook %s: the reader's answer was malformed: %s", filename, error)
    raise refusal


def _untag(mapping: dict):
    if len(mapping) == 1:
        key, value = next(iter(mapping.items()))
        if key in TAGS:
            return TAGS[key](value)
    return mapping


def _refusal(message: dict, filename: str, limits) -> ImportRefused:
    why = message["refused"]
    if why == "extent":
        return too_large(message["sheet"], message["rows"], message["columns"], limits.max_rows, limits.max_columns)
    if why == "cell":
        return ImportRefused(f"工作表“{message['sheet']}”第 {message['row'] + 1} 行 {get_column_letter(message['column'] + 1)} 列"
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
