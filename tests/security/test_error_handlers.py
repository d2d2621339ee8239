"""Property test of the error handlers: whatever JSON-ish body arrives, never a 500, always JSON naming a field.

Hypothesis writes request bodies as raw JSON text — NaN, Infinity, ``1e400`` and other numbers no
client library sends, integers of hundreds of digits, lone surrogates (``\\ud800``) in values and keys,
bytes that are not UTF-8, nesting thousands deep — as whole bodies, as one field of a valid body
replaced, and as an extra field, against every operation that takes a body. Each answer must be below
500 and strict JSON (no NaN); an error must name where it went wrong: ``{"detail": "<field>: …"}``
or FastAPI's ``{"detail": [{"loc": [...], …}]}``.

Run in process (TestClient) and against a real ``fleetplan serve`` on SQLite and on PostgreSQL
(skipped without ``FLEETPLAN_TEST_POSTGRES_URL``). Examples: ``FLEETPLAN_FUZZ_EXAMPLES`` (default
:data:`DEFAULT_EXAMPLES` per target; e.g. ``FLEETPLAN_FUZZ_EXAMPLES=2000`` for a long run).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import postgres_schema
from tests.api.http_support import REPORT, admin_token, running_desk, running_server, sqlite_url

DEFAULT_EXAMPLES = 150
EXAMPLES = int(os.environ.get("FLEETPLAN_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
WHAT_IF = {"start": "2026-12-01", "end": "2026-12-02", "backups": {"siping_depot": 1}, "reps": 1, "seed": 0}
# Every operation with a body, and a valid body for it (incident 1 may or may not exist: both are fine)
OPERATIONS = [
    ("POST", "/incidents", REPORT),
    ("POST", "/incidents/1/accept", {"rank": 1}),
    ("POST", "/incidents/1/on-scene", {"at": "2026-12-07T08:20"}),
    ("POST", "/incidents/1/resolved", {"at": "2026-12-07T09:30", "note": "delivered"}),
    ("POST", "/incidents/1/follow-up", {"note": "called back"}),
    ("POST", "/incidents/1/void", {"reason": "test"}),
    ("POST", "/closures", {"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice"}),
    ("PATCH", "/fleet/c01", {"status": "workshop", "reason": "brakes"}),
    ("POST", "/whatif/jobs", WHAT_IF),
]
FIELD_NAMED = re.compile(r"^[^:\s][^:]*: ")  # "<field>: <problem>"
LOCATIONS = {"body", "query", "path", "header", "cookie"}
MAX_NESTING = 3000


# --------------------------------------------------------------------------- bodies as raw JSON text
@dataclass(frozen=True)
class Raw:
    """JSON text written as is (a number no encoder produces, a nesting too deep to build as objects)."""

    text: str


def to_json(value: Any) -> str:
    """JSON text as a careless or hostile client writes it: NaN and Infinity bare, surrogates escaped."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key)}:{to_json(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)  # ensure_ascii: a lone surrogate goes out as the escape \ud800


surrogates = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud83d", "c0\udbff"])
texts = st.one_of(st.text(max_size=30), surrogates, st.text(max_size=5).map(lambda t: t + "\ud800" + t))
raw_numbers = st.sampled_from(
    ["1e400", "-1e400", "1e-400", "1E+308", "-0", "0.0", "42.0", "1" + "0" * 400, "-" + "9" * 300, "2.5e3"]
).map(Raw)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    raw_numbers,
)
values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(texts, st.sampled_from(["at", "rank"])), children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def deep(draw) -> Raw:
    depth = draw(st.integers(min_value=1, max_value=MAX_NESTING))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return Raw(opening * depth + to_json(draw(leaves)) + closing * depth)


hostile = st.one_of(values, deep())


@st.composite
def requests(draw) -> tuple[str, str, bytes]:
    method, path, valid = draw(st.sampled_from(OPERATIONS))
    shape = draw(st.sampled_from(["whole", "one field", "extra field", "bytes"]))
    if shape == "whole":
        body = to_json(draw(hostile)).encode("utf-8")
    elif shape == "one field":
        field = draw(st.sampled_from(sorted(valid)))
        body = to_json({**valid, field: draw(hostile)}).encode("utf-8")
    elif shape == "extra field":
        body = to_json({**valid, draw(texts): draw(hostile)}).encode("utf-8")
    else:  # not UTF-8 at all, or cut short
        text = to_json({**valid, draw(st.sampled_from(sorted(valid))): draw(values)}).encode("utf-8")
        body = draw(st.sampled_from([text[: len(text) // 2], text.replace(b'"', b"\xff", 1), b"\xfe\xff" + text]))
    return method, path, body


# --------------------------------------------------------------------------- targets
@dataclass
class Target:
    send: Any  # (method, path, body bytes) -> httpx.Response


@pytest.fixture(scope="module", params=["app", "serve-sqlite", "serve-postgres"])
def target(request, tmp_path_factory) -> Iterator[Target]:
    state_dir = tmp_path_factory.mktemp(request.param)
    if request.param == "app":
        with running_desk(sqlite_url(state_dir), whatif_engine="local") as desk:
            headers = desk.headers("admin")
            yield Target(
                lambda method, path, body: desk.client.request(method, path, content=body, headers=_json(headers))
            )
        return
    with contextlib.ExitStack() as stack:
        if request.param == "serve-postgres":
            database_url = stack.enter_context(postgres_schema())
        else:
            database_url = sqlite_url(state_dir)
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setenv("FLEETPLAN_WHATIF_ENGINE", "local")  # an accepted what-if job runs in the server itself
        server = stack.enter_context(running_server(database_url, state_dir))
        client = stack.enter_context(httpx.Client(base_url=server.base_url, timeout=60))
        headers = {"Authorization": f"Bearer {admin_token(database_url, state_dir)}"}
        yield Target(lambda method, path, body: client.request(method, path, content=body, headers=_json(headers)))


def _json(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": "application/json"}


# --------------------------------------------------------------------------- the property
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(request=requests())
def test_no_body_makes_the_service_fail_and_every_error_names_a_field(target, request):
    method, path, body = request
    response = target.send(method, path, body)
    assert response.status_code < 500, f"{method} {path} {body[:300]!r} → {response.status_code} {response.text[:300]}"
    answer = strict_json(response)
    if response.is_success:
        return
    assert isinstance(answer, dict) and "detail" in answer, answer
    detail = answer["detail"]
    if isinstance(detail, str):
        assert FIELD_NAMED.match(detail), detail
    else:
        assert isinstance(detail, list) and detail, detail
        for problem in detail:
            assert isinstance(problem["loc"], list) and problem["loc"] and problem["loc"][0] in LOCATIONS, problem
            assert isinstance(problem["msg"], str) and problem["msg"], problem


def strict_json(response) -> Any:
    """The body as JSON, which has no NaN or Infinity, decoded as UTF-8 (no lone surrogates)."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in an answer is not JSON")

    return json.loads(response.content.decode("utf-8"), parse_constant=refuse)


def test_the_bodies_reach_the_cases_that_used_to_fail():
    assert to_json({"passengers": float("nan"), "rank": float("inf")}) == '{"passengers":NaN,"rank":Infinity}'
    assert to_json({"location": "\ud800"}) == '{"location":"\\ud800"}'
    assert to_json([Raw("1e400")]) == "[1e400]"
