"""Start ``python app.py`` as a user would, and talk to it over HTTP."""
import http.cookiejar
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
READY = "Rectify 已启动"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A Rectify server process on a free local port, with everything it printed."""

    def __init__(self, instance: Path, *args: str, database_url: str | None = None, timeout: float = 60):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {key: value for key, value in os.environ.items() if not key.startswith("RECTIFY_")}
        env.pop("DATABASE_URL", None)
        env["RECTIFY_INSTANCE"] = str(instance)
        if database_url:
            env["DATABASE_URL"] = database_url
        self.env = env
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(self.port), *args],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
        )
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_until_ready(timeout)

    def _read(self):
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _wait_until_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError("server exited:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if READY in line:
                break
        else:
            self.stop()
            raise RuntimeError("server did not start:\n" + "\n".join(self.lines))
        for _ in range(100):  # the banner comes just before waitress binds
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)

    def flask(self, *args: str) -> str:
        """Run ``flask --app app ARGS`` on this server's instance and database; return what it printed."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=PROJECT_DIR, env=self.env,
                                capture_output=True, text=True, encoding="utf-8", timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def printed(self, pattern: str) -> str:
        match = re.search(pattern, self.output)
        assert match, f"{pattern!r} not in output:\n{self.output}"
        return match.group(1)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Browserless:
    """A cookie-keeping HTTP client that fills in the CSRF token as a browser would."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
        )

    def get(self, path: str):
        return self._open(urllib.request.Request(self.base_url + path))

    def submit(self, path: str, fields: dict):
        """GET the form page, then POST ``fields`` with the page's CSRF token."""
        status, _, page = self.get(path)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        return self._open(urllib.request.Request(self.base_url + path, data=body, method="POST"))

    def upload(self, path: str, fields: dict, files: dict, form_page: str = "", headers: dict | None = None):
        """POST ``fields`` and ``files`` ({name: (filename, bytes)}) as multipart/form-data; with
        ``form_page``, first GET it for its CSRF token as a browser would."""
        if form_page:
            page = self.get(form_page)[2]
            fields = {**fields, "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)}
        boundary = uuid.uuid4().hex
        body = b"".join(
            [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
            + [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
               f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
               for name, (filename, data) in files.items()]
            + [f"--{boundary}--\r\n".encode()])
        request = urllib.request.Request(self.base_url + path, data=body, method="POST", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})})
        return self._open(request)

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.headers, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
