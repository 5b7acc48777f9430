"""Start-up as a user meets it: whole processes, against a bare import of the framework.

    python bench/startup.py [--repeat 5]

The reference is a process doing only ``import flask, sqlalchemy, flask_sqlalchemy, flask_login,
flask_wtf``. Against it, on a migrated SQLite instance with an administrator: ``flask --app app``
commands that do little beyond starting (``users list``, a group's ``--help``, ``findings history``)
and ``python app.py`` up to its first answered request (``/login``, rendered from its template).
Each variant runs ``--repeat`` times, interleaved, and its fastest run counts: on a shared machine
any single run can be a third slower for no reason of its own. For scale, the floor: the ``flask``
command running an empty app (Flask's CLI loads every installed plugin: `flask.commands` entry points).
Python keeps its compiled modules (``__pycache__``) as it does on any installation, even where
PYTHONDONTWRITEBYTECODE is set (``--no-bytecode`` keeps that setting: every start compiles Rectify
again). Not a test.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE = "import flask, sqlalchemy, flask_sqlalchemy, flask_login, flask_wtf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_process(args, env) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def timed_server(env) -> float:
    """From spawning ``python app.py`` to the first 200 of /login."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("python app.py stopped") from None
                time.sleep(0.005)
    finally:
        process.terminate()
        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each variant; the fastest counts")
    parser.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if set")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="rectify-startup-bench-")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECTIFY_")}, "RECTIFY_INSTANCE": instance}
    if not args.no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    empty = Path(instance) / "empty_app.py"
    empty.write_text(f"{BARE}\napp = flask.Flask(__name__)\napp.cli.command('hello')(lambda: None)\n")
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    try:
        subprocess.run([sys.executable, "-c", "import app, rectify.serve as s; s.prepare(app.app)"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        variants = {
            "bare import (reference)": lambda: timed_process([sys.executable, "-c", BARE], env),
            "flask users list": lambda: timed_process([*flask, "users", "list"], env),
            "flask ledger --help": lambda: timed_process([*flask, "ledger", "--help"], env),
            "flask findings history": lambda: timed_process([*flask, "findings", "history"], env),
            "python app.py to first page": lambda: timed_server(env),
            "floor: flask CLI, empty app": lambda: timed_process([sys.executable, "-m", "flask", "--app", str(empty),
                                                                  "hello"], env),
        }
        best = {name: float("inf") for name in variants}
        for _ in range(args.repeat):
            for name, run in variants.items():
                best[name] = min(best[name], run())
        reference = best["bare import (reference)"]
        print(f"best of {args.repeat} interleaved runs, whole processes"
              + (", compiling every start" if "PYTHONDONTWRITEBYTECODE" in env else ""))
        for name, seconds in best.items():
            print(f"{name:32} {seconds:6.3f} s  {seconds / reference:5.2f}×")
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
