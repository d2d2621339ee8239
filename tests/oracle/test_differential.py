"""Differential tests: the independent oracle against the engine, on generated routes and duty logs
(and, in :mod:`tests.oracle.test_differential_plans`, on tiers and whole dispatches).

Both follow docs/world-model.md; where they disagree one of them is wrong about the world. Each test
asserts what the world-model says; a test that finds a defect of the engine still present is marked
``xfail(strict=True)`` with the defect named, so that it turns into a failure once the engine is fixed.

The number of examples is small by default (the suite is time-bounded); for a long run set
``FLEETPLAN_ORACLE_EXAMPLES`` (e.g. ``FLEETPLAN_ORACLE_EXAMPLES=5000 pytest tests/oracle/test_differential*.py``).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fleetplan.dataset import load_dataset
from fleetplan.errors import NoRouteError
from fleetplan.model import (
    Activity,
    Driver,
    DrivingPolicy,
    DutyInterval,
    LicenceClass,
    OvernightRule,
    Vehicle,
    VehicleClass,
    VehicleStatus,
)
from fleetplan.network import TravelTimes, load_network
from fleetplan.oracle import read_world
from fleetplan.oracle.duty import Interval, overnight_applies, personal_findings, time_findings
from fleetplan.oracle.from_dataset import coach_of, driver_of, policy_of
from fleetplan.oracle.paths import Router
from fleetplan.oracle.places import locate
from fleetplan.oracle.roads import build_graph
from fleetplan.oracle.speed import to_s
from fleetplan.rules import ProposedDrive, violations_at

DATA = Path(__file__).parents[2] / "data" / "default"
EXAMPLES = int(os.environ.get("FLEETPLAN_ORACLE_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WEEK = datetime(2026, 12, 7)


# --------------------------------------------------------------------------- (a) travel times
@cache
def engine():
    return load_network(DATA / "network"), load_dataset(DATA)


@cache
def oracle():
    world = read_world(DATA)
    return world, build_graph(world)


def places() -> list[str]:
    world, graph = oracle()
    return sorted(node for node, kind in graph.kinds.items() if kind != "parking")


@st.composite
def location(draw, on_g1: bool = False) -> str:
    """A node, a kilometre post between two posts (a post itself: test_a_coach_at_an_interchange_post…),
    or a ``lat,lon`` near a road whose carriageway, on G1, is not ambiguous."""
    world, graph = oracle()
    posts = {round(p.km * 1000) for p in world.posts}
    if not on_g1 and draw(st.integers(0, 3)) == 0:
        edge = draw(st.sampled_from([e for e in graph.edges if e.road_class != "ramp"]))
        share, north, east = draw(st.floats(0, 1)), draw(st.floats(-0.002, 0.002)), draw(st.floats(-0.002, 0.002))
        (lat0, lon0), (lat1, lon1) = graph.coords[edge.start], graph.coords[edge.end]
        text = f"{lat0 + share * (lat1 - lat0) + north:.6f},{lon0 + share * (lon1 - lon0) + east:.6f}"
        place = locate(graph, text)
        # a point at a post is the post's node: test_a_coach_at_an_interchange_post_may_leave_there
        assume(not place.side_ambiguous and graph.kinds.get(place.node or "") != "carriageway")
        return text
    if on_g1 or draw(st.booleans()):
        metres = draw(st.integers(1, round(world.posts[-1].km * 1000) - 1).filter(lambda m: m not in posts))
        toward = draw(st.sampled_from(["Changchun", "Siping"]))
        return f"G1 K{metres // 1000}+{metres % 1000:03d} toward {toward}"
    return draw(st.sampled_from(places()))


def departures(start_h: int = 0, end_h: int = 24) -> st.SearchStrategy[datetime]:
    """A second of the week between ``start_h`` and ``end_h`` o'clock."""
    return st.builds(
        lambda day, second: WEEK + timedelta(days=day, seconds=second),
        st.integers(0, 6),
        st.integers(start_h * 3600, end_h * 3600 - 1),
    )


def both(origin: str, destination: str, depart: datetime, preset: str) -> tuple[int | None, int | None, int]:
    """(engine seconds, oracle seconds, tolerance: 1 s per edge of the oracle's route, and 1 s for a
    point snapped within a metre of a node, which the oracle takes for the node)."""
    network, dataset = engine()
    try:
        engine_s = TravelTimes(network, dataset.conditions_named(preset), VehicleClass.COACH_12M).route(
            origin, destination, depart
        )
        engine_time: int | None = engine_s.travel_time_s
    except NoRouteError:
        engine_time = None
    world, graph = oracle()
    found = Router(graph, world.preset(preset), world.policy).fastest(
        locate(graph, origin), locate(graph, destination), to_s(depart)
    )
    return engine_time, (found.seconds if found else None), (len(found.legs) + 1 if found else 0)


def agree(engine_s: int | None, oracle_s: int | None, tolerance_s: int) -> bool:
    if engine_s is None or oracle_s is None:
        return engine_s is oracle_s
    return abs(engine_s - oracle_s) <= tolerance_s


@SETTINGS
@given(location(), location(), departures(9, 15))
def test_travel_times_agree_by_day_in_clear_weather(origin, destination, depart):
    engine_s, oracle_s, tolerance = both(origin, destination, depart, "clear")
    assert agree(engine_s, oracle_s, tolerance), (engine_s, oracle_s)


@SETTINGS
@given(location(), location(), departures())
def test_travel_times_agree_around_the_clock_in_clear_weather(origin, destination, depart):
    engine_s, oracle_s, tolerance = both(origin, destination, depart, "clear")
    assert agree(engine_s, oracle_s, tolerance), (engine_s, oracle_s)


def presets(*, closures: bool) -> list[str]:
    world, _ = oracle()
    closing = {
        p.name for p in world.presets if p.closed_entrances or p.closed_edges or "fog_50" in dict(p.weather).values()
    }
    return sorted((closing if closures else {p.name for p in world.presets} - closing) - {"clear"})


@SETTINGS
@given(location(), location(), departures(), st.data())
def test_travel_times_agree_in_every_weather(origin, destination, depart, data):
    preset = data.draw(st.sampled_from(presets(closures=False)))
    engine_s, oracle_s, tolerance = both(origin, destination, depart, preset)
    assert agree(engine_s, oracle_s, tolerance), (preset, engine_s, oracle_s)


@SETTINGS
@given(location(on_g1=True), location(), departures(), st.data())
def test_travel_times_agree_under_closures_for_coaches_already_on_g1(origin, destination, depart, data):
    preset = data.draw(st.sampled_from(presets(closures=True)))
    engine_s, oracle_s, tolerance = both(origin, destination, depart, preset)
    assert agree(engine_s, oracle_s, tolerance), (preset, engine_s, oracle_s)


@SETTINGS
@given(location(), location(), departures(), st.data())
def test_travel_times_agree_under_closures_from_anywhere(origin, destination, depart, data):
    preset = data.draw(st.sampled_from(presets(closures=True)))
    engine_s, oracle_s, tolerance = both(origin, destination, depart, preset)
    assert agree(engine_s, oracle_s, tolerance), (preset, engine_s, oracle_s)


# --------------------------------------------------------------------------- (b) duty logs
DRIVER = Driver(
    "d1", "x", LicenceClass.A1, date(2010, 5, 1), date(1980, 7, 1), date(2030, 1, 1), "depot", time(0, 0), time(0, 0)
)
COACH = Vehicle(
    "c1",
    "吉C·00001",
    VehicleClass.COACH_12M,
    49,
    12.0,
    date(2020, 1, 1),
    "depot",
    VehicleStatus.STANDBY,
    date(2030, 1, 1),
)
ENGINE_RULE = {
    "continuous_day": "continuous",
    "continuous_night": "continuous",
    "rest_too_short": "continuous",
    "daily_8h": "24h",
    "weekly_44h": "7d",
    "overnight_stop": "overnight",
    "double_booked": "double_booked",
    "licence_class": "licence",
    "probation": "probation",
    "age": "age",
    "qualification": "qualification",
}


@st.composite
def duty_case(draw):
    """A legal history of one driver before a proposed drive (and maybe duty after it), the drive, and
    the policy: the history is drawn as gaps and lengths in minutes so that it never overlaps."""
    moment = WEEK - timedelta(days=7) + timedelta(minutes=draw(st.integers(0, 600)))
    before = []
    for _ in range(draw(st.integers(0, 24))):
        moment += timedelta(
            minutes=draw(st.sampled_from([0, 5, 15, 19, 20, 21, 45, 120, 600])) + draw(st.integers(0, 30))
        )
        length = timedelta(minutes=draw(st.integers(5, 240)))
        activity = draw(st.sampled_from([Activity.DRIVE, Activity.DRIVE, Activity.OTHER, Activity.REST]))
        before.append(DutyInterval("d1", moment, moment + length, activity))
        moment += length
    start = max(moment, WEEK - timedelta(days=1)) + timedelta(minutes=draw(st.integers(0, 24 * 60)))
    start += timedelta(seconds=draw(st.integers(0, 59)))
    duration_s = draw(st.integers(60, 5 * 3600))
    after = []
    if draw(st.booleans()):
        later = start + timedelta(seconds=duration_s + 60 * draw(st.sampled_from([0, 10, 19, 20, 30, 90])))
        after.append(DutyInterval("d1", later, later + timedelta(minutes=draw(st.integers(10, 180))), Activity.DRIVE))
    policy = DrivingPolicy(overnight_rule=draw(st.sampled_from(list(OvernightRule))))
    distance = draw(st.one_of(st.none(), st.integers(20_000, 260_000)))
    return tuple(before + after), ProposedDrive(start, duration_s, distance, draw(st.booleans())), policy


def oracle_rules(log, drive, policy, driver=DRIVER, vehicle=COACH) -> set[str]:
    ours = policy_of(policy)
    intervals = [Interval(i.start, i.end, str(i.activity)) for i in log]
    intervals.append(Interval(drive.start, drive.end, "drive", True))
    overnight = overnight_applies(ours, drive.distance_m, drive.commuter)
    found = {f.rule for f in time_findings(intervals, ours, overnight)}
    person = personal_findings(driver_of(driver), coach_of(vehicle), drive.start, drive.end, ours)
    return found | {f.rule for f in person}


def history_legal(log, policy) -> bool:
    """The oracle finds nothing in the history itself (every interval judged)."""
    every = [Interval(i.start, i.end, str(i.activity), True) for i in log]
    return not time_findings(every, policy_of(policy), False)


def engine_rules(log, drive, policy, driver=DRIVER, vehicle=COACH) -> set[str]:
    return {ENGINE_RULE[str(v.code)] for v in violations_at(driver, log, drive, vehicle, policy)}


@SETTINGS
@given(duty_case())
def test_driving_time_rules_agree(case):
    log, drive, policy = case
    assume(history_legal(log, policy))
    assert engine_rules(log, drive, policy) == oracle_rules(log, drive, policy)


@st.composite
def person_case(draw):
    drive_day = WEEK + timedelta(days=draw(st.integers(0, 6)), hours=draw(st.integers(0, 23)))
    birth = draw(st.dates(date(1960, 1, 1), date(1968, 12, 31)))
    issued = draw(st.dates(date(2024, 6, 1), date(2026, 12, 13)))
    driver = Driver(
        "d1",
        "x",
        draw(st.sampled_from(list(LicenceClass))),
        max(issued, birth + timedelta(days=6600)),
        birth,
        draw(st.one_of(st.none(), st.dates(date(2026, 12, 1), date(2026, 12, 20)))),
        "depot",
        time(0, 0),
        time(0, 0),
    )
    length = draw(st.sampled_from([5.0, 5.9, 6.0, 7.0, 12.0]))
    seats = draw(st.integers(8, 30))
    vehicle = Vehicle(
        "c1",
        "吉C·00001",
        VehicleClass.MINIBUS_7M,
        seats,
        length,
        date(2020, 1, 1),
        "depot",
        VehicleStatus.STANDBY,
        date(2030, 1, 1),
    )
    drive = ProposedDrive(drive_day, draw(st.integers(60, 4 * 3600)), 120_000, True)
    return driver, vehicle, drive


@SETTINGS
@given(person_case())
def test_person_rules_agree(case):
    driver, vehicle, drive = case
    policy = DrivingPolicy()
    assert engine_rules((), drive, policy, driver, vehicle) == oracle_rules((), drive, policy, driver, vehicle)


# 乘坐人数 counts the driver: 19 passenger seats + the driver = 20 people, an A1 coach however short
def test_a_short_bus_with_19_seats_takes_an_a1_licence_in_both():
    driver = replace(DRIVER, licence_class=LicenceClass.B1)
    bus = replace(COACH, seats=19, length_m=5.9)
    drive = ProposedDrive(WEEK + timedelta(hours=10), 3600, 120_000, True)
    assert engine_rules((), drive, DrivingPolicy(), driver, bus) == oracle_rules(
        (), drive, DrivingPolicy(), driver, bus
    )


# A kilometre post exactly at an interchange used to land on whichever carriageway edge the iteration met
# first, sometimes past the off-ramp (G1 K0 toward Changchun, K31.3 toward Siping; a lat,lon snapped onto
# the Xinglongshan post took 5690 s to a point 200 m away): a point at an edge's end is now that node.
def test_a_coach_at_an_interchange_post_may_leave_there():
    world, _ = oracle()
    network, dataset = engine()
    travel = TravelTimes(network, dataset.conditions_named("clear"), VehicleClass.COACH_12M)
    stuck = []
    at_posts = [
        (f"G1 K{p.km:g} toward {toward}", p.id) for p in world.posts if p.is_exit for toward in ("Changchun", "Siping")
    ]
    for text, post_id in [*at_posts, ("43.931791,125.544914", "xinglongshan_ic")]:
        try:
            seconds = travel.route(text, post_id, WEEK + timedelta(hours=11)).travel_time_s
        except NoRouteError:
            seconds = None
        if seconds is None or seconds > 120:  # the off-ramp, 800 m at 30 km/h, is 96 s
            stuck.append((text, seconds))
    assert stuck == []


# --------------------------------------------------------------------------- (c) road distances at posts
def test_road_distances_to_every_100_m_post_agree_to_the_millimetre():
    # a tier's radius is a bound on a road distance (world-model §5): K114.1 toward Siping lies exactly
    # 50 km from the Changchun backups, and float metres of 50000.000000000007 made it "corridor"
    from fleetplan.network.distance import road_distance_m as engine_distance_m
    from fleetplan.oracle.paths import road_distance_m as oracle_distance_m

    network, dataset = engine()
    _, graph = oracle()
    depots = sorted({vehicle.home_depot for vehicle in dataset.vehicles})
    last = round(network.section_km[1] * 10)
    for tenths in range(0, last + 1):
        for toward in ("Changchun", "Siping"):
            text = f"G1 K{tenths / 10:g} toward {toward}"
            here, there = network.locate(text), locate(graph, text)
            for depot in depots:
                mine, theirs = engine_distance_m(network, depot, here), oracle_distance_m(graph, depot, there)
                assert (mine is None) == (theirs is None), (text, depot)
                if mine is not None:
                    assert abs(mine - float(theirs)) < 1e-3, (text, depot, mine, theirs)
                    assert round(mine, 3) == mine, (text, depot, mine)  # no float dust across a radius
