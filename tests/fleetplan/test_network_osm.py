"""Loading a real OpenStreetMap extract from disk (a tiny hand-written .osm file; no network)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("osmnx")

from fleetplan.errors import DataValidationError, LocationError, NoRouteError  # noqa: E402
from fleetplan.model import Conditions, RoadClass  # noqa: E402
from fleetplan.network import RoadNetwork, TravelTimes  # noqa: E402
from fleetplan.network.osm import load_osm  # noqa: E402

FIXTURE = Path(__file__).parents[1] / "fixtures" / "tiny_corridor.osm"
DAY = datetime(2026, 12, 7, 11, 0)


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_osm(FIXTURE)


def test_highway_tags_map_to_road_classes(network):
    classes = {(u, v): d["road_class"] for u, v, d in network.graph.edges(data=True)}
    assert classes[("1", "2")] is RoadClass.EXPRESSWAY
    assert classes[("5", "2")] is RoadClass.RAMP
    assert classes[("5", "7")] is RoadClass.NATIONAL
    assert classes[("7", "8")] is RoadClass.CITY


def test_footways_are_left_out_and_never_merged_into_roads(network):
    assert "9" not in network.graph
    assert network.graph.edges["5", "7"]["name"] == "G102"
    assert network.graph.edges["7", "8"]["name"] == "Linhe Street"


def test_maxspeed_or_a_default_gives_the_speed(network):
    assert network.graph.edges["1", "2"]["speed_kmh"] == 120.0
    assert network.graph.edges["5", "7"]["speed_kmh"] == 60.0
    assert network.graph.edges["7", "8"]["speed_kmh"] == 30.0  # residential default


def test_one_way_carriageways_stay_one_way_and_two_way_roads_get_both_directions(network):
    assert network.graph.has_edge("1", "2") and not network.graph.has_edge("2", "1")
    assert network.graph.has_edge("5", "7") and network.graph.has_edge("7", "5")


def test_lengths_come_from_osmnx_in_whole_metres(network):
    length_m = network.graph.edges["1", "2"]["length_m"]
    assert isinstance(length_m, int) and 1_550 <= length_m <= 1_750  # ≈1.64 km between the nodes


def test_the_on_ramp_is_an_entrance_that_closures_remove(network):
    assert network.entrances == frozenset({"5"})
    open_route = TravelTimes(network, Conditions("clear"), "coach_12m").route("7", "3", DAY)
    assert open_route.path == ("7", "5", "2", "3")
    with pytest.raises(NoRouteError, match="no route from 7 to 3"):
        TravelTimes(network, Conditions("closed", closed_entrances=frozenset({"5"})), "coach_12m").route("7", "3", DAY)


def test_the_graph_is_frozen_and_has_no_km_posts(network):
    assert network.posts == () and network.g1_length_m == 0
    with pytest.raises(LocationError, match="no G1 kilometre posts"):
        network.locate("G1 K10 toward Changchun")


def test_lat_lon_snaps_on_an_osm_network(network):
    location = network.locate("43.5050,124.8180")
    assert location.on_edge and location.road_name == "Linhe Street"


def test_a_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataValidationError, match="file is missing"):
        load_osm(tmp_path / "nowhere.osm")


def test_a_file_without_roads_is_a_data_error(tmp_path):
    path = tmp_path / "empty.osm"
    path.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="43.5" lon="124.8"/></osm>', encoding="utf-8"
    )
    with pytest.raises(DataValidationError):
        load_osm(path)
