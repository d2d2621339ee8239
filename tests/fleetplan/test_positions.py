"""A fix and its place on the network (issue 16 §2): the carriageway from the heading, else from the
last two fixes, else the nearer one said to be an assumption; fixes no terminal could take refused."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetplan.errors import InvalidValueError
from fleetplan.geo import destination_point
from fleetplan.network import Direction, RoadNetwork, load_network
from fleetplan.positions import Position, SideFrom, carriageway_bearing, check_fix, place

NETWORK_DIR = Path(__file__).resolve().parents[2] / "data" / "default" / "network"
AT = datetime(2026, 12, 7, 8, 0)
ON_G1 = (43.4917, 124.8428)  # G1 at about K56.7


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_network(NETWORK_DIR)


def fix(lat=ON_G1[0], lon=ON_G1[1], *, heading=None, speed=80.0, at=AT) -> Position:
    return Position("c01", lat, lon, at, speed, heading)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ((math.nan, 124.0, None, None), "lat"),
        ((43.0, math.inf, None, None), "lon"),
        ((91.0, 124.0, None, None), "lat"),
        ((43.0, 181.0, None, None), "lon"),
        ((0.0, 0.0, None, None), "lat"),
        ((43.0, 124.0, -1.0, None), "speed_kmh"),
        ((43.0, 124.0, 250.0, None), "speed_kmh"),
        ((43.0, 124.0, None, 360.0), "heading_deg"),
    ],
)
def test_a_fix_no_terminal_could_take_is_refused_naming_the_field(values, field):
    with pytest.raises(InvalidValueError) as refused:
        check_fix(*values)
    assert refused.value.field == field


def test_the_heading_names_the_carriageway_whose_bearing_it_follows(network):
    bearings = {d: carriageway_bearing(network, fix(), d) for d in Direction}
    assert abs((bearings[Direction.TO_CHANGCHUN] - bearings[Direction.TO_SIPING]) % 360 - 180) < 5  # opposite
    for direction, bearing in bearings.items():
        for off in (-50, 0, 50):
            placement = place(network, fix(heading=(bearing + off) % 360))
            assert (placement.location.direction, placement.side_from) == (direction, SideFrom.HEADING)
            assert placement.text.startswith("G1 K56.") and placement.text.endswith(direction.label)


def test_a_heading_across_the_road_or_a_standing_coach_s_heading_says_nothing(network):
    across = (carriageway_bearing(network, fix(), Direction.TO_CHANGCHUN) + 90) % 360
    assert place(network, fix(heading=across)).side_from is SideFrom.NEAREST
    assert place(network, fix(heading=across - 90, speed=0.0)).side_from is SideFrom.NEAREST


@given(st.floats(100, 3000), st.sampled_from(list(Direction)))
def test_two_fixes_along_g1_tell_the_way_the_coach_goes(network, metres, direction):
    bearing = carriageway_bearing(network, fix(), direction)
    lat, lon = destination_point(*ON_G1, (bearing + 180) % 360, metres)  # where it was, behind
    earlier = fix(lat, lon, at=AT - timedelta(minutes=1))
    placement = place(network, fix(), earlier)
    assert (placement.location.direction, placement.side_from) == (direction, SideFrom.FIXES)


def test_fixes_a_few_metres_apart_are_noise_not_a_direction(network):
    lat, lon = destination_point(*ON_G1, 42, 5)
    assert place(network, fix(), fix(lat, lon, at=AT - timedelta(seconds=5))).side_from is SideFrom.NEAREST


def test_a_fix_at_a_depot_is_the_depot_node(network):
    placement = place(network, fix(43.1457, 124.3448, speed=0.0))
    assert (placement.text, placement.side_from, placement.location.node_id) == ("siping_depot", None, "siping_depot")


def test_a_fix_a_yard_s_width_from_a_depot_is_at_the_depot_and_farther_is_on_the_road(network):
    for metres, bearing in ((30, 0), (140, 90)):
        lat, lon = destination_point(43.1457, 124.3448, bearing, metres)
        assert place(network, fix(lat, lon, speed=0.0)).text == "siping_depot"
    lat, lon = destination_point(43.1457, 124.3448, 90, 600)
    assert place(network, fix(lat, lon, speed=0.0)).text != "siping_depot"


def test_a_fix_at_the_very_end_of_a_carriageway_is_placed():
    """Found by the detection benchmark: a coach at K0 toward Siping (or the last post toward Changchun)
    has no carriageway edge leaving it; its bearing is the arriving edge's, not a crash of the detector."""
    from datetime import datetime

    from fleetplan.corridor import load_corridor
    from fleetplan.network import Direction
    from fleetplan.positions import Position, carriageway_bearing, place

    network = load_corridor().network
    graph = network.graph
    ends = [
        (node, direction)
        for node in graph.nodes
        for direction in Direction
        if any(graph.edges[w, node].get("direction") == direction for w in graph.predecessors(node))
        and not any(graph.edges[node, w].get("direction") == direction for w in graph.successors(node))
    ]
    assert ends  # the two carriageways end somewhere
    for node, direction in ends:
        data = graph.nodes[node]
        fix = Position("c01", data["lat"], data["lon"], datetime(2026, 12, 7, 8), 60.0, 200.0)
        assert 0 <= carriageway_bearing(network, fix, direction) < 360
        assert place(network, fix).location is not None
