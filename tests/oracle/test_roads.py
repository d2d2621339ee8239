"""The oracle's graph, closures, time-dependent Dijkstra, road distances and locating, on the toy
corridor of :mod:`tests.oracle.worlds` (numbers worked by hand) and on the default data."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import pytest

from fleetplan.errors import InvalidValueError, LocationError
from fleetplan.oracle import read_world
from fleetplan.oracle.paths import Router, road_distance_m
from fleetplan.oracle.places import CARRIAGEWAY_OFFSET_M, locate
from fleetplan.oracle.roads import build_graph
from fleetplan.oracle.speed import to_s
from fleetplan.oracle.world import CLEAR, Preset, RoadRow

from tests.oracle.worlds import ROADS, toy_world

DATA = Path(__file__).parents[2] / "data" / "default"
ELEVEN = to_s(datetime(2026, 12, 7, 11, 0))


@pytest.fixture(scope="module")
def graph():
    return build_graph(toy_world())


def route(graph, origin, destination, t0=ELEVEN, preset=CLEAR):
    router = Router(graph, preset, toy_world().policy)
    return router.fastest(locate(graph, origin), locate(graph, destination), t0)


# --------------------------------------------------------------------------- the graph
def test_ramps_only_at_interchanges_and_parkings_at_service_areas(graph):
    ramps = {(e.start, e.end) for e in graph.edges if e.road_class == "ramp"}
    assert ("a_ic", "a_ic.to_changchun") in ramps and ("b_ic.to_siping", "b_ic") in ramps
    assert ("s_sa.to_changchun", "s_sa") not in ramps  # no turning at a service area
    assert ("s_sa.to_changchun", "s_sa.to_changchun.parking") in ramps
    assert ("s_sa.to_changchun.parking", "s_sa.to_changchun") in ramps
    assert ("s_sa", "s_sa.to_siping") in ramps  # the staff road onto either side
    assert not any(e.end == "s_sa" for e in graph.edges)  # arrivals use the parkings


def test_carriageways_are_chained_by_kilometre_post(graph):
    north = graph.edge("a_ic.to_changchun", "s_sa.to_changchun")
    south = graph.edge("b_ic.to_siping", "s_sa.to_siping")
    assert north is not None and north.length_m == 10_000 and north.speed_kmh == 90
    assert south is not None and south.length_m == 10_000
    assert graph.edge("s_sa.to_changchun", "a_ic.to_changchun") is None


def test_a_carriageway_below_the_expressway_minimum_is_a_data_error():
    world = toy_world()
    slow = replace(world, expressway=replace(world.expressway, carriageway_speed_kmh=Fraction(55)))
    with pytest.raises(InvalidValueError):
        build_graph(slow)


# --------------------------------------------------------------------------- time-dependent Dijkstra
def test_x_to_k5_toward_changchun_by_day(graph):
    # street 1000 m at 60 × 0.85 = 51 km/h: 70.6 → 71 s; on-ramp 800 m at 30: 96 s; 5 km at 90: 200 s
    found = route(graph, "x", "G1 K5 toward Changchun")
    assert found.seconds == 71 + 96 + 200
    assert found.length_m == 6800


def test_each_edge_is_priced_when_the_coach_enters_it(graph):
    # a_ic.to_changchun → b_ic.to_changchun from 21:55: the first 10 km take 413 s (see test_speed), the
    # second 10 km are entered at 22:01:53 and run at 80 km/h: 450 s
    t0 = to_s(datetime(2026, 12, 7, 21, 55))
    assert route(graph, "a_ic.to_changchun", "b_ic.to_changchun", t0).seconds == 413 + 450


def test_k5_toward_siping_is_reached_by_turning_at_the_next_interchange(graph):
    # x → a_ic → north 20 km → off at b_ic → on toward Siping → 15 km south to K5
    assert road_distance_m(graph, "x", locate(graph, "G1 K5 toward Siping")) == 1000 + 800 + 20_000 + 800 + 800 + 15_000


def test_a_service_area_is_left_by_its_staff_road_and_reached_at_a_parking(graph):
    assert road_distance_m(graph, "s_sa", locate(graph, "x")) == 300 + 10_000 + 800 + 1000
    assert road_distance_m(graph, "x", locate(graph, "s_sa")) == 1000 + 800 + 10_000 + 300


def test_equal_times_go_to_the_shorter_way():
    # p → q direct: 1000 m at 36 km/h = 100 s; p → r → q: 500 m at 36 (50 s) + 600 m at 43.2 (50 s)
    roads = (
        *ROADS,
        RoadRow("p", "q", "national", 1000, Fraction(36), True, "direct"),
        RoadRow("p", "r", "national", 500, Fraction(36), True, "via r"),
        RoadRow("r", "q", "national", 600, Fraction("43.2"), True, "via r"),
    )
    graph = build_graph(toy_world(roads))
    found = route(graph, "p", "q")
    assert (found.seconds, found.length_m) == (100, 1000)


def test_the_same_place_takes_no_time(graph):
    assert route(graph, "x", "x").seconds == 0


# --------------------------------------------------------------------------- closures (§3)
def test_closed_entrances_keep_coaches_off_g1_but_one_on_it_drives_on(graph):
    closed = Preset("closed", closed_entrances=frozenset({"*"}))
    assert route(graph, "x", "G1 K5 toward Changchun", preset=closed) is None
    # K2 → b_ic (18 km at 90: 720 s) → off-ramp (96 s) → y (2000 m at 80: 90 s)
    assert route(graph, "G1 K2 toward Changchun", "y", preset=closed).seconds == 720 + 96 + 90


def test_a_closed_staff_road_keeps_a_staged_coach_at_the_service_area(graph):
    assert route(graph, "s_sa", "x", preset=Preset("shut", closed_entrances=frozenset({"s_sa"}))) is None


def test_a_closed_edge_is_not_driven_but_a_coach_on_it_drives_off(graph):
    closed = Preset("cut", closed_edges=frozenset({("a_ic.to_changchun", "s_sa.to_changchun")}))
    assert route(graph, "x", "G1 K5 toward Changchun", preset=closed) is None
    assert route(graph, "G1 K5 toward Changchun", "y", preset=closed) is not None


def test_dense_fog_no_coach_enters_and_one_on_it_leaves_at_the_next_exit(graph):
    fog = Preset("fog", weather=(("expressway", "fog_50"),))
    assert route(graph, "x", "G1 K5 toward Changchun", preset=fog) is None
    # from K2 it may pass the service area and must leave at b_ic: 18 km at 20 km/h = 3240 s
    assert route(graph, "G1 K2 toward Changchun", "b_ic", preset=fog).seconds == 3240 + 96
    # at the interchange post it may not drive on past it
    assert route(graph, "a_ic.to_changchun", "y", preset=fog) is None
    # a coach in a service-area parking is on G1: it drives on to the next interchange (300 m slip at
    # 40 km/h = 27 s, 10 km at 20 km/h = 1800 s, off-ramp 96 s); one staged at the service area stays
    assert route(graph, "s_sa.to_changchun.parking", "b_ic", preset=fog).seconds == 27 + 1800 + 96
    assert route(graph, "s_sa", "b_ic", preset=fog) is None


# --------------------------------------------------------------------------- locating (§4)
def test_km_posts_lie_on_their_own_carriageway(graph):
    north = locate(graph, "G1 K5+300 toward Changchun")
    south = locate(graph, "g1 k5.3 toward siping")
    assert north.points[0].edge.start == "a_ic.to_changchun" and north.points[0].offset_m == 5300
    assert south.points[0].edge.start == "s_sa.to_siping" and south.points[0].offset_m == 4700
    assert locate(graph, "G1 K10 toward Siping").node == "s_sa.to_siping"


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("G1 K5+300 往长春方向", "G1 K5+300 toward Changchun"),
        ("G1 京哈高速 K5＋300 向四平", "G1 K5+300 toward Siping"),
        ("Ｋ１０ 开往四平方向", "K10 toward Siping"),
        ("43.045,124.0 往四平", "43.045,124.0 toward Siping"),
    ],
)
def test_a_place_written_in_chinese_is_the_place_written_in_english(graph, chinese, english):
    assert locate(graph, chinese).key == locate(graph, english).key


def test_a_point_on_the_centre_line_of_g1_is_ambiguous_but_one_beside_it_is_not(graph):
    centre = locate(graph, "43.045,124.0")
    assert centre.side_ambiguous and centre.other_side
    east = 124.0 + CARRIAGEWAY_OFFSET_M / (111_195 * 0.7314)  # 15 m east: on the northbound carriageway
    beside = locate(graph, f"43.045,{east:.7f}")
    assert not beside.side_ambiguous and beside.points[0].edge.direction == "to_changchun"
    given = locate(graph, "43.045,124.0 toward Siping")
    assert not given.side_ambiguous and given.points[0].edge.direction == "to_siping"


def test_a_point_on_a_two_way_road_lies_on_both_directions(graph):
    place = locate(graph, "42.9975,124.0")  # half way along the x street
    assert {(p.edge.start, p.edge.end) for p in place.points} == {("x", "a_ic"), ("a_ic", "x")}


@pytest.mark.parametrize("text", ["nowhere", "G1 K25 toward Changchun", "K5", "10.0,10.0", "G1 K5 往北京方向"])
def test_what_cannot_be_located_is_said(graph, text):
    with pytest.raises(LocationError):
        locate(graph, text)


# --------------------------------------------------------------------------- the default data
def test_the_default_corridor_depot_to_depot_takes_80_to_130_min_by_day():
    world = read_world(DATA)
    graph = build_graph(world)
    found = Router(graph, world.preset("clear"), world.policy).fastest(
        locate(graph, "siping_depot"), locate(graph, "changchun_depot"), ELEVEN
    )
    assert 80 * 60 <= found.seconds <= 130 * 60
    assert any(edge.name == "G1" for edge, _, _ in found.legs)


def test_without_expressway_toml_the_world_model_constants_are_used_and_said(tmp_path):
    from fleetplan.oracle.reading import read_expressway

    found, notes = read_expressway(tmp_path)
    assert (found.carriageway_speed_kmh, found.ramp_length_m, found.staff_road_speed_kmh) == (90, 800, 20)
    assert len(notes) == 8 and found.source == "world-model defaults"
    (tmp_path / "expressway.toml").write_text("carriageway_speed_kmh = 85.5\n", encoding="utf-8")
    found, notes = read_expressway(tmp_path)
    assert found.carriageway_speed_kmh == Fraction(171, 2) and len(notes) == 7
