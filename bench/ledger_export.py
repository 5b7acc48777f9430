"""Ledger export speed: the formatted, merged 整改台账 against pandas writing the same rows plain.

    pip install -r bench/requirements.txt
    python bench/ledger_export.py [--measures 20000 100000] [--repeat 3]

For each size it generates a database (`flask demo generate`, not timed), then in separate
processes (so each peak memory is its own): Rectify's export_ledger — query, rows, formatting,
merges, summary and overdue sheets — and pandas.DataFrame.to_excel writing the same rows
unformatted (the rows are read before its clock starts), with each of its two engines:
XlsxWriter (pandas' choice when installed) and openpyxl (its choice otherwise). Prints both times, the ratio and
each process's peak memory. Not a test.

``--whole`` times whole processes instead, as a user meets them: ``flask --app app ledger export``
against ``python -c`` building a DataFrame of the same rows (read from a JSON file written
beforehand, not timed) and writing it with ``to_excel`` (XlsxWriter), the best of ``--repeat``
interleaved runs each. Python keeps its compiled modules as on any installation, even where
PYTHONDONTWRITEBYTECODE is set.
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
COLUMNS = ["序号", "问题类别", "存在问题", "整改措施", "责任领导", "责任单位", "责任人", "整改时限", "整改进展", "整改状态",
           "完成时间", "佐证材料", "备注"]
FIELDS = ("number", "aspect", "problem", "measure", "leaders", "unit", "owners", "deadline", "progress", "status",
          "completed", "evidence", "note")
PANDAS_PROCESS = """
import json, sys
import pandas
rows = json.loads(open(sys.argv[1], encoding="utf-8").read())
pandas.DataFrame(rows["rows"], columns=rows["columns"]).to_excel(sys.argv[2], index=False, engine="xlsxwriter")
"""


def child(kind, instance):
    sys.path.insert(0, str(ROOT))
    from rectify import create_app
    from rectify.core.timeutil import local_today
    from rectify.ledgers.export import export_ledger
    from rectify.ledgers.rows import ledger_rows
    from rectify.tracking.filters import MeasureFilters

    app = create_app({"RECTIFY_INSTANCE": instance})
    out = Path(instance) / f"{kind}.xlsx"
    with app.app_context():
        if kind == "dump":
            today = local_today()
            rows = [[str(getattr(r, f) or "") for f in FIELDS]
                    for r in ledger_rows(MeasureFilters().select(None, today, 7), today, 7)]
            Path(instance, "rows.json").write_text(json.dumps({"columns": COLUMNS, "rows": rows}, ensure_ascii=False),
                                                   encoding="utf-8")
            return print(json.dumps({"rows": len(rows)}))
        if kind.startswith("pandas"):
            import pandas

            today = local_today()
            rows = [tuple(getattr(r, f) for f in FIELDS) for r in ledger_rows(MeasureFilters().select(None, today, 7), today, 7)]
            frame = pandas.DataFrame(rows, columns=COLUMNS)
            started = time.perf_counter()
            frame.to_excel(out, index=False, engine=kind.split("-")[1])
            count = len(frame)
        else:
            started = time.perf_counter()
            count = export_ledger(MeasureFilters(), None, out).measures
    print(json.dumps({"seconds": time.perf_counter() - started, "rows": count,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "size_kb": out.stat().st_size / 1024}))


def run(kind, instance):
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    output = subprocess.run([sys.executable, __file__, "--child", kind, instance], capture_output=True, text=True,
                            check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": path}).stdout
    return json.loads(output.strip().splitlines()[-1])


def timed(args, env) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def whole(instance, env, repeat) -> None:
    """Whole processes, the best of ``repeat`` each, interleaved: the CLI export against pandas."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rows = run("dump", instance)["rows"]
    ours = [sys.executable, "-m", "flask", "--app", "app", "ledger", "export", str(Path(instance) / "台账.xlsx")]
    pandas = [sys.executable, "-c", PANDAS_PROCESS, str(Path(instance) / "rows.json"), str(Path(instance) / "pandas.xlsx")]
    timed(ours, env)  # compiles and caches the modules once, as any installation has them
    best = {"ours": float("inf"), "pandas": float("inf")}
    for _ in range(repeat):
        best["ours"] = min(best["ours"], timed(ours, env))
        best["pandas"] = min(best["pandas"], timed(pandas, env))
    print(f"{rows} measures, whole processes, best of {repeat} interleaved")
    print(f"  flask ledger export                 : {best['ours']:6.2f} s")
    print(f"  python -c DataFrame.to_excel        : {best['pandas']:6.2f} s")
    print(f"  ratio                               : {best['ours'] / best['pandas']:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measures", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant; the fastest counts")
    parser.add_argument("--whole", action="store_true", help="time whole processes: the CLI export against pandas")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    for measures in args.measures:
        instance = tempfile.mkdtemp(prefix="rectify-ledger-bench-")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECTIFY_")}, "RECTIFY_INSTANCE": instance}
        for command in (["db", "upgrade"], ["demo", "generate", "--problems", str(measures // 3)]):
            subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT, env=env, check=True,
                           capture_output=True)
        if args.whole:
            try:
                whole(instance, env, args.repeat)
            finally:
                shutil.rmtree(instance, ignore_errors=True)
            continue
        try:
            # Each variant --repeat times, interleaved, keeping each one's fastest run: on a shared
            # machine a single run of either side can be a third slower for no reason of its own.
            runs = {kind: [] for kind in ("pandas-xlsxwriter", "pandas-openpyxl", "rectify")}
            for _ in range(args.repeat):
                for kind, results in runs.items():
                    results.append(run(kind, instance))
            reference, slower, ours = (min(results, key=lambda r: r["seconds"]) for results in runs.values())
        finally:
            shutil.rmtree(instance, ignore_errors=True)
        print(f"{ours['rows']} measures")
        print(f"  pandas to_excel (xlsxwriter), plain: {reference['seconds']:6.2f} s, peak {reference['peak_mb']:4.0f} MB, {reference['size_kb']:.0f} KB")
        print(f"  pandas to_excel (openpyxl), plain  : {slower['seconds']:6.2f} s, peak {slower['peak_mb']:4.0f} MB")
        print(f"  Rectify ledger, formatted+merged   : {ours['seconds']:6.2f} s, peak {ours['peak_mb']:4.0f} MB, {ours['size_kb']:.0f} KB")
        print(f"  ratio ledger / pandas (xlsxwriter) : {ours['seconds'] / reference['seconds']:.2f}")
        print(f"  ratio ledger / pandas (openpyxl)   : {ours['seconds'] / slower['seconds']:.2f}")


if __name__ == "__main__":
    main()
