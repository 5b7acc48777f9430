"""Reads one workbook inside a limited process; run only by sandbox.py as ``python -I sandbox_child.py``.

Self-contained on purpose: it imports the standard library and python-calamine (python-docx for a
Word document), nothing of Rectify or Flask, so it starts in a few tens of milliseconds and a crash in the Rust reader ends
this process, not the server. The arguments are the memory cap (MB), the CPU time cap (s), the
most rows and columns a sheet may span, the most bytes this process may write back and what the
file is (``workbook`` or ``document``). It loads its reader, then waits for the file's bytes on
stdin (none: the parent refused the file).

A Word document's tables are answered as sheets named 表格1, 表格2… in document order: a merged
cell (gridSpan across, vMerge down) as a merged range, a cell's paragraphs as lines, Word's
automatic numbering of two or more paragraphs in a cell written out (1.……). Paragraphs outside
the tables are not read. python-docx parses with lxml without resolving entities; the parent
has refused any part declaring a DTD before this process sees the file.

The answer on stdout is JSON, one value per line, read by sandbox.py as it comes: for each
visible worksheet ``{"sheet": name, "merged": [r1, c1, r2, c2, ...]}``, then its rows in lines
of up to 1,000 (``[[...], ...]``); at the end ``{"done": true}``; or, at any point,
``{"refused": why, ...}``. Cell values are JSON scalars; dates and times travel as one-key
objects (``{"$date": "2023-06-30"}``), so the parent rebuilds them without unpickling anything.
"""
import io
import json
import sys
from datetime import date, datetime, time, timedelta

EXCEL_CELL_CHARS = 32767
ROWS_PER_LINE = 1000
EXIT_OUT_OF_MEMORY = 3


def limit(memory_mb: int, cpu_seconds: int) -> None:
    """Cap this process's address space, CPU time and file writes (POSIX only: Windows has no rlimits)."""
    try:
        import resource
    except ImportError:
        return
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))  # stderr goes to a file: keep it small


def encode(value):
    """Date and time cells as tagged objects (JSON has no such types)."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": value.total_seconds()}
    raise TypeError(f"unexpected cell value {type(value).__name__}")


def too_long(rows):
    """The first cell longer than Excel allows, as (row, column, length); else None."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value.__class__ is str and len(value) > EXCEL_CELL_CHARS:
                return r, c, len(value)
    return None


# Compact separators and no circularity check: half the time of json.dumps' defaults.
ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"), default=encode)


class Answer:
    """Lines to stdout, refusing once the total would pass what the parent accepts."""

    def __init__(self, max_bytes: int):
        self.left = max_bytes
        self.out = sys.stdout.buffer

    def send(self, message) -> bool:
        line = ENCODER.encode(message).encode() + b"\n"
        if len(line) > self.left:
            self.out.write(b'{"refused": "output"}\n')
            return False
        self.left -= len(line)
        self.out.write(line)
        return True


def read(data: bytes, max_rows: int, max_columns: int, answer: Answer) -> None:
    import python_calamine as calamine

    try:
        workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        answer.send({"refused": "encrypted"})
        return
    except Exception as error:  # calamine raises several kinds for a broken file
        answer.send({"refused": "unreadable", "error": type(error).__name__})
        return
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.typ != calamine.SheetTypeEnum.WorkSheet or meta.visible != calamine.SheetVisibleEnum.Visible:
            continue
        try:
            sheet = workbook.get_sheet_by_index(index)
        except Exception as error:
            answer.send({"refused": "unreadable", "error": type(error).__name__})
            return
        height, width = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
        if height > max_rows or width > max_columns:  # .xls is checked only here, before Python sees it
            answer.send({"refused": "extent", "sheet": meta.name, "rows": height, "columns": width})
            return
        merged = [n for first, last in (sheet.merged_cell_ranges or []) for n in (*first, *last)]
        rows = sheet.to_python(skip_empty_area=False)
        del sheet
        if not answer.send({"sheet": meta.name, "merged": merged}):
            return
        for start in range(0, len(rows), ROWS_PER_LINE):
            chunk = rows[start:start + ROWS_PER_LINE]
            long_cell = too_long(chunk)
            if long_cell:
                row, column, length = long_cell
                answer.send({"refused": "cell", "sheet": meta.name, "row": start + row, "column": column,
                             "length": length})
                return
            if not answer.send(chunk):
                return
        del rows
    answer.send({"done": True})


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_document(data: bytes, max_rows: int, max_columns: int, answer: Answer) -> None:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        tables = [table._tbl for table in document.tables]
    except Exception as error:  # python-docx and lxml raise several kinds for a broken file
        answer.send({"refused": "unreadable", "error": type(error).__name__})
        return
    for number, table in enumerate(tables, start=1):
        name = f"表格{number}"
        rows, merged = table_rows(table, name, max_rows, max_columns, answer)
        if rows is None:
            return
        long_cell = too_long(rows)
        if long_cell:
            row, column, length = long_cell
            answer.send({"refused": "cell", "sheet": name, "row": row, "column": column, "length": length})
            return
        if not answer.send({"sheet": name, "merged": [n for corners in merged for n in corners]}):
            return
        for start in range(0, len(rows), ROWS_PER_LINE):
            if not answer.send(rows[start:start + ROWS_PER_LINE]):
                return
    answer.send({"done": True})


def table_rows(table, name: str, max_rows: int, max_columns: int, answer: Answer):
    """A table's rows as a rectangle of texts (a merged cell's text in its first cell), and its merges."""
    rows, merged, open_above, width = [], [], {}, 0
    rows_xml = table.findall(f"{W}tr")
    for r, tr in enumerate(rows_xml):
        if r >= max_rows:
            answer.send({"refused": "extent", "sheet": name, "rows": len(rows_xml), "columns": width})
            return None, None
        column = tr.grid_before
        row = [None] * column
        for tc in tr.tc_lst:
            span = max(1, tc.grid_span)
            if tc.vMerge == "continue" and column in open_above:
                merged[open_above[column]][2] = r
                row.extend([None] * span)
            else:
                row.extend([cell_text(tc)] + [None] * (span - 1))
                open_above.pop(column, None)
                if span > 1 or tc.vMerge == "restart":
                    merged.append([r, column, r, column + span - 1])
                    if tc.vMerge == "restart":
                        open_above[column] = len(merged) - 1
            column += span
            if column > max_columns:
                answer.send({"refused": "extent", "sheet": name, "rows": len(rows_xml), "columns": column})
                return None, None
        width = max(width, column)
        rows.append(row)
    for row in rows:
        row.extend([None] * (width - len(row)))
    return rows, merged


def cell_text(tc):
    """The cell's paragraphs as lines; two or more automatically numbered ones get their numbers."""
    paragraphs = [p for p in tc.iter(f"{W}p")]
    numbered = [p for p in paragraphs if p.find(f"{W}pPr/{W}numPr") is not None and paragraph_text(p).strip()]
    counters, lines = {}, []
    for p in paragraphs:
        text = paragraph_text(p)
        if not text.strip():
            continue
        if len(numbered) > 1 and p in numbered:
            numbering = p.find(f"{W}pPr/{W}numPr")
            key = tuple(element.get(f"{W}val") for element in numbering)
            counters[key] = counters.get(key, 0) + 1
            text = f"{counters[key]}.{text}"
        lines.append(text)
    return "\n".join(lines).strip() or None


def paragraph_text(p) -> str:
    parts = []
    for element in p.iter(f"{W}t", f"{W}tab", f"{W}br"):
        parts.append(element.text or "" if element.tag == f"{W}t" else ("\t" if element.tag == f"{W}tab" else "\n"))
    return "".join(parts)


def main(argv) -> int:
    memory_mb, cpu_seconds, max_rows, max_columns, max_bytes = (int(arg) for arg in argv[1:6])
    document = len(argv) > 6 and argv[6] == "document"
    limit(memory_mb, cpu_seconds)
    try:
        if document:
            import docx  # noqa: F401  (loaded while the parent still checks the file)
        else:
            import python_calamine  # noqa: F401

        data = sys.stdin.buffer.read()
        if not data:  # the parent refused the file
            return 0
        (read_document if document else read)(data, max_rows, max_columns, Answer(max_bytes))
        sys.stdout.flush()
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except BrokenPipeError:  # the parent stopped listening
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
