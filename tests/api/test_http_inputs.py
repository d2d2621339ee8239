"""Hardened inputs (issue 15, items 5, 8 and 14): idempotency keys bound to the request and the user,
4xx naming the field where the error answer itself used to fail, and an OpenAPI document that says
what the server accepts (whole numbers, times, days, ids the data fixes, OPTIONS and ``Allow``).

Every HTTP test talks to a real ``fleetplan serve`` (``desk_served``: a fresh database per test;
``desk``: one per module), and they and those taking ``store_url`` run on SQLite and on PostgreSQL
(skipped without a server).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from fleetplan.errors import InvalidValueError
from fleetplan.units import china_now

from api.desk import parse_local_minute
from api.records import IdempotencyMismatch, open_store
from api.records.engine import WRITE_OPTION, _alembic_config, create_store_engine
from api.routers.whatif import DAY_PATTERN
from api.schemas import CALENDAR_DAY, LOCAL_MINUTE, LOCAL_MINUTE_OR_NOW

from tests.api.http_support import REPORT

WHAT_IF = {"start": "2026-12-01", "end": "2026-12-02", "backups": {"siping_depot": 1}, "reps": 1, "seed": 0}


@pytest.fixture(scope="module")
def desk(desk_served_module):
    """One real ``fleetplan serve`` per backend for the tests that record nothing or only look at the answer."""
    return desk_served_module


def raw_post(desk, path: str, body: str, role: str = "dispatcher", headers: dict | None = None):
    """POST ``body`` exactly as written (NaN, Infinity, 1e400 and \\ud800 escapes are not JSON a client
    library would send)."""
    sent = {**desk.headers(role), "Content-Type": "application/json", **(headers or {})}
    return desk.client.post(path, content=body.encode("utf-8"), headers=sent)


def strict_json(response):
    """The body as JSON, refusing NaN and Infinity (which are not JSON)."""

    def refuse(constant: str):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(response.content.decode("utf-8"), parse_constant=refuse)


def report_body(**raw_values: str) -> str:
    """The standard report as JSON text with some values replaced by raw JSON text."""
    body = json.dumps(REPORT)
    for field, raw in raw_values.items():
        body = re.sub(rf'"{field}": [^,}}]+', lambda _match, f=field, r=raw: f'"{f}": {r}', body)
    return body


# --------------------------------------------------------------------------- item 5: Idempotency-Key
def test_a_replay_with_the_same_key_body_and_user_returns_the_first_incident(desk_served):
    first = desk_served.report(key="desk-1/0740")
    # the same report in another key order and with a default written out is the same request
    body = {"alternatives": REPORT["alternatives"], **dict(reversed(REPORT.items())), "kind": "breakdown"}
    again = desk_served.post("/incidents", body, headers={"Idempotency-Key": "desk-1/0740"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"] == 1
    assert desk_served.numbers() == [1]


def test_the_same_key_with_another_report_is_422_naming_the_key_and_records_nothing(desk_served):
    assert desk_served.report(key="desk-1/0740").status_code == 201
    response = desk_served.report(key="desk-1/0740", vehicle_id="c02", location="G1 K30 toward Changchun")
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["header", "idempotency-key"] and "Idempotency-Key" in problem["msg"]
    assert desk_served.numbers() == [1]
    assert desk_served.get("/incidents/1").json()["report"]["vehicle_id"] == "c01"  # the first report stands


def test_the_same_key_from_another_user_is_422(desk_served):
    assert desk_served.report(key="shared-key").status_code == 201
    response = desk_served.post("/incidents", REPORT, role="admin", headers={"Idempotency-Key": "shared-key"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert desk_served.numbers() == [1]


def test_the_store_refuses_a_known_key_with_another_request_or_user(store_url):
    with open_store(store_url) as store:
        record, created = store.report({"vehicle_id": "c01"}, datetime(2026, 12, 7, 7, 40), "desk-1", "k", {"a": 1})
        assert created
        assert store.report({"vehicle_id": "c01"}, datetime(2026, 12, 7, 7, 40), "desk-1", "k", {"a": 1}) == (
            record,
            False,
        )
        with pytest.raises(IdempotencyMismatch, match="Idempotency-Key"):
            store.report({"vehicle_id": "c01"}, datetime(2026, 12, 7, 7, 40), "desk-1", "k", {"a": 2})
        with pytest.raises(IdempotencyMismatch):
            store.report({"vehicle_id": "c01"}, datetime(2026, 12, 7, 7, 40), "desk-2", "k", {"a": 1})
        # without the request the report itself is fingerprinted
        store.report({"vehicle_id": "c02"}, datetime(2026, 12, 7, 7, 40), "desk-1", "k2")
        with pytest.raises(IdempotencyMismatch):
            store.report({"vehicle_id": "c03"}, datetime(2026, 12, 7, 7, 40), "desk-1", "k2")
        assert store.integrity_problems() == []


def test_a_key_recorded_before_the_fingerprint_existed_still_replays(store_url):
    """A database at migration 0003 (keys without fingerprints) is migrated; its keys keep working."""
    engine = create_store_engine(store_url)
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
            command.upgrade(_alembic_config(connection), "0003")
            connection.execute(text("UPDATE counters SET value = value + 1 WHERE name = 'incident_number'"))
            values = {"at": datetime(2026, 12, 7, 7, 40), "report": json.dumps({"vehicle_id": "c01"})}
            connection.execute(
                text(
                    "INSERT INTO incidents (number, idempotency_key, reported_at, report, recorded_at, recorded_by)"
                    " VALUES (1, 'old-key', :at, :report, :at, 'desk-1')"
                ),
                values,
            )
            connection.execute(
                text(
                    "INSERT INTO entries (incident_number, kind, at, actor, payload)"
                    " VALUES (1, 'report', :at, 'desk-1', :report)"
                ),
                values,
            )
    finally:
        engine.dispose()
    with open_store(store_url) as store:
        record, created = store.report({"vehicle_id": "c09"}, datetime(2026, 12, 8, 9, 0), "desk-2", "old-key", {})
        assert (record.number, created) == (1, False)
        assert store.integrity_problems() == []


# --------------------------------------------------------------------------- item 8: no 500s
@pytest.mark.parametrize(
    "path, body, role, field",
    [
        ("/incidents", report_body(passengers="NaN"), "dispatcher", "passengers"),
        ("/incidents", report_body(passengers="Infinity"), "dispatcher", "passengers"),
        ("/incidents", report_body(passengers="1e400"), "dispatcher", "passengers"),
        ("/incidents", report_body(passengers="-Infinity"), "dispatcher", "passengers"),
        ("/incidents", report_body(location='"\\ud800"'), "dispatcher", "location"),
        ("/incidents", report_body(vehicle_id='"c0\\udfff"'), "dispatcher", "vehicle_id"),
        ("/incidents/1/accept", '{"rank": 1e400}', "dispatcher", "rank"),
        ("/incidents/1/accept", '{"rank": Infinity}', "dispatcher", "rank"),
        ("/incidents/1/accept", '{"rank": NaN}', "dispatcher", "rank"),
        ("/whatif/jobs", json.dumps(WHAT_IF).replace('"reps": 1', '"reps": Infinity'), "planner", "reps"),
        ("/whatif/jobs", json.dumps(WHAT_IF).replace('"reps": 1', '"reps": 1e400'), "planner", "reps"),
        ("/closures", '{"kind": "entrance", "target": "\\ud800"}', "dispatcher", "target"),
        ("/closures", '{"kind": "entrance", "target": "x", "\\ud800": 1}', "dispatcher", "body"),  # a key
    ],
)
def test_values_json_cannot_echo_are_a_422_naming_the_field(desk_served, path, body, role, field):
    response = raw_post(desk_served, path, body, role)
    assert response.status_code == 422, response.text
    assert strict_json(response)["detail"][0]["loc"][-1] == field
    assert desk_served.numbers() == []


@pytest.mark.parametrize("time", ["9999-12-31T23:59", "9999-12-28T00:00", "0001-01-01T00:00"])
def test_a_time_at_the_edge_of_the_calendar_is_a_400_naming_time(desk_served, time):
    response = desk_served.report(time=time)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("time:")
    assert desk_served.numbers() == []


def test_an_unreadable_body_is_a_400_naming_the_body(desk):
    for body in (b'{"passengers": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000):
        response = desk.client.post(
            "/incidents", content=body, headers={**desk.headers(), "Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), response.text
        assert strict_json(response)["detail"]


# --------------------------------------------------------------------------- item 14: schema = behaviour
def test_integral_numbers_are_whole_numbers_as_the_schema_says(desk):
    response = raw_post(desk, "/incidents", report_body(passengers="42.0", alternatives="2.0"))
    assert response.status_code == 201, response.text
    incident = response.json()
    assert incident["report"]["passengers"] == 42 and incident["report"]["alternatives"] == 2
    accepted = raw_post(desk, f"/incidents/{incident['number']}/accept", '{"rank": 1.0}')
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["accepted"]["rank"] == 1


@pytest.mark.parametrize("raw", ["2.5", "true", '"42"', "1e2", "-0.5"])
def test_other_numbers_are_still_refused_naming_the_field(desk, raw):
    response = raw_post(desk, "/incidents", report_body(passengers=raw))
    assert response.status_code in (400, 422), response.text
    detail = response.json()["detail"]
    assert (detail[0]["loc"][-1] if isinstance(detail, list) else detail.partition(":")[0]) == "passengers"


def test_an_empty_on_scene_time_is_now_like_no_time_as_the_schema_says(desk):
    at = desk.client.get("/openapi.json").json()["components"]["schemas"]["OnSceneIn"]["properties"]["at"]
    assert re.search(at["anyOf"][0]["pattern"], "") and not re.search(at["anyOf"][0]["pattern"], " ")
    # yesterday mid-morning: at any hour the test runs, every plan's coach is long on scene by now (two
    # hours back from a night-time run lands before the 02:00–05:00 stop, whose plans arrive after now)
    reported = (china_now() - timedelta(days=1)).replace(hour=10, minute=0).strftime("%Y-%m-%dT%H:%M")
    answers = []
    for vehicle, body in (("c01", {}), ("c02", {"at": ""})):
        number = desk.report(vehicle_id=vehicle, time=reported).json()["number"]
        desk.post(f"/incidents/{number}/accept", {"rank": 1})
        response = desk.post(f"/incidents/{number}/on-scene", body)
        answers.append((response.status_code, response.json().get("on_scene_at", "")[:13]))
    assert answers[0] == answers[1] and answers[0][0] != 422


@pytest.mark.parametrize(
    "body, field",
    [
        ({**WHAT_IF, "start": "1999-12-31"}, "start"),
        ({**WHAT_IF, "end": "2101-01-01"}, "end"),
        ({**WHAT_IF, "start": "2026-12-01T00:00"}, "start"),  # pydantic alone takes it for a day
        ({**WHAT_IF, "reps": 2.5}, "reps"),
        ({**WHAT_IF, "reps": True}, "reps"),
    ],
)
def test_what_if_days_and_numbers_outside_the_schema_are_refused(desk, body, field):
    response = desk.post("/whatif/jobs", body, role="planner")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field


def test_the_document_lists_the_ids_the_data_fixes(desk):
    schemas = desk.client.get("/openapi.json").json()["components"]["schemas"]
    fleet = desk.get("/fleet").json()
    assert set(schemas["IncidentIn"]["properties"]["vehicle_id"]["enum"]) == {v["id"] for v in fleet} | {
        v["plate"] for v in fleet
    }
    assert "clear" in schemas["IncidentIn"]["properties"]["conditions"]["enum"]
    entrance, edge = schemas["ClosureIn"]["oneOf"]
    assert "*" in entrance["properties"]["target"]["enum"]
    assert all("->" in target for target in edge["properties"]["target"]["enum"])
    sites = schemas["WhatIfJobIn"]["properties"]["backups"]["propertyNames"]["enum"]
    assert {"siping_depot", "changchun_depot"} <= set(sites)
    assert schemas["WhatIfJobIn"]["properties"]["calendar"]["enum"] == ["clear", "winter", "winter-open"]


def test_every_listed_closure_target_is_accepted(desk):
    schemas = desk.client.get("/openapi.json").json()["components"]["schemas"]
    for branch in schemas["ClosureIn"]["oneOf"]:
        kind = branch["properties"]["kind"]["const"]
        for target in branch["properties"]["target"]["enum"][:5]:
            response = desk.post("/closures", {"kind": kind, "target": target})
            assert response.status_code == 201, response.text
            assert desk.client.delete(f"/closures/{response.json()['id']}", headers=desk.headers()).status_code == 204


@pytest.mark.parametrize(
    "path, allow",
    [
        ("/incidents", "GET, OPTIONS, POST"),
        ("/incidents/1", "GET, OPTIONS"),
        ("/closures", "GET, OPTIONS, POST"),
        ("/closures/1", "DELETE, OPTIONS"),
        ("/whatif/jobs", "GET, OPTIONS, POST"),
    ],
)
def test_options_and_unsupported_methods_name_every_method_of_the_path(desk, path, allow):
    options = desk.client.options(path, headers=desk.headers())
    assert (options.status_code, options.headers["allow"]) == (204, allow)
    put = desk.client.put(path, headers=desk.headers())
    assert (put.status_code, put.headers["allow"]) == (405, allow)
    assert put.json()["detail"].startswith("method:")


# --------------------------------------------------------------------------- the patterns say what is parsed
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(LOCAL_MINUTE, fullmatch=True))
def test_every_time_the_schema_allows_is_parsed(text_):
    assert parse_local_minute(text_, "time").isoformat(timespec="minutes") == text_


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789-T: ", max_size=18))
def test_what_the_schema_refuses_the_desk_refuses(text_):
    if re.fullmatch(LOCAL_MINUTE[1:-1], text_) or text_.strip() != text_:  # the desk strips blanks
        return
    with pytest.raises(InvalidValueError) as raised:
        parse_local_minute(text_, "time")
    assert raised.value.field == "time"


def test_the_day_patterns_match_the_calendar():
    assert re.fullmatch(CALENDAR_DAY[1:-1], "2024-02-29") and not re.fullmatch(CALENDAR_DAY[1:-1], "2026-02-29")
    assert not re.fullmatch(CALENDAR_DAY[1:-1], "0000-01-01") and not re.fullmatch(CALENDAR_DAY[1:-1], "２０２６-01-01")
    assert re.fullmatch(DAY_PATTERN[1:-1], "2000-02-29") and not re.fullmatch(DAY_PATTERN[1:-1], "2100-02-29")
    assert not re.fullmatch(DAY_PATTERN[1:-1], "1999-12-31") and re.fullmatch(DAY_PATTERN[1:-1], "2100-12-31")
    assert re.fullmatch(LOCAL_MINUTE_OR_NOW[1:-1], "") and re.fullmatch(LOCAL_MINUTE_OR_NOW[1:-1], "2026-12-07T23:59")
