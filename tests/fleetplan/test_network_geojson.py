"""The network as GeoJSON for the map and the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetplan.network import RoadNetwork, load_network

NETWORK_DIR = Path(__file__).parents[2] / "data" / "default" / "network"


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_network(NETWORK_DIR)


@pytest.fixture(scope="module")
def collection(network) -> dict:
    return network.to_geojson()


def test_it_is_a_feature_collection_of_every_node_and_edge(network, collection):
    assert collection["type"] == "FeatureCollection"
    kinds = [feature["properties"]["feature"] for feature in collection["features"]]
    assert kinds.count("node") == network.graph.number_of_nodes()
    assert kinds.count("edge") == network.graph.number_of_edges()


def test_nodes_are_points_in_lon_lat_order(collection):
    depot = next(f for f in collection["features"] if f["properties"].get("id") == "siping_depot")
    assert depot["geometry"] == {"type": "Point", "coordinates": [124.3448, 43.1457]}
    assert depot["properties"]["kind"] == "depot" and depot["properties"]["tag"] == "V"


def test_edges_are_two_point_lines_with_their_attributes(network, collection):
    for feature in collection["features"]:
        if feature["properties"]["feature"] != "edge":
            continue
        properties = feature["properties"]
        start, end = network.place(properties["from"]), network.place(properties["to"])
        assert feature["geometry"]["type"] == "LineString"
        assert feature["geometry"]["coordinates"] == [[start.lon, start.lat], [end.lon, end.lat]]
        assert properties["length_m"] > 0 and properties["speed_kmh"] > 0
        assert properties["road_class"] in ("expressway", "ramp", "national", "city")


def test_g1_edges_carry_direction_and_on_ramps_their_entrance(collection):
    edges = [f["properties"] for f in collection["features"] if f["properties"]["feature"] == "edge"]
    g1 = [e for e in edges if e["name"] == "G1"]
    assert {e["direction"] for e in g1} == {"to_changchun", "to_siping"}
    assert any(e.get("entrance") == "gongzhuling_ic" for e in edges)


def test_it_serialises_to_json_with_plain_values(collection):
    text = json.dumps(collection, ensure_ascii=False)
    assert json.loads(text) == collection
    assert "公主岭服务区" in text
