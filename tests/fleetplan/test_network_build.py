"""Loading the corridor network: geography, structure of G1, validation of every edge and row."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import networkx as nx
import pytest

from fleetplan.errors import DataValidationError, UnknownIdError
from fleetplan.geo import haversine_m
from fleetplan.model import RoadClass
from fleetplan.network import Direction, RoadNetwork, carriageway_node, load_network, parking_node
from fleetplan.network.graph import graph_problems

NETWORK_DIR = Path(__file__).parents[2] / "data" / "default" / "network"

FIXED_NODES = [
    "siping_depot",
    "changchun_depot",
    "taojiatun_sa",
    "gongzhuling_sa",
    "kaoshantun_sa",
    "jlnu_siping_campus",
    "siping_station",
    "siping_gov",
    "changchun_station",
    "changchun_gov",
    "changchun_hightech",
    "lishu_town",
    "guojiadian_town",
    "gongzhuling_city",
    "fanjiatun_town",
    "liufangzi_town",
    "wulipo_ic",
    "lishu_east_ic",
    "guojiadian_ic",
    "gongzhuling_ic",
    "liufangzi_ic",
    "fanjiatun_ic",
    "changchun_south_ic",
    "xinglongshan_ic",
]
INTERCHANGES = [  # DESIGN §2.1: 8 interchanges on the section
    "wulipo_ic",
    "lishu_east_ic",
    "guojiadian_ic",
    "gongzhuling_ic",
    "liufangzi_ic",
    "fanjiatun_ic",
    "changchun_south_ic",
    "xinglongshan_ic",
]
SERVICE_AREAS = ["taojiatun_sa", "gongzhuling_sa", "kaoshantun_sa"]
# DESIGN §2.1 coordinates tagged V: the network must use them as given
DESIGN_COORDINATES = {
    "siping_gov": (43.1668, 124.3506),
    "siping_depot": (43.1457, 124.3448),
    "siping_station": (43.1655, 124.3670),
    "lishu_town": (43.3073, 124.3337),
    "gongzhuling_city": (43.5008, 124.8198),
    "changchun_gov": (43.897, 125.326),
    "changchun_station": (43.9092, 125.3238),
}
DESIGN_ESTIMATES = {  # tagged E in DESIGN, with their tolerance
    "guojiadian_town": ((43.35, 124.60), 5_000),
    "fanjiatun_town": ((43.70, 125.08), 5_000),
    "changchun_depot": ((43.826, 125.268), 1_000),
}


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_network(NETWORK_DIR)


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "network"
    shutil.copytree(NETWORK_DIR, target)
    return target


def _replace_line(path: Path, startswith: str, new_line: str) -> int:
    """Replace the line starting with ``startswith``; return its 1-based row number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(startswith))
    lines[index] = new_line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index + 1


def _problems(directory: Path) -> list:
    with pytest.raises(DataValidationError) as caught:
        load_network(directory)
    return caught.value.problems


# --------------------------------------------------------------------------- geography
def test_every_fixed_node_id_exists(network):
    missing = [node for node in FIXED_NODES if not network.has_node(node)]
    assert missing == []


def test_design_coordinates_are_used_as_given(network):
    for node, (lat, lon) in DESIGN_COORDINATES.items():
        place = network.place(node)
        assert (place.lat, place.lon) == pytest.approx((lat, lon), abs=1e-4), node


def test_estimated_places_are_within_their_design_tolerance(network):
    for node, ((lat, lon), tolerance_m) in DESIGN_ESTIMATES.items():
        place = network.place(node)
        assert haversine_m(place.lat, place.lon, lat, lon) <= tolerance_m, node


def test_g1_section_is_133_3_km_on_both_carriageways(network):
    assert network.g1_length_m == 133_300
    to_siping = sum(
        d["length_m"] for _, _, d in network.graph.edges(data=True) if d.get("direction") == Direction.TO_SIPING
    )
    assert to_siping == 133_300
    assert network.section_km == (0.0, 133.3)


def test_g1_posts_start_at_wulipo_and_end_at_xinglongshan(network):
    assert network.posts[0].id == "wulipo_ic" and network.posts[0].km == 0.0
    assert network.posts[-1].id == "xinglongshan_ic" and network.posts[-1].km == pytest.approx(133.3)
    assert [post.km for post in network.posts] == sorted(post.km for post in network.posts)


def test_g1_length_between_posts_agrees_with_coordinates(network):
    for before, after in zip(network.posts, network.posts[1:]):
        straight_m = haversine_m(before.lat, before.lon, after.lat, after.lon)
        ratio = (after.km - before.km) * 1000 / straight_m
        assert 1.0 <= ratio <= 1.35, f"{before.id} → {after.id}: ratio {ratio:.3f}"


def test_consecutive_interchanges_agree_with_coordinates(network):
    exits = [post for post in network.posts if post.is_exit]
    for before, after in zip(exits, exits[1:]):
        ratio = (after.km - before.km) * 1000 / haversine_m(before.lat, before.lon, after.lat, after.lon)
        assert 1.0 <= ratio <= 1.35, f"{before.id} → {after.id}: ratio {ratio:.3f}"


def test_every_off_expressway_road_agrees_with_coordinates(network):
    for u, v, data in network.graph.edges(data=True):
        if data["road_class"] in (RoadClass.NATIONAL, RoadClass.CITY):
            a, b = network.place(u), network.place(v)
            ratio = data["length_m"] / haversine_m(a.lat, a.lon, b.lat, b.lon)
            assert 1.0 <= ratio <= 1.35, f"{u} → {v}: ratio {ratio:.3f}"


def test_the_whole_g1_is_about_as_long_as_the_straight_line_chain(network):
    chain_m = sum(haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in zip(network.posts, network.posts[1:]))
    assert 1.0 <= network.g1_length_m / chain_m <= 1.35


def test_g102_runs_the_corridor_through_the_towns(network):
    g102 = nx.DiGraph([(u, v) for u, v, d in network.graph.edges(data=True) if d["name"] == "G102"])
    path = nx.shortest_path(g102, "siping_ne_jct", "changchun_sw_jct")
    assert path == [
        "siping_ne_jct",
        "guojiadian_town",
        "gongzhuling_city",
        "liufangzi_town",
        "fanjiatun_town",
        "changchun_sw_jct",
    ]


def test_g1_has_the_eight_interchanges_of_design(network):
    exits = [post for post in network.posts if post.is_exit]
    assert [post.id for post in exits] == INTERCHANGES
    liufangzi = network.post("liufangzi_ic")
    assert 56.1 < liufangzi.km < 87.5  # in the stretch between Gongzhuling and Fanjiatun
    assert liufangzi.tag == "E" and liufangzi.name and liufangzi.name_zh == "刘房子互通"
    assert network.graph.has_edge("liufangzi_ic", "liufangzi_town")  # the exit leads somewhere


def test_no_stretch_of_g1_runs_more_than_25_km_without_an_exit(network):
    exits = [post.km for post in network.posts if post.is_exit]
    assert max(after - before for before, after in zip(exits, exits[1:])) <= 25.0


# --------------------------------------------------------------------------- structure of G1
def test_carriageways_are_separate_one_way_chains(network):
    for direction in Direction:
        chain = [carriageway_node(post.id, direction) for post in network.posts]
        if direction is Direction.TO_SIPING:
            chain.reverse()
        for u, v in zip(chain, chain[1:]):
            assert network.graph.edges[u, v]["road_class"] is RoadClass.EXPRESSWAY
            assert not network.graph.has_edge(v, u)


def test_carriageway_nodes_only_connect_to_their_own_chain_ramps_and_parking(network):
    for node, data in network.graph.nodes(data=True):
        if data["kind"] != "carriageway":
            continue
        for neighbour in list(network.graph.successors(node)) + list(network.graph.predecessors(node)):
            other = network.graph.nodes[neighbour]
            assert other.get("direction") in (None, data["direction"]), f"{node} touches {neighbour}"


def test_turning_is_possible_only_at_interchanges(network):
    """Without the interchange nodes no path leads from one carriageway to the other."""
    without_interchanges = network.graph.subgraph(n for n in network.graph if n not in INTERCHANGES)
    for post in network.posts:
        for other in network.posts:
            assert not nx.has_path(
                without_interchanges,
                carriageway_node(post.id, Direction.TO_SIPING),
                carriageway_node(other.id, Direction.TO_CHANGCHUN),
            )


def test_every_interchange_has_off_and_on_ramps_on_both_sides(network):
    for interchange in INTERCHANGES:
        for direction in Direction:
            lane = carriageway_node(interchange, direction)
            assert network.graph.edges[lane, interchange]["road_class"] is RoadClass.RAMP
            assert network.graph.edges[interchange, lane]["entrance"] == interchange


def test_a_service_area_departs_onto_both_sides_but_parks_per_side(network):
    for area in SERVICE_AREAS:
        assert network.graph.in_degree(area) == 0
        assert set(network.graph.successors(area)) == {carriageway_node(area, d) for d in Direction}
        for direction in Direction:
            parking = parking_node(area, direction)
            lane = carriageway_node(area, direction)
            assert set(network.graph.predecessors(parking)) == {lane}
            assert set(network.graph.successors(parking)) == {lane}


def test_the_graph_is_frozen(network):
    assert nx.is_frozen(network.graph)
    with pytest.raises(nx.NetworkXError):
        network.graph.add_edge("siping_depot", "changchun_depot")


def test_every_edge_has_length_class_and_speed(network):
    assert graph_problems(network.graph, "network") == []
    for _, _, data in network.graph.edges(data=True):
        assert isinstance(data["length_m"], int) and data["length_m"] > 0
        assert isinstance(data["road_class"], RoadClass)
        assert data["speed_kmh"] > 0


def test_place_and_node_name(network):
    place = network.place("gongzhuling_sa")
    assert place.kind == "service_area" and place.name_zh == "公主岭服务区" and place.km == pytest.approx(62.0)
    assert network.node_name("siping_depot") == "Siping service base (Tiexi)"
    with pytest.raises(UnknownIdError, match="siping_depo"):
        network.place("siping_depo")


def test_entrances_are_the_interchanges_and_service_areas(network):
    assert network.entrances == frozenset(INTERCHANGES + SERVICE_AREAS)


# --------------------------------------------------------------------------- validation
def test_a_bad_edge_row_is_reported_with_file_row_and_column(data_copy):
    row = _replace_line(
        data_copy / "roads.csv", "siping_depot,siping_gov,", "siping_depot,siping_gov,city,-5,50,no,Siping streets,E"
    )
    problems = _problems(data_copy)
    assert [(p.file, p.row, p.column) for p in problems] == [("roads.csv", row, "length_m")]
    assert "-5" in str(problems[0])


def test_every_bad_cell_is_reported_not_just_the_first(data_copy):
    road_row = _replace_line(
        data_copy / "roads.csv",
        "siping_gov,siping_station,",
        "siping_gov,siping_station,motorway,1700,fast,maybe,Siping streets,E",
    )
    place_row = _replace_line(
        data_copy / "places.csv", "lishu_town,", "lishu_town,Lishu county seat,梨树县城,town,143.3,124.3337,X"
    )
    found = {(p.file, p.row, p.column) for p in _problems(data_copy)}
    assert {
        ("roads.csv", road_row, "road_class"),
        ("roads.csv", road_row, "speed_kmh"),
        ("roads.csv", road_row, "oneway"),
        ("places.csv", place_row, "lat"),
        ("places.csv", place_row, "tag"),
    } <= found


def test_an_empty_length_is_reported(data_copy):
    row = _replace_line(
        data_copy / "roads.csv", "siping_depot,siping_gov,", "siping_depot,siping_gov,city,,50,no,Siping streets,E"
    )
    assert ("roads.csv", row, "length_m") in {(p.file, p.row, p.column) for p in _problems(data_copy)}


def test_a_road_to_an_unknown_place_is_reported(data_copy):
    row = _replace_line(
        data_copy / "roads.csv", "siping_depot,siping_gov,", "siping_depot,siping_govt,city,2900,50,no,Siping streets,E"
    )
    problems = _problems(data_copy)
    assert any(p.row == row and p.column == "to" and "siping_govt" in p.message for p in problems)


def test_a_road_shorter_than_the_straight_line_is_reported(data_copy):
    # 27.5 km of G102 typed as 2750 m: shorter than the 24 km straight line
    row = _replace_line(
        data_copy / "roads.csv",
        "siping_ne_jct,guojiadian_town,",
        "siping_ne_jct,guojiadian_town,national,2750,80,no,G102,E",
    )
    problems = _problems(data_copy)
    assert any(p.row == row and p.column == "length_m" and "straight line" in p.message for p in problems)


def test_kilometre_posts_out_of_order_are_reported(data_copy):
    row = _replace_line(
        data_copy / "g1_posts.csv",
        "guojiadian_ic,",
        "guojiadian_ic,Guojiadian interchange,郭家店互通,interchange,10.0,43.343,124.612,E",
    )
    problems = _problems(data_copy)
    assert any(p.file == "g1_posts.csv" and p.row == row and p.column == "km" for p in problems)


def test_a_one_way_mistake_that_cuts_off_a_place_is_reported(data_copy):
    _replace_line(
        data_copy / "roads.csv",
        "changchun_gov,changchun_station,",
        "changchun_gov,changchun_station,city,1800,40,yes,Changchun streets,E",
    )
    problems = _problems(data_copy)
    assert any("changchun_station" in p.message and "cut off" in p.message for p in problems)


def test_a_missing_file_is_reported(data_copy):
    (data_copy / "g1_posts.csv").unlink()
    problems = _problems(data_copy)
    assert ("g1_posts.csv", None) in {(p.file, p.row) for p in problems}


# --------------------------------------------------------------------------- expressway.toml
def _expressway_constants() -> dict:
    return tomllib.loads((NETWORK_DIR / "expressway.toml").read_text(encoding="utf-8"))


def test_the_generated_expressway_takes_its_constants_from_expressway_toml(network):
    constants = _expressway_constants()
    assert constants["min_speed_kmh"] == 60  # 实施条例 Art. 78
    for u, v, data in network.graph.edges(data=True):
        if data.get("direction") is not None:
            assert data["speed_kmh"] == constants["carriageway_speed_kmh"], (u, v)
        elif data["name"].endswith(("off-ramp", "on-ramp")):
            assert (data["length_m"], data["speed_kmh"]) == (constants["ramp_length_m"], constants["ramp_speed_kmh"])
        elif data["name"].endswith(("entry", "exit")):
            assert (data["length_m"], data["speed_kmh"]) == (
                constants["sa_slip_length_m"],
                constants["sa_slip_speed_kmh"],
            )
        elif data["name"].endswith("staff road"):
            assert (data["length_m"], data["speed_kmh"]) == (
                constants["sa_staff_road_length_m"],
                constants["sa_staff_road_speed_kmh"],
            )


def test_a_changed_constant_changes_the_network(data_copy):
    path = data_copy / "expressway.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("ramp_length_m = 800", "ramp_length_m = 650"), encoding="utf-8"
    )
    changed = load_network(data_copy)
    assert changed.graph.edges["gongzhuling_ic.to_changchun", "gongzhuling_ic"]["length_m"] == 650


def test_a_carriageway_speed_below_the_expressway_minimum_is_a_data_problem(data_copy):
    path = data_copy / "expressway.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("carriageway_speed_kmh = 90", "carriageway_speed_kmh = 55"), encoding="utf-8")
    problems = _problems(data_copy)
    assert [(p.file, p.column) for p in problems] == [("expressway.toml", "carriageway_speed_kmh")]
    assert "60" in problems[0].message and "55" in problems[0].message


def test_a_missing_or_bad_expressway_constant_is_a_data_problem(data_copy):
    path = data_copy / "expressway.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("ramp_speed_kmh = 30", 'ramp_speed_kmh = "slow"').replace("sa_slip_length_m = 300", "")
    path.write_text(text + "tunnel_speed_kmh = 50\n", encoding="utf-8")
    found = {(p.file, p.column) for p in _problems(data_copy)}
    assert found == {
        ("expressway.toml", "ramp_speed_kmh"),
        ("expressway.toml", "sa_slip_length_m"),
        ("expressway.toml", "tunnel_speed_kmh"),
    }


def test_a_missing_expressway_file_is_a_data_problem(data_copy):
    (data_copy / "expressway.toml").unlink()
    assert ("expressway.toml", None) in {(p.file, p.row) for p in _problems(data_copy)}


def test_graph_problems_catch_an_edge_without_length_or_class():
    graph = nx.DiGraph()
    graph.add_node("a", lat=43.0, lon=124.0, kind="junction")
    graph.add_node("b", lat=43.1, lon=124.0, kind="junction")
    graph.add_edge("a", "b", road_class="street", speed_kmh=50, name="x")
    messages = " ".join(p.message for p in graph_problems(graph, "test"))
    assert "length_m" in messages and "road_class" in messages
