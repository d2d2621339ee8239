"""Schemathesis against the service's OpenAPI document (bounded examples per operation): no 5xx, every
status code documented, every response body matching its schema, unauthenticated calls refused and
schema-invalid input rejected with 4xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.settings import Settings

from tests.api.http_support import TEST_TIME_LIMIT_S, add_users, bearer, sqlite_url

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


@pytest.fixture(scope="module")
def tokens(tmp_path_factory):
    return {"url": sqlite_url(tmp_path_factory.mktemp("schemathesis"))}


@pytest.fixture(scope="module")
def api_schema(tokens):
    tokens.update(add_users(tokens["url"]))
    app = create_app(Settings(database_url=tokens["url"], dispatch_time_limit_s=TEST_TIME_LIMIT_S))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


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
