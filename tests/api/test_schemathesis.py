"""Schemathesis against the service's OpenAPI document, with every check it has, on every operation.

No 5xx; every status code, header, content type and body as documented; schema-invalid input rejected
with a 4xx; schema-valid input accepted; a missing required header rejected; an undocumented method a
405 with the path's ``Allow`` and ``OPTIONS`` answered with that header; unauthenticated calls refused;
no resource used after it was deleted or missing just after it was created.

Schema-valid input may still be refused for what the corridor data and the records hold (a place off
the road, a rank beyond the incident's options, an on-scene time before the report): each operation
names those fields in its 400 (and 422) response's ``x-checked-against-data``, and a refusal naming
another field fails the test like any other (:mod:`tests.api.schemathesis_hooks`, which also shows
the same run with the CLI against a running service).

Examples per operation: ``FLEETPLAN_SCHEMATHESIS_EXAMPLES`` (default :data:`DEFAULT_EXAMPLES`, about
twenty seconds on two cores).
"""

from __future__ import annotations

import contextlib
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.settings import Settings

from tests.api.conftest import postgres_schema
from tests.api.http_support import TEST_TIME_LIMIT_S, add_users, bearer, running_server, sqlite_url
from tests.api.schemathesis_hooks import positive_data_acceptance_beyond_the_data

DEFAULT_EXAMPLES = 25
MAX_EXAMPLES = int(os.environ.get("FLEETPLAN_SCHEMATHESIS_EXAMPLES", DEFAULT_EXAMPLES))


load_all_checks()
# every registered check (the hooks module registered its own), its positive_data_acceptance in place of the plain one
CHECKS = [check for check in REGISTERED_CHECKS.get_all() if check is not positive_data_acceptance]


def test_every_check_schemathesis_has_is_run():
    names = {check.__name__ for check in CHECKS}
    assert {"positive_data_acceptance_beyond_the_data", "negative_data_rejection", "unsupported_method"} <= names
    assert "positive_data_acceptance" not in names
    assert positive_data_acceptance_beyond_the_data in CHECKS
    assert len(CHECKS) == len(REGISTERED_CHECKS.get_all()) - 1 >= 14


@pytest.fixture(scope="module")
def tokens(tmp_path_factory):
    return {"url": sqlite_url(tmp_path_factory.mktemp("schemathesis"))}


@pytest.fixture(scope="module", params=["app", "serve-sqlite", "serve-postgres"])
def api_schema(request, tokens, tmp_path_factory):
    """The contract of the app in process and of a real ``fleetplan serve`` on SQLite and on PostgreSQL
    (what an outside client meets, proxies and all)."""
    settings = {"whatif_engine": "local", "whatif_workers": 1}  # no worker processes beside the test
    with contextlib.ExitStack() as stack:
        if request.param == "serve-postgres":
            tokens["url"] = stack.enter_context(postgres_schema())
        elif request.param == "serve-sqlite":
            tokens["url"] = sqlite_url(tmp_path_factory.mktemp("schemathesis-serve"))
        tokens.update(add_users(tokens["url"]))
        if request.param == "app":
            app = create_app(Settings(database_url=tokens["url"], dispatch_time_limit_s=TEST_TIME_LIMIT_S, **settings))
            yield schemathesis.openapi.from_asgi("/openapi.json", app)
            return
        state_dir = tmp_path_factory.mktemp(request.param)
        server = stack.enter_context(running_server(tokens["url"], state_dir, settings=settings))
        yield schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")


# GET /events never ends (server-sent events): a request-and-response fuzzer would wait on it for
# good; tests/api/test_http_events.py checks it.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/events")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_the_api_keeps_its_contract(case, tokens):
    # A negative case that drops the Authorization header must go out without it, or the check would
    # judge an authorised request as if it were the unauthorised one.
    headers = {} if mutates_authorization(case) else bearer(tokens["admin"])
    case.call_and_validate(headers=headers, checks=CHECKS)


def mutates_authorization(case) -> bool:
    data = case.meta.phase.data if case.meta is not None else None
    names = {getattr(data, "parameter", None)} | {m.parameter for m in getattr(data, "mutations", ())}
    return any(name and name.lower() == "authorization" for name in names)
