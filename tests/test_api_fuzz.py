"""Schemathesis with every check (`schemathesis run --checks all`) against the API's own OpenAPI
description, on a seeded database: no 5xx, every response as described, schema-valid requests
accepted and schema-violating ones refused, 405 with Allow for undeclared methods, no answer
without a token. Workflow refusals (409 for a wrong state, 403 for a role) are answers, not
failures.

It runs the real command line against the test's app served over HTTP from a thread: the command
runs every phase (coverage, fuzzing, stateful), which driving strategies by hand does not, and
schemathesis 4.32's in-process WSGI transport breaks on the ignored_auth probes (it hands
``max_redirects`` to werkzeug's test client).
"""
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from rectify.api.openapi import document
from rectify.models import ExtensionRequest, Role

# positive_data_acceptance expects a request the description allows to be accepted. A schema
# cannot say everything the API checks against its data; for these operations the refusal of a
# well-formed request is an answer, and only these statuses are allowed beside success:
# - an import file that is not a readable findings workbook: 422 with the error report;
# - an evidence file whose type is not accepted or whose content does not match its name: 400;
# - an extension date that is not after the current deadline and today: 400;
# - submitting for sign-off before any evidence is uploaded: 400;
# - signing off as 阶段性完成 (long_term) a measure that is not 长期坚持: 400;
# - a plan whose deadline cannot be read as a date or whose unit is not a known department: 400.
CONFIG = r"""
[[operations]]
include-name = "POST /imports"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
include-name-regex = '^POST /measures/\{measure_id\}/(evidence|extension|submit|approve)$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]

[[operations]]
include-name = "POST /problems/{problem_id}/plan"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""


@pytest.fixture
def seeded(session, runner, make_user, make_measure):
    supervisor = make_user(Role.SUPERVISOR, person=True)
    first = make_measure(owners=[supervisor.person])
    make_measure(problem=first.problem, text="第二项措施")
    session.add(ExtensionRequest(measure=first, new_due_on=date(2031, 6, 30), reason="需协调上级部门"))
    session.commit()
    token = runner.invoke(args=["users", "token", supervisor.username]).stdout.strip()
    return f"Authorization: Bearer {token}"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args):
        pass


@contextmanager
def served(app):
    """``app`` on a free local port, answered one request at a time by a thread of this process."""
    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_api_passes_every_schemathesis_check(app, seeded, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with served(app) as url:
        result = subprocess.run(
            [str(schemathesis), "--config-file", str(config), "run", f"{url}/api/v1/openapi.json",
             "--checks", "all", "--header", seeded, "--max-examples", "8", "--seed", "1",
             "--generation-database", "none", "--continue-on-failure", "--no-color"],
            capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, timeout=600,
        )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr
    # Every operation of the description is exercised, but the description's own route.
    operations = sum(len(methods) for path, methods in document()["paths"].items() if path != "/openapi.json")
    assert f"Operations:       {operations} selected / {operations} total" in result.stdout
