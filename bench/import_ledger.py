"""Import speed: a 20,000-measure ledger, imported into SQLite, against pandas reading it.

    pip install -r bench/requirements.txt
    python bench/import_ledger.py [--rows 20000]

It writes a ledger like the offices' (title row, merged problem cells over three measures
each, Chinese text, deadlines as words), then in separate processes (so each peak memory
is its own): pandas.read_excel reading the file, and Rectify's full import — open, parse,
validate, write to a fresh SQLite database, commit. It prints both times, their ratio and
each process's peak memory. Then what the protection costs: Rectify's reading alone (the
extent check, then calamine in the sandbox process, the rows sent back as JSON) against
calamine reading the same rows in the process itself, each the fastest of --repeat runs.

``--whole`` times whole processes instead, as a user meets them: ``flask --app app findings
import`` of the file into a fresh, migrated SQLite instance, against ``python -c`` running
pandas.read_excel on it, the best of 3 runs each, interleaved. It prints both with their
ratio, with start-up (each process's wall clock) and without it (the time each process spends
past its start-up: the import as the CLI command times it, and read_excel once pandas is loaded).
Not a test.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = ["党政综合办公室", "组织人事部", "宣传统战部", "纪工委", "招商服务局", "经济发展局", "规划建设局", "财政局"]
PEOPLE = ["王建国", "李明", "赵强", "刘芳", "周洁", "吴刚", "孙明", "黄磊", "陈红", "杨帆"]
DEADLINES = ["2023年6月30日", "2023年6月底前", "2023年第三季度", "立行立改", "2024年底前，并长期坚持", "2023.9.30"]


def write_ledger(path: Path, rows: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("巡察反馈问题")
    wrap = book.add_format({"text_wrap": True, "valign": "vcenter"})
    sheet.merge_range(0, 0, 0, 7, "县委巡察组反馈意见整改台账（生成数据）")
    sheet.write_row(1, 0, ["序号", "存在问题", "整改措施", "责任领导", "责任单位", "责任人", "整改时限", "整改进展"])
    for index in range(rows):
        row = index + 2
        problem, order = divmod(index, 3)
        if order == 0:
            text = f"第{problem + 1}项问题：落实主体责任不到位，制度执行不严格，台账资料不完整，整改落实不彻底。"
            sheet.merge_range(row, 0, row + 2, 0, str(problem + 1), wrap)
            sheet.merge_range(row, 1, row + 2, 1, text, wrap)
            sheet.merge_range(row, 3, row + 2, 3, PEOPLE[problem % 10], wrap)
        sheet.write(row, 2, f"制定专项整改方案，明确责任分工和时间节点，逐项对账销号（措施{order + 1}）。", wrap)
        sheet.write(row, 4, UNITS[index % len(UNITS)])
        sheet.write(row, 5, f"{PEOPLE[index % 10]}、{PEOPLE[(index + 3) % 10]}")
        sheet.write(row, 6, DEADLINES[index % len(DEADLINES)])
        sheet.write(row, 7, "已制定方案，正在推进。" if index % 2 else "")
    book.close()


def child(kind: str, path: str) -> None:
    started = time.perf_counter()
    if kind == "pandas":
        import pandas

        frame = pandas.read_excel(path)
        result = {"rows": len(frame)}
    elif kind in ("read", "calamine"):
        result = {"seconds": min(read_once(kind, Path(path).read_bytes()) for _ in range(int(os.environ["REPEAT"])))}
        print(json.dumps(result))
        return
    else:
        sys.path.insert(0, str(ROOT))
        from rectify import create_app
        from rectify.core.database import upgrade_database
        from rectify.core.extensions import db
        from rectify.imports.operations import BatchSpec, import_findings

        instance = tempfile.mkdtemp(prefix="rectify-import-bench-")
        app = create_app({"RECTIFY_INSTANCE": instance})
        with app.app_context():
            upgrade_database()
            started = time.perf_counter()  # the import itself, not creating the empty database
            report = import_findings(Path(path).read_bytes(), Path(path).name, BatchSpec("基准测试批次"), by=None, via="cli")
            db.session.commit()
            result = {"measures": report.measures, "problems": report.problems, "errors": len(report.errors)}
    result["seconds"] = time.perf_counter() - started
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def read_once(kind: str, data: bytes) -> float:
    """Seconds to read the workbook's rows: through Rectify's checks and sandbox, or by calamine here."""
    import io

    started = time.perf_counter()
    if kind == "read":
        sys.path.insert(0, str(ROOT))
        from rectify.imports.reader import Limits, check_file, read_sheets

        read_sheets(data, "ledger.xlsx", check_file(data, "ledger.xlsx", 20), Limits())
    else:
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for index in range(len(workbook.sheet_names)):
            workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
    return time.perf_counter() - started


def run_child(kind, path, repeat=1):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPEAT": str(repeat)}
    output = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True,
                            check=True, cwd=ROOT, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


PANDAS_PROCESS = """
import sys, time
import pandas
loaded = time.perf_counter()
pandas.read_excel(sys.argv[1])
print(time.perf_counter() - loaded)
"""


def whole(path: Path, runs: int = 3) -> None:
    """Whole processes, the best of ``runs`` each, interleaved: the CLI import against pandas."""
    flask = Path(sys.executable).with_name("flask")
    folder = Path(tempfile.mkdtemp(prefix="rectify-import-whole-"))
    environment = {**os.environ, "RECTIFY_INSTANCE": str(folder / "template"), "RECTIFY_SCHEDULER": "off"}
    subprocess.run([str(flask), "--app", "app", "db", "upgrade"], cwd=ROOT, env=environment, check=True,
                   capture_output=True)
    times = {"rectify": [], "pandas": [], "rectify_work": [], "pandas_work": []}
    for attempt in range(runs):
        instance = folder / f"run{attempt}"
        shutil.copytree(folder / "template", instance)
        env = {**environment, "RECTIFY_INSTANCE": str(instance), "RECTIFY_IMPORT_TIMINGS": "1"}
        started = time.perf_counter()
        done = subprocess.run([str(flask), "--app", "app", "findings", "import", str(path), "--batch", "基准测试批次",
                               "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
        times["rectify"].append(time.perf_counter() - started)
        report = json.loads(done.stdout)
        assert report["imported"], report["errors"][:3]
        work = [line for line in done.stderr.splitlines() if line.startswith("导入用时")]
        times["rectify_work"].append(float(work[-1].split()[1]))
        started = time.perf_counter()
        read = subprocess.run([sys.executable, "-c", PANDAS_PROCESS, str(path)], capture_output=True, text=True,
                              check=True)
        times["pandas"].append(time.perf_counter() - started)
        times["pandas_work"].append(float(read.stdout.strip()))
    best = {kind: min(values) for kind, values in times.items()}
    print(f"whole processes, best of {runs} interleaved ({report['problems']} problems, {report['measures']} measures):")
    print(f"  flask findings import       : {best['rectify']:6.2f} s")
    print(f"  python -c pandas.read_excel : {best['pandas']:6.2f} s")
    print(f"  ratio with start-up         : {best['rectify'] / best['pandas']:.2f}")
    print(f"  without start-up            : import {best['rectify_work']:.2f} s, read_excel {best['pandas_work']:.2f} s, "
          f"ratio {best['rectify_work'] / best['pandas_work']:.2f}")
    shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each reading, the fastest counts")
    parser.add_argument("--whole", action="store_true", help="time whole processes: the CLI import against pandas")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "巡察反馈台账.xlsx"
        write_ledger(path, args.rows)
        print(f"ledger: {args.rows} measure rows, {path.stat().st_size / 1024:.0f} KB")
        if args.whole:
            return whole(path)
        reference = run_child("pandas", path)
        ours = run_child("rectify", path)
        sandboxed = run_child("read", path, args.repeat)
        bare = run_child("calamine", path, args.repeat)
    assert ours["errors"] == 0 and ours["measures"] == args.rows, ours
    print(f"pandas.read_excel (openpyxl) : {reference['seconds']:6.2f} s, peak {reference['peak_mb']:.0f} MB")
    print(f"Rectify full import (SQLite) : {ours['seconds']:6.2f} s, peak {ours['peak_mb']:.0f} MB "
          f"({ours['problems']} problems, {ours['measures']} measures)")
    print(f"ratio import / pandas read   : {ours['seconds'] / reference['seconds']:.2f}")
    print(f"reading: checks and sandbox  : {sandboxed['seconds']:6.2f} s against calamine in process "
          f"{bare['seconds']:.2f} s, +{sandboxed['seconds'] - bare['seconds']:.2f} s "
          f"({(sandboxed['seconds'] - bare['seconds']) / ours['seconds']:.0%} of the full import)")


if __name__ == "__main__":
    main()
