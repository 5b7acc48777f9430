"""Page speed with a large data set, against a trivial endpoint of the same server.

    python bench/pages.py                      # SQLite, 100,002 measures
    python bench/pages.py --postgres           # PostgreSQL (a new schema, dropped afterwards)
    python bench/pages.py --problems 3334      # smaller
    python bench/pages.py --runs 5             # five runs, each against a freshly started server
    python bench/pages.py --as owner,leader    # as a 责任人 and as a 责任领导 instead of a 督办员

It builds a fresh instance, generates the data (`flask demo generate`), starts the real
server (`python app.py`, waitress), signs in as a supervisor (who sees everything, the
heaviest case) and times each page with one client, sequentially. With ``--as`` it signs in
as each role named in turn: the 责任人 is a generated person given an account, in the unit
leading the most measures (about a twentieth of them, plus those naming them); the 责任领导 is
the person leading the most problems and measures, in their own unit. Each role's ticket is a
problem of theirs and its deep list page is near the end of what they see. Each page's requests/s
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
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from live_server import Browserless, LiveServer  # noqa: E402

POSTGRES = os.environ.get("RECTIFY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "Yace.Mima-2023"
ROLES = ("supervisor", "owner", "leader")


def flask(env, *args):
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare(env, roles, problems) -> dict:
    """Create a bench user of each role; return, per role, its username, a ticket of theirs and
    a deep page of the filtered list, and the names the 责任人 and 责任领导 filters are timed with."""
    os.environ.update(env)
    import sqlalchemy as sa

    from rectify import create_app
    from rectify.accounts.operations import create_user
    from rectify.core.extensions import db
    from rectify.models import Measure, MeasureStatus, Person, Problem, Role
    from rectify.tracking.board import PAGE_SIZE
    from rectify.tracking.models import measure_leaders, measure_owners, problem_leaders
    from rectify.tracking.permissions import measure_scope
    from rectify.tracking.status import live_clause

    app = create_app()
    chosen = {}
    with app.app_context():
        # The names the 责任人 and 责任领导 filters are timed with: those named on the most measures.
        def busiest(*links):
            named = sa.union_all(*(sa.select(link.c.person_id) for link in links)).subquery()
            return db.session.scalar(sa.select(Person.name).join(named, named.c.person_id == Person.id)
                                     .group_by(Person.id).order_by(sa.func.count().desc(), Person.id).limit(1))

        names = {"person": busiest(measure_owners), "leader": busiest(measure_leaders, problem_leaders)}
        for role in roles:
            username = "bench" if role == "supervisor" else f"bench{role}"
            user = create_user(username=username, name=f"压测{Role(role).label}", password=PASSWORD, role=Role(role))
            person = None
            if role == "owner":  # the busiest unit's busiest 责任人
                load = dict(db.session.execute(sa.select(Measure.lead_unit_id, sa.func.count()).group_by(Measure.lead_unit_id)).all())
                owning = db.session.execute(sa.select(Person, sa.func.count()).join(measure_owners)
                                            .where(Person.user_id.is_(None)).group_by(Person.id)).all()
                person = max(owning, key=lambda row: (load.get(row[0].department_id, 0), row[1], -row[0].id))[0]
            elif role == "leader":
                named = sa.union_all(sa.select(problem_leaders.c.person_id), sa.select(measure_leaders.c.person_id)).subquery()
                person = db.session.scalar(
                    sa.select(Person).join(named, named.c.person_id == Person.id).where(Person.user_id.is_(None))
                    .group_by(Person.id).order_by(sa.func.count().desc(), Person.id).limit(1))
            if person is not None:
                person.user_id, user.department_id = user.id, person.department_id
            db.session.flush()
            scope = [live_clause(), measure_scope(user)]
            ticket = problems // 2 if person is None else db.session.scalar(
                sa.select(sa.func.min(Measure.problem_id)).where(*scope, Measure.problem_id >= problems // 2))
            in_progress = db.session.scalar(sa.select(sa.func.count()).select_from(Measure).join(Problem)
                                            .where(*scope, Measure.status == MeasureStatus.IN_PROGRESS))
            chosen[role] = {"username": username, "ticket": ticket, "deep": max(1, int(in_progress / PAGE_SIZE * 0.9)),
                            **names}
            if person is not None:
                print(f"{role}: {person.name}, {db.session.scalar(sa.select(sa.func.count()).select_from(Measure).where(*scope))}"
                      f" live measures in scope")
        db.session.commit()
        db.engine.dispose()
    return chosen


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


def one_run(instance, env, args, who):
    started = time.perf_counter()
    with LiveServer(instance, database_url=env.get("DATABASE_URL")) as server:
        client = Browserless(server.url)
        assert client.submit("/login", {"username": who["username"], "password": PASSWORD})[0] == 302
        deep = who["deep"]
        pages = {
            "trivial /healthz": "/healthz",
            "signed-in floor /account/password": "/account/password",
            "dashboard /": "/",
            "board /board": "/board",
            "board filtered": "/board?status=in_progress&q=%E5%8F%B0%E8%B4%A6",  # q=台账
            "list page 1 (filtered)": "/list?status=in_progress",
            f"list page {deep} (filtered)": f"/list?status=in_progress&page={deep}",
            "list by 责任人": f"/list?person={quote(who['person'])}",
            "list by 责任领导": f"/list?leader={quote(who['leader'])}",
            "ticket /problems/N": f"/problems/{who['ticket']}",
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
    parser.add_argument("--as", dest="roles", default="supervisor", metavar="ROLES",
                        help=f"sign in as each of these roles in turn, comma-separated ({','.join(ROLES)})")
    args = parser.parse_args()
    roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    if not roles or set(roles) - set(ROLES):
        parser.error(f"--as takes roles among {', '.join(ROLES)}")

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
        chosen = prepare(env, roles, args.problems)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        for role in roles:
            runs = []
            for run in range(args.runs):
                runs.append(one_run(instance, env, args, chosen[role]))
                report(runs[-1], f"{backend}, {args.problems * 3} measures, as {role}, {args.requests} sequential "
                                 f"requests per page, one client (run {run + 1} of {args.runs})")
            if args.runs > 1:
                print(f"\nworst p95 as {role} over {args.runs} runs (ms): " + ", ".join(
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
