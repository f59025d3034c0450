"""Property-based checks of the month endpoints against the schema served at ``/api/schema/``:
whatever schemathesis generates from it (valid and invalid months, cursors, bodies), no answer is
a 5xx, in a random month and again in the computed one. Bounded: 25 examples per operation, run
in-process through the WSGI app (about 20 s on SQLite)."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests.eligibility.api.conftest import NOV_2026, compute, family
from tests.organisations.factories import api_client_with_token

EXAMPLES = 25


@pytest.fixture
def token(registers, settings) -> Iterator[str]:
    settings.ALLOWED_HOSTS = ["*"]
    family(registers)
    compute(NOV_2026)
    _, key = api_client_with_token(registers.trader_a)
    # The bare WSGI app closes the database connection after each request (Django's test client
    # switches that off); here that would end the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Loaded at collection, through the WSGI app, from the schema view itself (it needs no
# database). (``schemathesis.pytest.from_fixture`` would load it lazily, but its pytest plugin
# does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).include(
    operation_id_regex=r"^month_"
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_errors(case: Any, token: str) -> None:
    headers = {"Authorization": f"Token {token}"}
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])

    # Again in the month that is computed, so that the queries and bodies reach the lists and the
    # services (a random month is nearly always a 400 or a 404).
    if case.path_parameters is not None:
        case.path_parameters["month"] = "2026-11"
        again = case.call(headers=headers)
        assert again.status_code < 500, (case.method, case.formatted_path, again.text[:500])
