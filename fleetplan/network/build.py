"""Load the corridor road network from CSV files and build the frozen graph.

Three tables and one constants file in one directory (see ``data/default/network/README.md``):

- ``places.csv``: depots, stops, towns and junctions off the expressway;
- ``g1_posts.csv``: interchanges, service areas and section ends along G1 with their kilometre post,
  from which both carriageways and all ramps are generated;
- ``roads.csv``: every other road (G102, access roads, city streets);
- ``expressway.toml``: the speeds and lengths of the generated carriageways, ramps and service-area
  roads, and the expressway minimum speed (:mod:`fleetplan.network.expressway`).

G1 is two separate directed chains of carriageway nodes. The only way off a carriageway, and so the
only way to turn, is an interchange: off-ramp to the interchange node (the toll station), on-ramp
back onto either carriageway. A service area has a parking node on each side, entered from and left
back onto the same carriageway, so through traffic cannot turn there; a coach *staged* at the service
area starts from its departure node, which has a staff road onto either carriageway.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
import pandera.pandas as pa

from fleetplan.errors import DataProblem, DataValidationError
from fleetplan.geo import bearing_deg, destination_point, haversine_m
from fleetplan.model import RoadClass
from fleetplan.network.expressway import ExpresswayConstants, read_expressway
from fleetplan.network.graph import (
    Direction,
    KmPost,
    PostKind,
    carriageway_node,
    graph_problems,
    parking_node,
)
from fleetplan.network.roads import RoadNetwork
from fleetplan.tables import read_table

PLACES_FILE = "places.csv"
POSTS_FILE = "g1_posts.csv"
ROADS_FILE = "roads.csv"

G1_NAME = "G1"
# speeds and lengths of the generated expressway are in expressway.toml; these only place the drawing
CARRIAGEWAY_OFFSET_M = 15.0  # each carriageway drawn this far right of the centre line (right-hand traffic)
PARKING_OFFSET_M = 80.0
STRAIGHT_LINE_TOLERANCE = 0.99  # a road may not be shorter than the straight line (1 % for rounding)
# bounds far beyond the corridor: a value outside them is a typo that would overflow travel times
MAX_KM = 2_000.0
MAX_ROAD_M = 500_000

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
TAGS = ["V", "S", "E"]
PLACE_KINDS = ["depot", "stop", "town", "junction"]
OFF_EXPRESSWAY_CLASSES = [RoadClass.NATIONAL.value, RoadClass.CITY.value]

PLACES_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(str, pa.Check.str_matches(ID_PATTERN), unique=True, coerce=True),
        "name": pa.Column(str, coerce=True),
        "name_zh": pa.Column(str, coerce=True),
        "kind": pa.Column(str, pa.Check.isin(PLACE_KINDS), coerce=True),
        "lat": pa.Column(float, pa.Check.in_range(-90.0, 90.0), coerce=True),
        "lon": pa.Column(float, pa.Check.in_range(-180.0, 180.0), coerce=True),
        "tag": pa.Column(str, pa.Check.isin(TAGS), coerce=True),
    }
)

POSTS_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(str, pa.Check.str_matches(ID_PATTERN), unique=True, coerce=True),
        "name": pa.Column(str, coerce=True),
        "name_zh": pa.Column(str, coerce=True),
        "kind": pa.Column(str, pa.Check.isin([kind.value for kind in PostKind]), coerce=True),
        "km": pa.Column(
            float,
            [pa.Check.ge(0.0), pa.Check.le(MAX_KM, error=f"must be at most K{MAX_KM:g}")],
            unique=True,
            coerce=True,
        ),
        "lat": pa.Column(float, pa.Check.in_range(-90.0, 90.0), coerce=True),
        "lon": pa.Column(float, pa.Check.in_range(-180.0, 180.0), coerce=True),
        "tag": pa.Column(str, pa.Check.isin(TAGS), coerce=True),
    }
)

ROADS_SCHEMA = pa.DataFrameSchema(
    {
        "from": pa.Column(str, coerce=True),
        "to": pa.Column(str, coerce=True),
        "road_class": pa.Column(str, pa.Check.isin(OFF_EXPRESSWAY_CLASSES), coerce=True),
        "length_m": pa.Column(
            int, [pa.Check.gt(0), pa.Check.le(MAX_ROAD_M, error=f"must be at most {MAX_ROAD_M} m")], coerce=True
        ),
        "speed_kmh": pa.Column(
            float, [pa.Check.ge(1.0, error="must be at least 1 km/h"), pa.Check.le(130.0)], coerce=True
        ),
        "oneway": pa.Column(str, pa.Check.isin(["yes", "no"]), coerce=True),
        "name": pa.Column(str, coerce=True),
        "tag": pa.Column(str, pa.Check.isin(TAGS), coerce=True),
    }
)


def load_network(directory: Path | str) -> RoadNetwork:
    """Load, validate and freeze the road network in ``directory``.

    Parameters
    ----------
    directory
        A folder holding ``places.csv``, ``g1_posts.csv`` and ``roads.csv``.

    Returns
    -------
    RoadNetwork
        The frozen graph with both G1 carriageways, ramps, service areas and all other roads.

    Raises
    ------
    DataValidationError
        With every problem found: bad cells (file, row, column), unknown road ends, roads shorter than
        the straight line, kilometre posts out of order, a bad or missing expressway constant (file,
        key) or a carriageway speed below the expressway minimum, edges without length, class or
        speed, and places cut off from the rest of the network.
    """
    directory = Path(directory)
    places, place_problems = read_table(directory / PLACES_FILE, PLACES_SCHEMA)
    posts_frame, post_problems = read_table(directory / POSTS_FILE, POSTS_SCHEMA)
    roads, road_problems = read_table(directory / ROADS_FILE, ROADS_SCHEMA)
    expressway, expressway_problems = read_expressway(directory)
    problems = place_problems + post_problems + road_problems + expressway_problems
    place_rows, post_rows, road_rows = _records(places), _records(posts_frame), _records(roads)
    posts = tuple(_post(row) for row in post_rows)
    problems += duplicate_id_problems(place_rows, post_rows)
    # checks across rows or tables only run on clean tables: a dropped bad row would cause false alarms
    if not post_problems:
        problems += post_order_problems(post_rows)
    coordinates = None
    if not place_problems and not post_problems:
        coordinates = {row["id"]: (row["lat"], row["lon"]) for row in place_rows + post_rows}
    problems += road_problems_of(road_rows, coordinates)
    if problems:
        raise DataValidationError(problems)
    assert expressway is not None  # read_expressway returns constants whenever it finds no problem
    graph: nx.DiGraph[str] = nx.DiGraph(name=str(directory))
    add_places(graph, place_rows)
    add_g1(graph, posts, expressway)
    add_roads(graph, road_rows)
    problems = graph_problems(graph, directory.name) + connectivity_problems(graph)
    if problems:
        raise DataValidationError(problems)
    return RoadNetwork(graph=nx.freeze(graph), posts=posts, source=str(directory))


# --------------------------------------------------------------------------- table checks
def _records(frame) -> list[dict[str, Any]]:
    return frame.to_dict("records") if len(frame) else []


def _post(row: dict[str, Any]) -> KmPost:
    return KmPost(
        id=row["id"],
        name=row["name"],
        name_zh=row["name_zh"],
        kind=PostKind(row["kind"]),
        km=float(row["km"]),
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        tag=row["tag"],
    )


def duplicate_id_problems(place_rows: list[dict], post_rows: list[dict]) -> list[DataProblem]:
    """Ids used both as a place and as a G1 post."""
    post_ids = {row["id"] for row in post_rows}
    return [
        DataProblem(PLACES_FILE, row["_row"], "id", f"id {row['id']!r} is also a G1 post in {POSTS_FILE}")
        for row in place_rows
        if row["id"] in post_ids
    ]


def post_order_problems(post_rows: list[dict]) -> list[DataProblem]:
    """Posts must run from K0 upwards, start and end with an exit, and be no closer than the straight line."""
    if not post_rows:
        return [DataProblem(POSTS_FILE, None, None, "no G1 posts")]
    problems = []
    first, last = post_rows[0], post_rows[-1]
    if first["km"] != 0.0:
        problems.append(
            DataProblem(POSTS_FILE, first["_row"], "km", f"the first post must be K0, got K{first['km']:g}")
        )
    for end in (first, last):
        if end["kind"] == PostKind.SERVICE_AREA:
            problems.append(
                DataProblem(POSTS_FILE, end["_row"], "kind", "the section must start and end at an interchange")
            )
    if len(post_rows) < 2:
        problems.append(DataProblem(POSTS_FILE, None, None, "need at least two G1 posts"))
    for before, after in zip(post_rows, post_rows[1:]):
        road_m = (after["km"] - before["km"]) * 1000
        if road_m <= 0:
            problems.append(
                DataProblem(
                    POSTS_FILE,
                    after["_row"],
                    "km",
                    f"K{after['km']:g} does not come after K{before['km']:g}; list posts from K0 upwards",
                )
            )
            continue
        straight_m = haversine_m(before["lat"], before["lon"], after["lat"], after["lon"])
        if road_m < straight_m * STRAIGHT_LINE_TOLERANCE:
            problems.append(
                DataProblem(
                    POSTS_FILE,
                    after["_row"],
                    "km",
                    f"{before['id']} → {after['id']} is {road_m / 1000:.1f} km by kilometre post but "
                    f"{straight_m / 1000:.1f} km in a straight line; check km, lat and lon",
                )
            )
    return problems


def road_problems_of(road_rows: list[dict], coordinates: dict[str, tuple[float, float]] | None) -> list[DataProblem]:
    """Loops, duplicates and, when ``coordinates`` of all places are known, unknown ends and lengths
    shorter than the straight line."""
    problems, seen = [], set()
    for row in road_rows:
        ends_known = coordinates is not None
        for column in ("from", "to"):
            if coordinates is not None and row[column] not in coordinates:
                problems.append(
                    DataProblem(
                        ROADS_FILE,
                        row["_row"],
                        column,
                        f"{row[column]!r} is neither a place in {PLACES_FILE} nor a post in {POSTS_FILE}",
                    )
                )
                ends_known = False
        if row["from"] == row["to"]:
            problems.append(DataProblem(ROADS_FILE, row["_row"], "to", "a road must join two different places"))
            continue
        pair = frozenset((row["from"], row["to"]))
        if pair in seen:
            problems.append(DataProblem(ROADS_FILE, row["_row"], "to", f"{row['from']} – {row['to']} is listed twice"))
        seen.add(pair)
        if ends_known:
            assert coordinates is not None  # ends are known only with the coordinates
            straight_m = haversine_m(*coordinates[row["from"]], *coordinates[row["to"]])
            if row["length_m"] < straight_m * STRAIGHT_LINE_TOLERANCE:
                problems.append(
                    DataProblem(
                        ROADS_FILE,
                        row["_row"],
                        "length_m",
                        f"{row['length_m']} m is shorter than the straight line "
                        f"{row['from']} – {row['to']} ({straight_m:.0f} m)",
                    )
                )
    return problems


def connectivity_problems(graph: nx.DiGraph) -> list[DataProblem]:
    """Nodes from which some place cannot be reached, or which cannot be reached.

    Service-area departure nodes only have out-edges by design (a staged coach leaves; arrivals use
    the parking nodes), so they only need to reach the rest.
    """
    starts_only = {node for node, kind in graph.nodes(data="kind") if kind == PostKind.SERVICE_AREA}
    core = graph.subgraph(node for node in graph if node not in starts_only)
    if core.number_of_nodes() == 0:
        return []
    components = sorted(nx.strongly_connected_components(core), key=len, reverse=True)
    problems = [
        DataProblem(
            ROADS_FILE,
            None,
            None,
            f"{node!r} is cut off: it cannot reach or be reached from the rest "
            f"of the network (check oneway and road ends)",
        )
        for component in components[1:]
        for node in sorted(component)
    ]
    main = next(iter(components[0]))
    problems += [
        DataProblem(POSTS_FILE, None, None, f"service area {node!r} cannot reach the network")
        for node in sorted(starts_only)
        if not nx.has_path(graph, node, main)
    ]
    return problems


# --------------------------------------------------------------------------- graph construction
def add_places(graph: nx.DiGraph, place_rows: Iterable[dict]) -> None:
    for row in place_rows:
        graph.add_node(
            row["id"],
            name=row["name"],
            name_zh=row["name_zh"],
            kind=row["kind"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            tag=row["tag"],
        )


def add_g1(graph: nx.DiGraph, posts: tuple[KmPost, ...], expressway: ExpresswayConstants) -> None:
    """Both carriageways as chains of post nodes, then the ramps of every post."""
    for index, post in enumerate(posts):
        bearing = _g1_bearing(posts, index)
        graph.add_node(
            post.id,
            name=post.name,
            name_zh=post.name_zh,
            kind=post.kind.value,
            lat=post.lat,
            lon=post.lon,
            tag=post.tag,
            km=post.km,
        )
        for direction in Direction:
            right = bearing + 90.0 if direction is Direction.TO_CHANGCHUN else bearing - 90.0
            lat, lon = destination_point(post.lat, post.lon, right, CARRIAGEWAY_OFFSET_M)
            graph.add_node(
                carriageway_node(post.id, direction),
                name=f"{post.name}, G1 {direction.label}",
                name_zh=post.name_zh,
                kind="carriageway",
                lat=lat,
                lon=lon,
                tag=post.tag,
                km=post.km,
                direction=direction,
                post=post.id,
            )
    for before, after in zip(posts, posts[1:]):
        _add_carriageway_edge(graph, before, after, Direction.TO_CHANGCHUN, expressway)
        _add_carriageway_edge(graph, after, before, Direction.TO_SIPING, expressway)
    for index, post in enumerate(posts):
        if post.is_exit:
            _add_interchange_ramps(graph, post, expressway)
        else:
            _add_service_area(graph, post, _g1_bearing(posts, index), expressway)


def _g1_bearing(posts: tuple[KmPost, ...], index: int) -> float:
    """Bearing of G1 toward Changchun at a post, from its neighbours."""
    before = posts[max(0, index - 1)]
    after = posts[min(len(posts) - 1, index + 1)]
    return bearing_deg(before.lat, before.lon, after.lat, after.lon)


def _add_carriageway_edge(
    graph: nx.DiGraph, start: KmPost, end: KmPost, direction: Direction, expressway: ExpresswayConstants
) -> None:
    graph.add_edge(
        carriageway_node(start.id, direction),
        carriageway_node(end.id, direction),
        length_m=round(abs(end.km - start.km) * 1000),
        road_class=RoadClass.EXPRESSWAY,
        speed_kmh=float(expressway.carriageway_speed_kmh),
        name=G1_NAME,
        direction=direction,
        km_from=start.km,
        km_to=end.km,
    )


def _add_interchange_ramps(graph: nx.DiGraph, post: KmPost, expressway: ExpresswayConstants) -> None:
    """Off-ramps from both carriageways to the toll station and on-ramps back onto both."""
    for direction in Direction:
        lane = carriageway_node(post.id, direction)
        graph.add_edge(
            lane,
            post.id,
            length_m=expressway.ramp_length_m,
            road_class=RoadClass.RAMP,
            speed_kmh=float(expressway.ramp_speed_kmh),
            name=f"{post.name} off-ramp",
        )
        graph.add_edge(
            post.id,
            lane,
            length_m=expressway.ramp_length_m,
            road_class=RoadClass.RAMP,
            speed_kmh=float(expressway.ramp_speed_kmh),
            name=f"{post.name} on-ramp",
            entrance=post.id,
        )


def _add_service_area(graph: nx.DiGraph, post: KmPost, bearing: float, expressway: ExpresswayConstants) -> None:
    """Parking on each side (in and out on the same carriageway) and a staff-road departure node."""
    parkings = []
    for direction in Direction:
        lane, parking = carriageway_node(post.id, direction), parking_node(post.id, direction)
        right = bearing + 90.0 if direction is Direction.TO_CHANGCHUN else bearing - 90.0
        lat, lon = destination_point(post.lat, post.lon, right, PARKING_OFFSET_M)
        graph.add_node(
            parking,
            name=f"{post.name}, {direction.label} side",
            name_zh=post.name_zh,
            kind="parking",
            lat=lat,
            lon=lon,
            tag=post.tag,
            km=post.km,
            direction=direction,
            post=post.id,
        )
        graph.add_edge(
            lane,
            parking,
            length_m=expressway.sa_slip_length_m,
            road_class=RoadClass.RAMP,
            speed_kmh=float(expressway.sa_slip_speed_kmh),
            name=f"{post.name} entry",
        )
        graph.add_edge(
            parking,
            lane,
            length_m=expressway.sa_slip_length_m,
            road_class=RoadClass.RAMP,
            speed_kmh=float(expressway.sa_slip_speed_kmh),
            name=f"{post.name} exit",
        )
        # a staged coach may leave onto either side; closing the entrance keeps it there
        graph.add_edge(
            post.id,
            lane,
            length_m=expressway.sa_staff_road_length_m,
            road_class=RoadClass.RAMP,
            speed_kmh=float(expressway.sa_staff_road_speed_kmh),
            name=f"{post.name} staff road",
            entrance=post.id,
        )
        parkings.append(parking)
    graph.nodes[post.id]["parking"] = tuple(parkings)


def add_roads(graph: nx.DiGraph, road_rows: Iterable[dict]) -> None:
    for row in road_rows:
        attributes = {
            "length_m": int(row["length_m"]),
            "road_class": RoadClass(row["road_class"]),
            "speed_kmh": float(row["speed_kmh"]),
            "name": row["name"],
            "tag": row["tag"],
        }
        graph.add_edge(row["from"], row["to"], **attributes)
        if row["oneway"] == "no":
            graph.add_edge(row["to"], row["from"], **attributes)
