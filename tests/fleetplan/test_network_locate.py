"""Locating points on the network: by node id, by lat/lon (snapped) and by G1 kilometre post."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetplan.errors import InvalidValueError, LocationError
from fleetplan.geo import haversine_m
from fleetplan.network import Direction, EdgePoint, Location, RoadNetwork, load_network

NETWORK_DIR = Path(__file__).parents[2] / "data" / "default" / "network"


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_network(NETWORK_DIR)


# --------------------------------------------------------------------------- node ids
def test_a_node_id_locates_the_node(network):
    location = network.locate("siping_depot")
    assert location.node_id == "siping_depot" and not location.on_edge
    assert location.departure_nodes == location.arrival_nodes == ("siping_depot",)
    assert (location.lat, location.lon) == (43.1457, 124.3448)


def test_a_node_id_with_spaces_around_is_accepted(network):
    assert network.locate("  changchun_gov ").node_id == "changchun_gov"


def test_a_service_area_departs_from_its_node_and_arrives_at_its_parking(network):
    location = network.locate("gongzhuling_sa")
    assert location.departure_nodes == ("gongzhuling_sa",)
    assert set(location.arrival_nodes) == {"gongzhuling_sa.to_changchun.parking", "gongzhuling_sa.to_siping.parking"}


def test_a_carriageway_node_knows_its_direction_and_km(network):
    location = network.locate("guojiadian_ic.to_changchun")
    assert location.direction is Direction.TO_CHANGCHUN and location.km == pytest.approx(31.3)


def test_an_unknown_id_suggests_close_names(network):
    with pytest.raises(LocationError, match="did you mean siping_depot"):
        network.locate("siping_depo")


# --------------------------------------------------------------------------- kilometre posts
def test_km_post_toward_changchun_lies_on_the_changchun_bound_carriageway(network):
    location = network.locate("G1 K78 toward Changchun")
    assert location.on_edge and location.km == 78.0 and location.direction is Direction.TO_CHANGCHUN
    (point,) = location.edge_points
    # between Liufangzi (K71.9) and Fanjiatun (K87.5)
    assert (point.u, point.v) == ("liufangzi_ic.to_changchun", "fanjiatun_ic.to_changchun")
    assert point.offset_m == pytest.approx((78.0 - 71.9) * 1000)


def test_km_post_toward_siping_counts_from_the_siping_end_too(network):
    location = network.locate("G1 K78 toward Siping")
    (point,) = location.edge_points
    assert (point.u, point.v) == ("fanjiatun_ic.to_siping", "liufangzi_ic.to_siping")
    assert point.offset_m == pytest.approx((87.5 - 78.0) * 1000)
    assert location.direction is Direction.TO_SIPING


def test_both_directions_of_a_km_post_are_the_same_place_on_different_carriageways(network):
    toward_changchun = network.locate("G1 K78 toward Changchun")
    toward_siping = network.locate("G1 K78 toward Siping")
    assert haversine_m(toward_changchun.lat, toward_changchun.lon, toward_siping.lat, toward_siping.lon) < 50
    assert toward_changchun.key != toward_siping.key


@pytest.mark.parametrize(
    "text",
    [
        "g1 k78.3 toward changchun",
        "G1 K78+300 toward Changchun",
        "G1  K 78 + 300   TOWARD CHANGCHUN",
        "G1 K78+300 towards Changchun",
        "K78+300 toward Changchun",
    ],
)
def test_km_post_spellings(network, text):
    location = network.locate(text)
    assert location.km == pytest.approx(78.3) and location.direction is Direction.TO_CHANGCHUN


def test_the_km_post_point_lies_between_its_posts_in_proportion(network):
    location = network.locate("G1 K74.75 toward Changchun")  # half way from K62 to K87.5
    gongzhuling_sa, fanjiatun = network.post("gongzhuling_sa"), network.post("fanjiatun_ic")
    assert location.lat == pytest.approx((gongzhuling_sa.lat + fanjiatun.lat) / 2, abs=5e-4)
    assert location.lon == pytest.approx((gongzhuling_sa.lon + fanjiatun.lon) / 2, abs=5e-4)


def test_section_ends_are_valid_km_posts_and_a_post_is_its_node(network):
    # a point exactly at a post is the carriageway node there, so a coach there may take the off-ramp
    assert network.locate("G1 K0 toward Changchun").node_id == "wulipo_ic.to_changchun"
    assert network.locate("G1 K133.3 toward Changchun").node_id == "xinglongshan_ic.to_changchun"
    assert network.locate("G1 K31.3 toward Siping").node_id == "guojiadian_ic.to_siping"


@pytest.mark.parametrize("text", ["G1 K140 toward Changchun", "G1 K133.4 toward Siping"])
def test_a_km_post_outside_the_section_names_the_valid_range(network, text):
    with pytest.raises(LocationError, match=r"outside the G1 section K0–K133\.3"):
        network.locate(text)


def test_a_km_post_without_direction_asks_for_one(network):
    with pytest.raises(LocationError, match="toward Changchun' or 'toward Siping"):
        network.locate("G1 K78")


def test_a_km_post_with_an_unknown_direction_is_an_error(network):
    with pytest.raises(LocationError, match="Harbin"):
        network.locate("G1 K78 toward Harbin")


def test_metres_after_plus_must_be_below_1000(network):
    with pytest.raises(LocationError, match="below 1000"):
        network.locate("G1 K78+1200 toward Changchun")


def test_a_malformed_km_post_is_an_error(network):
    with pytest.raises(LocationError, match="G1 K78 toward Changchun"):
        network.locate("G1 KM seventy-eight")


# --------------------------------------------------------------------------- lat/lon
def test_lat_lon_near_a_town_snaps_to_the_road_through_it(network):
    town = network.place("gongzhuling_city")
    location = network.locate(f"{town.lat + 0.0001},{town.lon + 0.0001}")
    assert location.on_edge and location.snapped_m < 50
    assert "gongzhuling_city" in {node for point in location.edge_points for node in point.edge}


def test_lat_lon_on_a_two_way_road_is_seen_from_both_directions(network):
    a, b = network.place("siping_ne_jct"), network.place("guojiadian_town")
    location = network.locate(f"{(a.lat + b.lat) / 2},{(a.lon + b.lon) / 2}")
    assert location.road_name == "G102"
    forward, backward = location.edge_points
    assert (forward.u, forward.v) == (backward.v, backward.u)
    assert forward.offset_m + backward.offset_m == pytest.approx(forward.length_m)
    assert forward.offset_m == pytest.approx(forward.length_m / 2, rel=0.01)


def test_lat_lon_with_direction_snaps_to_that_carriageway(network):
    km78 = network.locate("G1 K78 toward Changchun")
    for direction in Direction:
        location = network.locate(f"{km78.lat:.6f},{km78.lon:.6f} {direction.label}")
        assert location.direction is direction
        assert location.km == pytest.approx(78.0, abs=0.05)
        assert all(network.graph.edges[p.edge]["direction"] is direction for p in location.edge_points)


def test_lat_lon_without_direction_on_g1_takes_the_nearer_carriageway(network):
    km78 = network.locate("G1 K78 toward Siping")
    location = network.locate(f"{km78.lat:.6f},{km78.lon:.6f}")
    assert location.direction is Direction.TO_SIPING


def test_lat_lon_never_snaps_to_a_ramp(network):
    post = network.post("gongzhuling_ic")
    location = network.locate(f"{post.lat},{post.lon}")
    assert all(network.graph.edges[p.edge]["road_class"].value != "ramp" for p in location.edge_points)


def test_lat_lon_far_from_every_road_is_an_error(network):
    with pytest.raises(LocationError, match="km from the nearest road"):
        network.locate("44.5,126.5")


def test_lat_lon_out_of_range_is_an_error(network):
    with pytest.raises(LocationError, match="latitude,longitude"):
        network.locate("95.0,124.5")


@pytest.mark.parametrize("text", ["", "   ", "somewhere near Gongzhuling", "43.5;124.8", "43.5,124.8 toward"])
def test_unreadable_text_is_an_error_that_explains_the_forms(network, text):
    with pytest.raises(LocationError):
        network.locate(text)


# --------------------------------------------------------------------------- value objects
def test_an_edge_point_must_lie_on_its_edge():
    with pytest.raises(InvalidValueError, match="offset_m"):
        EdgePoint("a", "b", 1200.0, 1000)


def test_a_location_is_a_node_or_an_edge_point():
    with pytest.raises(InvalidValueError):
        Location(text="x", lat=43.0, lon=124.0)


# --------------------------------------------------------------------------- helpers for other modules
def test_node_lat_lon(network):
    assert network.node_lat_lon("siping_station") == (43.1655, 124.3670)


def test_a_path_passes_a_point_on_an_edge_it_drives(network):
    point = network.locate("G1 K78 toward Changchun")
    through = ("gongzhuling_sa.to_changchun", "liufangzi_ic.to_changchun", "fanjiatun_ic.to_changchun")
    other_side = ("fanjiatun_ic.to_siping", "liufangzi_ic.to_siping", "gongzhuling_sa.to_siping")
    assert network.path_passes(through, point)
    assert not network.path_passes(other_side, point)
    assert not network.path_passes(through[:2], point)


def test_a_path_passes_a_node_or_a_service_area_on_either_side(network):
    assert network.path_passes(("siping_depot", "siping_gov", "siping_station"), network.locate("siping_gov"))
    assert not network.path_passes(("siping_depot", "siping_gov"), network.locate("siping_station"))
    area = network.locate("gongzhuling_sa")
    assert network.path_passes(("gongzhuling_ic.to_changchun", "gongzhuling_sa.to_changchun"), area)
    assert network.path_passes(("fanjiatun_ic.to_siping", "gongzhuling_sa.to_siping"), area)
    assert not network.path_passes(("kaoshantun_sa.to_siping", "fanjiatun_ic.to_siping"), area)


# --------------------------------------------------------------------------- properties

KM = st.floats(min_value=0.0, max_value=133.3, allow_nan=False)
DIRECTIONS = st.sampled_from(list(Direction))


@settings(max_examples=60, deadline=None)
@given(km=KM, direction=DIRECTIONS)
def test_snapping_a_km_post_point_with_its_direction_gives_back_the_km(network, km, direction):
    post = network.locate(f"G1 K{km:.3f} {direction.label}")
    snapped = network.locate(f"{post.lat:.7f},{post.lon:.7f} {direction.label}")
    assert snapped.km == pytest.approx(post.km, abs=0.01)
    assert snapped.direction is direction


@settings(max_examples=30, deadline=None)
@given(km=st.floats(min_value=133.31, max_value=1000.0, allow_nan=False), direction=DIRECTIONS)
def test_every_km_post_beyond_the_section_is_refused(network, km, direction):
    with pytest.raises(LocationError, match="outside the G1 section"):
        network.locate(f"G1 K{km:.2f} {direction.label}")


def test_every_post_written_as_a_km_post_is_its_carriageway_node(network):
    # a post's metres come out of a float subtraction (K87.5 − K71.9 = 15599.999… m on a 15,600 m
    # edge): read as a point a hair before the node, a coach there could not take its ramps
    posts = {
        (node, km, data["direction"])
        for u, v, data in network.graph.edges(data=True)
        if data.get("direction") is not None
        for node, km in ((u, data["km_from"]), (v, data["km_to"]))
    }
    assert len(posts) > 10
    for node, km, direction in sorted(posts):
        toward = "Changchun" if direction == Direction.TO_CHANGCHUN else "Siping"
        assert network.locate(f"G1 K{km:g} toward {toward}").node_id == node


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("G1 K78 往四平方向", "G1 K78 toward Siping"),  # as the desk prints a place in Chinese
        ("G1 K78+300 往长春", "G1 K78+300 toward Changchun"),
        ("K78＋300 向四平", "G1 K78+300 toward Siping"),  # a full-width plus
        ("４３.５０,１２４.８３ 往长春方向", "43.50,124.83 toward Changchun"),
        ("G1 京哈高速 K78 往长春方向", "G1 K78 toward Changchun"),  # as the crews' messages print it
    ],
)
def test_a_place_written_in_chinese_is_the_same_place_as_in_english(network, chinese, english):
    found, expected = network.locate(chinese), network.locate(english)
    assert (found.edge_points, found.node_id) == (expected.edge_points, expected.node_id)
    assert found.text == chinese  # what the reporter wrote stays on the record


def test_a_chinese_direction_to_a_city_off_the_corridor_is_refused(network):
    with pytest.raises(LocationError, match="kilometre post"):
        network.locate("G1 K78 往北京方向")
