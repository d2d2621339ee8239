"""GET/POST /closures and DELETE /closures/{id}: validated targets, lifting recorded, used by dispatch."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.operations_log import closure_lifts, closures

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
