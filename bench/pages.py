"""Page speed with a large data set, against a trivial endpoint of the same server.

    python bench/pages.py                      # SQLite, 100,002 measures
    python bench/pages.py --postgres           # PostgreSQL (a new schema, dropped afterwards)
    python bench/pages.py --problems 3334      # smaller
    python bench/pages.py --runs 5             # five runs, each against a freshly started server

It builds a fresh instance, generates the data (`flask demo generate`), starts the real
server (`python app.py`, waitress), signs in as a supervisor (who sees everything, the
heaviest case) and times each page with one client, sequentially. Each page's requests/s
is printed as a ratio to /healthz, a trivial endpoint served by the same server in the
same run (no session, no database, no template), and to the lightest signed-in page (a
small form: session, user, one template), which is the floor any page of the app stands on.
With ``--runs N`` the pages are timed N times, each run against a newly started server (its
caches cold, its scheduler making its catch-up run), and the worst p95 of each page over the runs
is printed last; every request slower than ``--slow`` ms is listed with its run and its time
since the server started, so that a slow tail can be traced to its cause.
Not a test: run it by hand; the issue note records the figures.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from live_server import Browserless, LiveServer  # noqa: E402

POSTGRES = os.environ.get("RECTIFY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "Yace.Mima-2023"


def flask(env, *args):
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(client, path, count, since, slow):
    for _ in range(3):
        client.get(path)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status, _, _ = client.get(path)
        samples.append(time.perf_counter() - started)
        assert status == 200, (path, status)
        if samples[-1] * 1000 > slow:
            slow_requests.append((path, started - since, samples[-1] * 1000))
    samples.sort()
    return {"rps": count / sum(samples), "p50": statistics.median(samples) * 1000,
            "p95": samples[int(len(samples) * 0.95) - 1] * 1000}


slow_requests = []


def one_run(instance, env, args):
    started = time.perf_counter()
    with LiveServer(instance, database_url=env.get("DATABASE_URL")) as server:
        client = Browserless(server.url)
        assert client.submit("/login", {"username": "bench", "password": PASSWORD})[0] == 302
        deep = max(1, int(args.problems * 3 * 0.4 / 50 * 0.9))
        pages = {
            "trivial /healthz": "/healthz",
            "signed-in floor /account/password": "/account/password",
            "dashboard /": "/",
            "board /board": "/board",
            "board filtered": "/board?status=in_progress&q=%E5%8F%B0%E8%B4%A6",  # q=台账
            "list page 1 (filtered)": "/list?status=in_progress",
            f"list page {deep} (filtered)": f"/list?status=in_progress&page={deep}",
            "ticket /problems/N": f"/problems/{args.problems // 2}",
        }
        return {name: timed(client, path, args.requests, started, args.slow) for name, path in pages.items()}


def report(results, title):
    base = results["trivial /healthz"]["rps"]
    floor = results["signed-in floor /account/password"]["rps"]
    print(f"\n{title}")
    print("ratio: to /healthz (no session, no database); floor: to the lightest signed-in page")
    print(f"{'page':36} {'req/s':>8} {'ratio':>7} {'floor':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for name, r in results.items():
        print(f"{name:36} {r['rps']:8.1f} {r['rps'] / base:7.3f} {r['rps'] / floor:7.3f} {r['p50']:8.1f} {r['p95']:8.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=33334)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=1, help="runs, each against a newly started server")
    parser.add_argument("--slow", type=float, default=150, help="list the requests slower than this (ms)")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="rectify-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFY_")}
    env["RECTIFY_INSTANCE"] = str(instance)
    schema = None
    if args.postgres:
        import psycopg

        schema = f"rectify_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg.connect(POSTGRES.replace("+psycopg", ""), autocommit=True)
        admin.execute(f'CREATE SCHEMA "{schema}"')
        env["DATABASE_URL"] = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        flask(env, "db", "upgrade")
        started = time.perf_counter()
        flask(env, "demo", "generate", "--problems", str(args.problems))
        print(f"generated {args.problems * 3} measures in {time.perf_counter() - started:.1f} s")
        flask(env, "users", "add", "bench", "--name", "压测督办员", "--role", "supervisor", "--password", PASSWORD)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        runs = []
        for run in range(args.runs):
            runs.append(one_run(instance, env, args))
            report(runs[-1], f"{backend}, {args.problems * 3} measures, {args.requests} sequential requests per page, "
                             f"one client (run {run + 1} of {args.runs})")
        if args.runs > 1:
            print(f"\nworst p95 over {args.runs} runs (ms): " + ", ".join(
                f"{name} {max(r[name]['p95'] for r in runs):.0f}" for name in runs[0]))
        print(f"requests slower than {args.slow:.0f} ms: {len(slow_requests)}")
        for path, at, ms in slow_requests:
            print(f"  {ms:7.1f} ms  {path}  ({at:.1f} s after the server was started)")
    finally:
        shutil.rmtree(instance, ignore_errors=True)
        if schema:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
