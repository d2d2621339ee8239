"""GET/POST /closures and DELETE /closures/{id}: validated targets, lifting recorded, used by dispatch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import func, select

from api.operations_log import AlreadyClosed, ClosureKind, OperationsLog, closure_lifts, closures, log_engine
from api.records import open_store

from tests.api.http_support import running_desk, sqlite_url


@pytest.fixture
def desk(tmp_path):
    with running_desk(sqlite_url(tmp_path)) as running:
        yield running


def count(desk, table) -> int:
    with desk.client.app.state.log.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


def test_an_entrance_closure_is_listed_with_who_and_when(desk):
    response = desk.post("/closures", {"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice"})
    assert response.status_code == 201
    closure = response.json()
    assert closure["target"] == "gongzhuling_ic" and closure["created_by"] == "dispatcher-user"
    assert len(closure["created_at"]) == len("2026-12-07T07:40")
    assert desk.get("/closures").json() == [closure]


def test_all_entrances_and_an_edge_can_be_closed(desk):
    edge = next(f for f in desk.get("/network").json()["features"] if f["geometry"]["type"] == "LineString")
    target = f"{edge['properties']['from']}->{edge['properties']['to']}"
    assert target == edge["id"]  # the desk can close an edge by its GeoJSON id
    assert desk.post("/closures", {"kind": "entrance", "target": "*", "reason": "blizzard"}).status_code == 201
    assert desk.post("/closures", {"kind": "edge", "target": target, "reason": "crash"}).status_code == 201
    assert {c["target"] for c in desk.get("/closures").json()} == {"*", target}


@pytest.mark.parametrize(
    "body, words",
    [
        ({"kind": "entrance", "target": "nowhere_ic"}, ["target:", "nowhere_ic", "gongzhuling_ic"]),
        ({"kind": "entrance", "target": "siping_depot"}, ["target:", "siping_depot"]),
        ({"kind": "edge", "target": "siping_depot->changchun_depot"}, ["target:", "siping_depot"]),
        ({"kind": "edge", "target": "siping_depot"}, ["target:", "u->v"]),
    ],
)
def test_an_unknown_target_is_400_naming_it_and_nothing_is_recorded(desk, body, words):
    response = desk.post("/closures", body)
    assert response.status_code == 400
    for word in words:
        assert word in response.json()["detail"]
    assert count(desk, closures) == 0


def test_lifting_is_recorded_and_the_closure_kept(desk):
    closure = desk.post("/closures", {"kind": "entrance", "target": "fanjiatun_ic"}).json()
    response = desk.client.delete(f"/closures/{closure['id']}", headers=desk.headers())
    assert response.status_code == 204 and response.content == b""
    assert desk.get("/closures").json() == []
    assert count(desk, closures) == 1 and count(desk, closure_lifts) == 1
    again = desk.client.delete(f"/closures/{closure['id']}", headers=desk.headers())
    assert again.status_code == 404 and again.json()["detail"].startswith("closure_id:")


@pytest.mark.parametrize("role, status", [("viewer", 403), ("planner", 403), ("admin", 201)])
def test_closing_needs_the_dispatcher_role(desk, role, status):
    response = desk.post("/closures", {"kind": "entrance", "target": "wulipo_ic"}, role=role)
    assert response.status_code == status


def test_lifting_needs_a_token_and_the_dispatcher_role(desk):
    closure = desk.post("/closures", {"kind": "entrance", "target": "wulipo_ic"}).json()
    assert desk.client.delete(f"/closures/{closure['id']}").status_code == 401
    assert desk.client.delete(f"/closures/{closure['id']}", headers=desk.headers("viewer")).status_code == 403
    assert len(desk.get("/closures").json()) == 1


def test_closing_every_entrance_cuts_the_scene_off_in_later_dispatches(desk):
    open_road = desk.report().json()["options"]
    assert open_road["plans"][0]["assignments"]
    desk.post("/closures", {"kind": "entrance", "target": "*", "reason": "blizzard"})
    closed = desk.report(vehicle_id="c02").json()["options"]
    assert closed["inputs"]["conditions"]["closed_entrances"] == ["*"]
    assert closed["status"] == "infeasible"
    assert "closure_exemption" in {r["kind"] for r in closed["relaxations"]}
    assert any(r["code"] == "unreachable" for r in closed["rejected"])


@pytest.mark.parametrize(
    "kind, first, again",
    [("entrance", "gongzhuling_ic", "gongzhuling_ic"), ("entrance", "*", " * "), ("edge", "EDGE", "EDGE_SPACED")],
)
def test_closing_a_road_closed_already_is_409_naming_it_and_nothing_is_recorded(desk, kind, first, again):
    """A second closure of one road would keep it closed after the dispatcher lifts the first."""
    edge = next(f for f in desk.get("/network").json()["features"] if f["geometry"]["type"] == "LineString")
    u, v = edge["properties"]["from"], edge["properties"]["to"]
    targets = {"EDGE": f"{u}->{v}", "EDGE_SPACED": f" {u} -> {v} "}
    created = desk.post("/closures", {"kind": kind, "target": targets.get(first, first), "reason": "ice"})
    assert created.status_code == 201, created.text
    refused = desk.post("/closures", {"kind": kind, "target": targets.get(again, again), "reason": "snow"})
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert detail.startswith("target:") and f"closure {created.json()['id']}" in detail and "ice" in detail
    assert count(desk, closures) == 1 and desk.get("/closures").json() == [created.json()]


def test_a_lifted_road_can_be_closed_again_and_another_target_beside_it(desk):
    first = desk.post("/closures", {"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice"}).json()
    assert desk.post("/closures", {"kind": "entrance", "target": "*", "reason": "blizzard"}).status_code == 201
    assert desk.client.delete(f"/closures/{first['id']}", headers=desk.headers()).status_code == 204
    again = desk.post("/closures", {"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice again"})
    assert again.status_code == 201
    assert {c["target"] for c in desk.get("/closures").json()} == {"*", "gongzhuling_ic"}


def test_desks_closing_one_road_at_once_record_one_closure(store_url):
    """Eight desks close the same entrance at once: one closure is recorded, the others are refused
    (SQLite and PostgreSQL)."""
    open_store(store_url).close()  # migrated
    log = OperationsLog(log_engine(store_url))
    at = datetime(2026, 12, 10, 14, 0)

    def one_desk(k: int) -> str:
        try:
            log.close(ClosureKind.ENTRANCE, "gongzhuling_ic", "ice", at, f"desk-{k}")
        except AlreadyClosed:
            return "refused"
        return "recorded"

    try:
        with ThreadPoolExecutor(8) as pool:
            outcomes = sorted(pool.map(one_desk, range(8)))
        assert outcomes == ["recorded"] + ["refused"] * 7
        assert [c.created_by.startswith("desk-") for c in log.active_closures()] == [True]
    finally:
        log.close_engine()
