"""Many people at once: the real server under N concurrent simulated users for a fixed time.

    python bench/load.py                       # SQLite, `python app.py` (waitress, 8 threads), 50 users, 60 s
    python bench/load.py --postgres            # PostgreSQL, gunicorn with 4 workers + one scheduler process
    python bench/load.py --users 20 --seconds 30 --problems 3334
    python bench/load.py --users 200 --think 10   # each user pauses 10 s on average between actions

The mix an office makes: 70% page views (dashboard, board, list pages, a ticket), 20% progress
reports with a small evidence file (the ticket's form, as a browser posts it), 10% exports and
searches (a unit's ledger, a keyword in the list). Each simulated user is a 责任人 signed in with
their own session, working on their unit's measures; one 督办员 exports and searches too.

It prints requests/s and p50/p95/p99 per kind, and the errors (there must be none), then checks in
the database that every progress report the server answered 2xx/3xx for is there exactly once.
Not a test: run it by hand; the README's deployment section quotes its figures.
"""
import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from live_server import Browserless, LiveServer, free_port  # noqa: E402

POSTGRES = os.environ.get("RECTIFY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "Yace.Mima-2023"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MIX = [("view", 70), ("write", 20), ("export", 10)]


def flask(env, *args):
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare(env, users: int) -> list[dict]:
    """One 责任人 account per unit (as many as asked, round the units), each with its unit's measures."""
    os.environ.update(env)
    from sqlalchemy import select

    from rectify import create_app
    from rectify.accounts.operations import create_user
    from rectify.core.extensions import db
    from rectify.models import Department, Measure, MeasureStatus, Role

    app = create_app()
    people = []
    with app.app_context():
        units = db.session.scalars(select(Department).order_by(Department.id)).all()
        for index in range(users):
            unit = units[index % len(units)]
            create_user(username=f"load{index}", name=f"压测责任人{index}", password=PASSWORD, role=Role.OWNER,
                        department_id=unit.id)
            people.append({"username": f"load{index}", "unit": unit.id})
        create_user(username="loadsup", name="压测督办员", password=PASSWORD, role=Role.SUPERVISOR)
        db.session.commit()
        by_unit = defaultdict(list)
        for measure_id, problem_id, unit_id in db.session.execute(
                select(Measure.id, Measure.problem_id, Measure.lead_unit_id)
                .where(Measure.status.in_([MeasureStatus.NOT_STARTED, MeasureStatus.IN_PROGRESS]))):
            by_unit[unit_id].append((measure_id, problem_id))
        sharing = defaultdict(list)
        for person in people:
            sharing[person["unit"]].append(person)
        for unit, members in sharing.items():  # each measure worked on by one simulated person
            for index, person in enumerate(members):
                person["measures"] = by_unit[unit][index::len(members)][:200]
        db.engine.dispose()
    return people


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = defaultdict(list)
        self.written = []
        self.conflicts = 0

    def note(self, kind, seconds, ok, detail=""):
        with self.lock:
            self.times[kind].append(seconds)
            if not ok:
                self.errors[kind].append(detail)


def timed(recorder, kind, call):
    started = time.perf_counter()
    try:
        status, headers, body = call()
    except Exception as error:  # a refused connection, a timeout: an error of this kind
        recorder.note(kind, time.perf_counter() - started, False, repr(error))
        return None
    if status == 409:  # two people saving the same measure: the later one is told, as it should be
        recorder.note(kind, time.perf_counter() - started, True)
        with recorder.lock:
            recorder.conflicts += 1
        return None
    ok = status < 400
    recorder.note(kind, time.perf_counter() - started, ok, f"{status}")
    return (status, headers, body) if ok else None


def signed_in(url, person, recorder):
    client = Browserless(url)
    if client.submit("/login", {"username": person["username"], "password": PASSWORD})[0] != 302:
        recorder.note("login", 0, False, "login refused")
        return None
    return client


def simulate(client, person, supervisor, stop, recorder, seed, think):
    rng = random.Random(seed)
    if client is None:
        return
    count = 0
    while not stop.is_set():
        if think and stop.wait(rng.expovariate(1 / think)):  # reading the page, typing
            break
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        measure_id, problem_id = rng.choice(person["measures"]) if person["measures"] else (None, None)
        if kind == "view":
            path = rng.choice(["/", "/board", f"/list?page={rng.randint(1, 20)}",
                               f"/problems/{problem_id}" if problem_id else "/list"])
            timed(recorder, "view", lambda: client.get(path))
        elif kind == "write" and measure_id:
            page = client.get(f"/problems/{problem_id}")[2]
            version = re.search(rf'name="m{measure_id}-progress-version" type="hidden" value="(\d+)"', page)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
            if not (version and token):
                continue  # the measure moved on (another user's report): pick another next time
            count += 1
            text = f"压测进展-{person['username']}-{count}"
            answer = timed(recorder, "write", lambda: client.upload(f"/measures/{measure_id}/progress", {
                f"m{measure_id}-progress-text": text, f"m{measure_id}-progress-version": version.group(1),
                "csrf_token": token.group(1)}, {f"m{measure_id}-progress-files": ("佐证.pdf", PDF)}))
            if answer is not None:
                with recorder.lock:
                    recorder.written.append(text)
        else:
            who = supervisor if rng.random() < 0.3 else client
            path = rng.choice(["/list?q=%E5%8F%B0%E8%B4%A6", f"/ledger/export?unit={person['unit']}&status=done"])
            timed(recorder, "export", lambda: who.get(path))


def report(recorder, seconds):
    total = sum(len(v) for v in recorder.times.values())
    print(f"\n{total} requests in {seconds} s: {total / seconds:.1f} requests/s")
    print(f"{'kind':8} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind, samples in sorted(recorder.times.items()):
        samples = sorted(samples)

        def pct(p):
            return samples[min(len(samples) - 1, int(len(samples) * p))] * 1000

        print(f"{kind:8} {len(samples):7} {len(samples) / seconds:7.1f} {statistics.median(samples) * 1000:8.1f} "
              f"{pct(0.95):8.1f} {pct(0.99):8.1f} {len(recorder.errors[kind]):7}")
    print(f"stale saves refused (409, a correct answer to two people saving one measure): {recorder.conflicts}")
    for kind, errors in recorder.errors.items():
        if errors:
            print(f"errors ({kind}): {sorted(set(errors))[:5]}")


def verify(env, written: list[str]) -> bool:
    os.environ.update(env)
    from sqlalchemy import func, select

    from rectify import create_app
    from rectify.core.extensions import db
    from rectify.models import ProgressUpdate

    app = create_app()
    with app.app_context():
        counts = dict(db.session.execute(select(ProgressUpdate.text, func.count()).where(
            ProgressUpdate.text.like("压测进展-%")).group_by(ProgressUpdate.text)).all())
        db.engine.dispose()
    missing = [t for t in written if counts.get(t, 0) == 0]
    doubled = [t for t, n in counts.items() if n > 1]
    extra = set(counts) - set(written)
    print(f"writes answered 2xx/3xx: {len(written)}; in the database once: {sum(1 for t in written if counts.get(t) == 1)}; "
          f"missing: {len(missing)}; doubled: {len(doubled)}; not answered but stored: {len(extra)}")
    return not (missing or doubled)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--problems", type=int, default=3334)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--think", type=float, default=0,
                        help="mean pause of a user between actions, in seconds (0: back to back)")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="rectify-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFY_")}
    env.update(RECTIFY_INSTANCE=str(instance), RECTIFY_LOGIN_RATE_LIMIT="1000 per minute")
    schema, processes = None, []
    if args.postgres:
        import psycopg

        schema = f"rectify_load_{uuid.uuid4().hex[:8]}"
        admin = psycopg.connect(POSTGRES.replace("+psycopg", ""), autocommit=True)
        admin.execute(f'CREATE SCHEMA "{schema}"')
        env["DATABASE_URL"] = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        env["SECRET_KEY"] = uuid.uuid4().hex
    try:
        flask(env, "db", "upgrade")
        flask(env, "demo", "generate", "--problems", str(args.problems))
        people = prepare(env, args.users)
        if args.postgres:
            port = free_port()
            env_server = {**env, "RECTIFY_SCHEDULER": "off"}
            processes.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "4", "--threads", "4",
                                               "--bind", f"127.0.0.1:{port}", "app:app"], cwd=ROOT, env=env_server,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            processes.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler", "run"],
                                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            url = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    Browserless(url).get("/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            server = None
        else:
            (instance / "config.py").write_text('RECTIFY_LOGIN_RATE_LIMIT = "1000 per minute"\n', encoding="utf-8")
            server = LiveServer(instance)
            url = server.url
        supervisor = Browserless(url)
        assert supervisor.submit("/login", {"username": "loadsup", "password": PASSWORD})[0] == 302
        recorder, stop = Recorder(), threading.Event()
        # Everyone signs in before the clock starts: a hundred password checks at once are not an office's morning.
        clients = [signed_in(url, person, recorder) for person in people]
        threads = [threading.Thread(target=simulate, args=(client, person, supervisor, stop, recorder, index, args.think))
                   for index, (client, person) in enumerate(zip(clients, people))]
        print(f"{'PostgreSQL, gunicorn 4 workers × 4 threads + scheduler' if args.postgres else 'SQLite, python app.py'}: "
              f"{args.users} users for {args.seconds} s on {args.problems * 3} measures"
              + (f", {args.think:g} s between a user's actions on average" if args.think else ", back to back"))
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(30)
        report(recorder, args.seconds)
        if server is not None:
            server.stop()
        log = instance / "logs" / "rectify.log"
        if any(recorder.errors.values()) and log.exists():
            print("server log (errors):", *[line for line in log.read_text(encoding="utf-8").splitlines()
                                           if "ERROR" in line or "Error" in line][-20:], sep="\n  ")
        faultless = verify(env, recorder.written) and not any(recorder.errors.values())
        print("OK: no errors, every answered write stored exactly once" if faultless else "FAILED")
        if not faultless:
            sys.exit(1)
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        if schema:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
