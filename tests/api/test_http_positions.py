"""Coach positions in over JSON and out with their place on the network (issue 16 §1), against a real
``fleetplan serve`` on SQLite and on PostgreSQL.

Places on G1 are checked against the kilometre posts of the network's own tables: K56.7 lies between
Gongzhuling and Fanjiatun, where the carriageway toward Changchun runs north-east (bearing ≈ 42°).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetplan.units import china_now

ON_G1 = {"lat": 43.4917, "lon": 124.8428}  # G1 at about K56.7
SOUTH_WEST_OF_IT = {"lat": 43.4817, "lon": 124.8328}  # ≈1.4 km back toward Siping along G1
SIPING_DEPOT = {"lat": 43.1457, "lon": 124.3448}


def moment(seconds_ago: float = 0) -> str:
    return (china_now() - timedelta(seconds=seconds_ago)).isoformat(timespec="seconds")


def post(desk, fixes, role="feed"):
    return desk.post("/positions", fixes, role=role)


def latest(desk) -> dict[str, dict]:
    response = desk.get("/positions")
    assert response.status_code == 200, response.text
    return {row["vehicle_id"]: row for row in response.json()}


def test_a_fix_on_g1_is_placed_on_the_carriageway_its_heading_names(desk_served):
    fixes = [
        {"vehicle_id": "c01", **ON_G1, "at": moment(5), "speed_kmh": 92.5, "heading_deg": 41},
        {"vehicle_id": "c02", **ON_G1, "at": moment(5), "speed_kmh": 88.0, "heading_deg": 222},
        {"plate": "吉A·X0887", **SIPING_DEPOT, "at": moment(20), "speed_kmh": 0},  # c01's plate: an older fix
    ]
    response = post(desk_served, fixes)
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 3, "rejected": []}

    rows = latest(desk_served)

    assert set(rows) == {"c01", "c02"}
    assert rows["c01"]["place"] | {"off_road_m": None} == {
        "text": "G1 K56.7 toward Changchun",
        "node_id": None,
        "km": pytest.approx(56.7, abs=0.05),
        "direction": "to_changchun",
        "side_from": "heading",
        "off_road_m": None,
    }
    assert rows["c02"]["place"]["text"] == "G1 K56.7 toward Siping"
    assert rows["c01"]["plate"] == "吉A·X0887" and rows["c01"]["speed_kmh"] == 92.5  # the newer fix wins
    assert not rows["c01"]["stale"] and 0 <= rows["c01"]["age_s"] < 120


def test_without_a_heading_two_fixes_tell_the_side_and_one_is_an_assumption_said_so(desk_served):
    alone = {"vehicle_id": "c03", **ON_G1, "at": moment(10)}
    assert post(desk_served, [alone]).status_code == 200
    assert latest(desk_served)["c03"]["place"]["side_from"] == "nearest"

    # 60 s earlier it was 1.4 km back toward Siping: it drives toward Changchun
    assert post(desk_served, [{"vehicle_id": "c04", **SOUTH_WEST_OF_IT, "at": moment(70)}]).status_code == 200
    assert post(desk_served, [{"vehicle_id": "c04", **ON_G1, "at": moment(10)}]).status_code == 200
    place = latest(desk_served)["c04"]["place"]
    assert (place["direction"], place["side_from"]) == ("to_changchun", "fixes")
    # the other way round: toward Siping
    assert post(desk_served, [{"vehicle_id": "c05", **ON_G1, "at": moment(70)}]).status_code == 200
    assert post(desk_served, [{"vehicle_id": "c05", **SOUTH_WEST_OF_IT, "at": moment(10)}]).status_code == 200
    assert latest(desk_served)["c05"]["place"]["direction"] == "to_siping"


def test_positions_of_chosen_coaches_only(desk_served):
    fixes = [{"vehicle_id": coach, **ON_G1, "at": moment(5), "speed_kmh": 80.0} for coach in ("c01", "c02", "c03")]
    assert post(desk_served, fixes).json()["stored"] == 3
    chosen = desk_served.get("/positions", params=[("vehicle_id", "c01"), ("vehicle_id", "c03")]).json()
    assert [row["vehicle_id"] for row in chosen] == ["c01", "c03"]
    unknown = desk_served.get("/positions", params=[("vehicle_id", "c01"), ("vehicle_id", "c99")])
    assert unknown.status_code == 400 and unknown.json()["detail"] == "vehicle_id: no coach c99"  # not "no fix"


def test_a_fix_at_a_depot_is_the_depot_and_an_old_one_is_stale(desk_served):
    assert post(desk_served, [{"vehicle_id": "c06", **SIPING_DEPOT, "at": moment(600)}]).status_code == 200
    row = latest(desk_served)["c06"]
    assert row["place"]["text"] == "siping_depot" and row["place"]["side_from"] is None
    assert row["stale"] and row["age_s"] >= 600


def test_an_aware_time_is_read_in_china_time(desk_served):
    utc = (datetime.now(UTC) - timedelta(seconds=30)).replace(microsecond=0)
    assert post(desk_served, [{"vehicle_id": "c07", **ON_G1, "at": utc.isoformat()}]).status_code == 200
    expected = (utc + timedelta(hours=8)).replace(tzinfo=None).isoformat(timespec="seconds")
    assert latest(desk_served)["c07"]["at"] == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vehicle_id": "c99"}, "vehicle_id"),
        ({"lat": 0.0, "lon": 0.0}, "lat"),
        ({"at": "1970-01-01T08:00:00"}, "at"),
        ({"at": "AHEAD"}, "at"),
    ],
    ids=["unknown coach", "no fix", "1970", "ahead of the clock"],
)
def test_a_fix_no_terminal_could_have_taken_is_rejected_naming_its_field_and_the_rest_stored(
    desk_served, change, field
):
    bad = {"vehicle_id": "c08", **ON_G1, "at": moment(5)} | change
    if bad["at"] == "AHEAD":
        bad["at"] = moment(-3600)
    good = {"vehicle_id": "c09", **ON_G1, "at": moment(5)}

    mixed = post(desk_served, [good, bad])
    assert mixed.status_code == 200, mixed.text
    assert mixed.json()["stored"] == 1
    (rejected,) = mixed.json()["rejected"]
    assert (rejected["index"], rejected["field"]) == (1, field) and rejected["detail"].startswith(f"[1].{field}: ")

    alone = post(desk_served, [bad])
    assert alone.status_code == 400 and alone.json()["detail"].startswith(f"[0].{field}: ")
    assert "c08" not in latest(desk_served)


@pytest.mark.parametrize(
    ("fix", "where"),
    [
        ({"lat": 91, "lon": 124.8}, "lat"),
        ({"lat": 43.4, "lon": 124.8, "speed_kmh": 500}, "speed_kmh"),
        ({"lat": 43.4, "lon": 124.8, "heading_deg": 360}, "heading_deg"),
    ],
)
def test_values_out_of_the_schema_are_a_422_naming_the_field(desk_served, fix, where):
    response = post(desk_served, [{"vehicle_id": "c01", "at": moment(5), **fix}])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == where


def test_a_fix_names_its_coach_once(desk_served):
    for names in ({}, {"vehicle_id": "c01", "plate": "吉A·X0887"}):
        response = post(desk_served, [{**names, **ON_G1, "at": moment(5)}])
        assert response.status_code == 400 and response.json()["detail"].startswith("[0].vehicle_id:")


def test_the_feed_role_posts_positions_and_reads_nothing(desk_served):
    assert post(desk_served, [], role="feed").json() == {"stored": 0, "rejected": []}
    for path in ("/positions", "/incidents", "/fleet", "/kpis"):
        assert desk_served.get(path, role="feed").status_code == 403, path
    assert desk_served.report(key="k").status_code == 201  # a dispatcher may report …
    assert desk_served.post("/incidents", {"vehicle_id": "c01"}, role="feed").status_code == 403  # … a feed may not
    for role in ("viewer", "dispatcher", "planner"):
        assert post(desk_served, [], role=role).status_code == 403, role
    assert post(desk_served, [], role="admin").status_code == 200


# --------------------------------------------------------------------------- GTFS-Realtime
def feed_message(*vehicles: dict, header_time: int | None = None, trip_update: bool = False) -> bytes:
    """A FeedMessage built with the GTFS-Realtime bindings, as an operator's feed would send it."""
    from google.transit import gtfs_realtime_pb2

    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    if header_time:
        feed.header.timestamp = header_time
    if trip_update:
        entity = feed.entity.add(id="tu")
        entity.trip_update.trip.trip_id = "T1207-01"
    for n, vehicle in enumerate(vehicles):
        entity = feed.entity.add(id=f"v{n}")
        position = entity.vehicle
        if "id" in vehicle:
            position.vehicle.id = vehicle["id"]
        if "label" in vehicle:
            position.vehicle.label = vehicle["label"]
        position.position.latitude, position.position.longitude = vehicle["lat"], vehicle["lon"]
        for name in ("speed", "bearing"):
            if name in vehicle:
                setattr(position.position, name, vehicle[name])
        if "timestamp" in vehicle:
            position.timestamp = vehicle["timestamp"]
    return feed.SerializeToString()


def post_feed(desk, body: bytes, role: str = "feed", content_type: str = "application/x-protobuf"):
    headers = {**desk.headers(role), "Content-Type": content_type}
    return desk.client.post("/positions/gtfs-rt", content=body, headers=headers)


def posix(seconds_ago: float) -> int:
    return int((datetime.now(UTC) - timedelta(seconds=seconds_ago)).timestamp())


def test_a_gtfs_rt_feed_s_vehicle_positions_are_stored_by_id_or_label(desk_served):
    body = feed_message(
        {"id": "c01", **ON_G1, "speed": 25.0, "bearing": 41.0, "timestamp": posix(5)},
        {"label": "吉A·X0887".replace("·", ""), **SIPING_DEPOT},  # c01's plate, no time of its own: older
        {"label": "c02", **ON_G1, "bearing": 222.0},  # a label that is a coach id is taken too
        header_time=posix(30),
        trip_update=True,
    )
    response = post_feed(desk_served, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": 3, "rejected": []}
    rows = latest(desk_served)
    assert rows["c01"]["speed_kmh"] == 90.0 and rows["c01"]["source"] == "gtfs-rt"
    assert rows["c01"]["place"]["text"] == "G1 K56.7 toward Changchun"
    assert rows["c02"]["place"]["text"] == "G1 K56.7 toward Siping"


def test_a_gtfs_rt_fix_that_cannot_be_taken_is_rejected_by_its_entity_index(desk_served):
    body = feed_message(
        {"id": "c03", **ON_G1, "timestamp": posix(5)},
        {"id": "c99", **ON_G1, "timestamp": posix(5)},
        {"id": "c04", **ON_G1},  # no time, and the header has none
        trip_update=True,
    )
    response = post_feed(desk_served, body)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [(2, "vehicle_id"), (3, "at")]


@pytest.mark.parametrize(
    ("body", "content_type", "code", "start"),
    [
        (b"\xff\xfe not protobuf", "application/x-protobuf", 400, "body: not a GTFS-Realtime FeedMessage"),
        (b"", "application/x-protobuf", 400, "body: not a GTFS-Realtime FeedMessage"),
        (b"{}", "application/json", 415, "Content-Type: application/json; send application/x-protobuf"),
        (b"\x00" * (4 * 1024 * 1024 + 1), "application/x-protobuf", 413, "body: more than 4,194,304 bytes"),
    ],
    ids=["garbage", "empty", "json", "too large"],
)
def test_a_body_that_is_not_a_feed_is_refused_naming_it(desk_served, body, content_type, code, start):
    response = post_feed(desk_served, body, content_type=content_type)
    assert response.status_code == code, response.text
    assert response.json()["detail"].startswith(start)


def test_only_a_feed_or_an_admin_posts_a_gtfs_rt_feed(desk_served):
    body = feed_message({"id": "c05", **ON_G1, "timestamp": posix(5)})
    assert post_feed(desk_served, body, role="dispatcher").status_code == 403
    assert post_feed(desk_served, body, role="admin").status_code == 200
