"""Schemathesis against the OpenAPI document: no input makes the API answer 5xx.

Driven through Hypothesis directly (schemathesis's pytest plugin does not load
under pytest 9 yet), one operation after another, as a caller with a token.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

# the people who may act there, so the generated calls reach the engine's own checks
PERSON_FOR = {"/api/reports/{fiscal_year}/{task_id}/{round_id}": "officer_teacher_welfare",
              "/api/checkpoints/{item_id}": "deputy_4", "/api/calendar": "deputy_4",
              "/api/audit/replay": "auditor", "/api/audit/export": "auditor"}


def test_no_input_makes_a_server_error(web, tokens, clock):
    from engine.calendar import tick
    from tests.calendar_helpers import bkk

    clock.set(bkk(2027, 3, 10, 10))  # reports and checkpoints open: the calendar endpoints reach the engine
    tick(web.state.web.app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", web)
    operations = 0
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        person = PERSON_FOR.get(operation.path, "director_administration"
                                if operation.path.startswith("/api/processes/") else "admin")
        check_operation(operation, {"Authorization": f"Bearer {tokens[person]}"}, calls)
        operations += 1
    assert operations >= 22 and len(calls) > 5 * operations


def check_operation(operation, headers: dict, calls: list[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call(headers=headers)
        calls.append(response.status_code)
        case.validate_response(response, checks=(not_a_server_error,))

    check()
