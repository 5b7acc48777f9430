"""Schemathesis against the API's own OpenAPI description on a seeded database: no 5xx, and every
response matches the description. Workflow refusals (409 for a wrong state, 403 for a role) are
answers, not failures: only server errors and responses that break the description fail.

Hypothesis drives each operation's strategy directly (schemathesis's pytest plugin does not work
with pytest 9).
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from rectify.models import Role

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def seeded(runner, make_user, make_measure):
    supervisor = make_user(Role.SUPERVISOR, person=True)
    first = make_measure(owners=[supervisor.person])
    make_measure(problem=first.problem, text="第二项措施")
    token = runner.invoke(args=["users", "token", supervisor.username]).stdout.strip()
    return {"Authorization": f"Bearer {token}"}


def test_api_never_fails_and_answers_as_described(app, seeded):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16  # every route (from_wsgi leaves out the schema document itself)

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=seeded, checks=CHECKS)

        check()
