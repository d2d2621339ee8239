"""``GET /events`` on a real ``fleetplan serve`` (issue 17): the desk's topics pushed as server-sent events.

A connection starts with the full state; then a fix, a report and a closure made through the API each
arrive as an event of their topic without any request from the listener. The stream needs a token of a
role that may view (not a feed's), and names what it sends in its hello.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import create_engine

from fleetplan.units import china_now

from api.hardening import content_security_policy, tile_sources
from api.push import Marks, read_marks
from api.records.sql import open_store

from tests.api.http_support import DeskClient, served_desk, sqlite_url

FIRST = ["hello", "incidents", "alerts", "closures", "fleet", "positions"]
EVENT_WAIT_S = 15.0  # bounds a failure only: events come within a look (0.25 s) of the change


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> Iterator[DeskClient]:
    state = tmp_path_factory.mktemp("events")
    with served_desk(
        sqlite_url(state),
        state,
        detect_every_s=0,
        tile_url="https://{s}.tiles.example.cn/{z}/{x}/{y}.png",
        tile_crs="gcj02",
    ) as running:
        yield running


class Listener:
    """Reads one event stream as the desk does; ``next(name)`` waits for the next event of that name."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def event(self) -> tuple[str, object]:
        name, data = "message", []
        for line in self.lines:
            if line == "":
                if data:
                    return name, json.loads("\n".join(data))
                continue
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        raise AssertionError("the stream ended")

    def next(self, name: str, matching=lambda data: True) -> object:
        deadline = time.monotonic() + EVENT_WAIT_S
        while time.monotonic() < deadline:  # bounded: each read also times out (the client's timeout)
            found, data = self.event()
            if found == name and matching(data):
                return data
        raise AssertionError(f"no {name} event within {EVENT_WAIT_S} s")


def listen(desk: DeskClient, role: str = "viewer"):
    return desk.client.stream("GET", "/events", headers=desk.headers(role), timeout=EVENT_WAIT_S)


def test_a_listener_gets_the_full_state_first(desk):
    with listen(desk) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        listener = Listener(response)
        events = [listener.event() for _ in FIRST]
    assert [name for name, _ in events] == FIRST
    hello = dict(events)["hello"]
    assert hello["fresh_s"] == 120 and hello["escalate_after_s"] == 120 and hello["speedup"] == 1
    assert hello["tiles"] == {"url": "https://{s}.tiles.example.cn/{z}/{x}/{y}.png", "crs": "gcj02", "attribution": ""}
    assert {v["id"] for v in dict(events)["fleet"]} == {v["id"] for v in desk.get("/fleet").json()}
    assert dict(events)["positions"]["full"] is True


def test_a_fix_a_report_and_a_closure_are_pushed_as_they_happen(desk):
    with listen(desk) as response:
        listener = Listener(response)
        for _ in FIRST:
            listener.event()
        at = (china_now() - timedelta(seconds=5)).replace(microsecond=0).isoformat()
        fix = {"vehicle_id": "c07", "lat": 43.4917, "lon": 124.8428, "at": at, "speed_kmh": 72, "heading_deg": 41}
        assert desk.post("/positions", [fix], role="feed").json()["stored"] == 1
        moved = listener.next("positions", lambda d: any(r["vehicle_id"] == "c07" for r in d["rows"]))
        assert moved["full"] is False
        row = next(r for r in moved["rows"] if r["vehicle_id"] == "c07")
        assert (row["at"], row["plate"], row["place"]["text"]) == (at, plate(desk, "c07"), "G1 K56.7 toward Changchun")

        reported = desk.report().json()
        first = listener.next("incidents", lambda d: any(i["number"] == reported["number"] for i in d))
        assert next(i for i in first if i["number"] == reported["number"])["status"] in {"reported", "options"}
        # recorded first (no options yet: feasibility null), then again once its options are in
        planned = lambda d: any(i["number"] == reported["number"] and i["feasibility"] for i in d)  # noqa: E731
        listed = first if planned(first) else listener.next("incidents", planned)
        mine = next(i for i in listed if i["number"] == reported["number"])
        assert "options" not in mine and mine["feasibility"] in {"ok", "late", "none"}

        closure = desk.post("/closures", {"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice"}).json()
        closures = listener.next("closures", lambda d: any(c["id"] == closure["id"] for c in d))
        assert closures[0]["target"] == "gongzhuling_ic"
        desk.client.delete(f"/closures/{closure['id']}", headers=desk.headers())
        assert listener.next("closures", lambda d: d == []) == []


def test_the_stream_needs_a_viewer(desk):
    assert desk.client.get("/events").status_code == 401
    with listen(desk, role="feed") as response:
        assert response.status_code == 403


def plate(desk: DeskClient, vehicle_id: str) -> str:
    return next(v["plate"] for v in desk.get("/fleet").json() if v["id"] == vehicle_id)


def test_change_marks_move_with_each_topic(tmp_path):
    url = sqlite_url(tmp_path)
    store = open_store(url)  # migrated
    engine = create_engine(url)
    empty = read_marks(engine)
    assert empty.changed(None) == ["incidents", "alerts", "closures", "fleet"]
    assert empty.changed(empty) == []
    assert Marks((1,), (0, 0), (0, 0), (0, 0, 0, 1)).changed(empty) == ["incidents", "fleet"]
    store.close()
    engine.dispose()


def test_a_basemap_host_is_allowed_for_images_only():
    assert tile_sources("https://{s}.tile.example.org/{z}/{x}/{y}.png") == ("https://*.tile.example.org",)
    assert tile_sources(None) == ()
    policy = content_security_policy(tile_sources("https://tiles.example.cn/{z}/{x}/{y}.png"))
    assert "img-src 'self' data: https://tiles.example.cn;" in policy
    assert "connect-src 'self';" in policy and "script-src 'self';" in policy
