"""The speed model of docs/world-model.md §2: the weather table, the legal and night caps, congestion,
and time dependence (a coach on the road when the clock passes a mark changes speed there).

Expected seconds are worked out by hand from the rule in each test's comment: G1 carriageways at the
observed coach average of ``expressway.toml`` (90 km/h = 25 m/s), the night cap 0.8 × 100 = 80 km/h
(22.2 m/s), edge times rounded up per edge and the next edge entered at that whole second.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetplan.corridor import load_corridor
from fleetplan.errors import NoRouteError
from fleetplan.model import Conditions, DrivingPolicy, RoadClass, VehicleClass, Weather
from fleetplan.network import Direction, RoadNetwork, SpeedRules, TimeBand, TravelTimes, load_network, time_band
from fleetplan.network.speed import DEFAULT_SPEED_RULES

DATA_DIR = Path(__file__).parents[2] / "data" / "default"
NETWORK_DIR = DATA_DIR / "network"
MONDAY = datetime(2026, 12, 7)
DAY = MONDAY.replace(hour=11)
NIGHT = MONDAY.replace(hour=23)
COACH = VehicleClass.COACH_12M
CLEAR = Conditions("clear")
# K15.7 (Lishu East) → K31.3 (Guojiadian), toward Changchun: 15 600 m
G1_EDGE = ("lishu_east_ic.to_changchun", "guojiadian_ic.to_changchun")
G1_EDGE_M = 15_600
G102_EDGE = ("siping_ne_jct", "guojiadian_town")  # 27 500 m, speed_kmh 80
G102_EDGE_M = 27_500


def at(clock: str, day: datetime = MONDAY) -> datetime:
    hours, minutes = clock.split(":")[:2]
    seconds = int(clock.split(":")[2]) if clock.count(":") == 2 else 0
    return day.replace(hour=int(hours), minute=int(minutes), second=seconds)


def on_g1(weather: Weather) -> Conditions:
    return Conditions(weather.value, weather=((RoadClass.EXPRESSWAY, weather),))


def everywhere(weather: Weather) -> Conditions:
    return Conditions(weather.value, weather=tuple((road_class, weather) for road_class in RoadClass))


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_network(NETWORK_DIR)


@pytest.fixture(scope="module")
def clear(network) -> TravelTimes:
    return TravelTimes(network, CLEAR, COACH)


def seconds(length_m: float, speed_kmh: float) -> float:
    return length_m / (speed_kmh / 3.6)


# --------------------------------------------------------------------------- the weather table
def test_the_weathers_are_those_of_the_world_model():
    assert {w.value for w in Weather} == {
        "clear",
        "rain",
        "snowfall",
        "snow",
        "ice",
        "fog_200",
        "fog_100",
        "fog_50",
        "blizzard",
    }


@pytest.mark.parametrize(
    ("weather", "g1_kmh", "g102_kmh"),
    [
        # road = r × factor, then min(road, legal cap 100 / 80, weather cap); G1 r = 90, G102 r = 80
        (Weather.CLEAR, 90, 80),
        (Weather.RAIN, 90 * 0.85, 80 * 0.85),  # 76.5, 68
        (Weather.SNOWFALL, 90 * 0.6, 80 * 0.6),  # 54, 48: snow falling on a cleared road, no cap
        (Weather.SNOW, 30, 30),  # snow-covered road: ≤30 km/h (Art. 46)
        (Weather.ICE, 30, 30),  # icy road: ≤30 km/h (Art. 46)
        (Weather.FOG_200, 60, 60),  # visibility < 200 m: ≤60 km/h (Art. 81)
        (Weather.FOG_100, 40, 40),  # < 100 m: ≤40
        (Weather.FOG_50, 20, 20),  # < 50 m: ≤20
        (Weather.BLIZZARD, 40, 40),  # min(90 × 0.6 = 54, 40) and min(80 × 0.6 = 48, 40)
    ],
)
def test_each_weather_by_day_on_g1_and_g102(network, weather, g1_kmh, g102_kmh):
    times = TravelTimes(network, everywhere(weather), COACH)
    assert times.edge_time_s(*G1_EDGE, DAY) == pytest.approx(seconds(G1_EDGE_M, g1_kmh), abs=1)
    assert times.edge_time_s(*G1_EDGE, DAY) >= seconds(G1_EDGE_M, g1_kmh)
    assert times.edge_time_s(*G102_EDGE, DAY) == pytest.approx(seconds(G102_EDGE_M, g102_kmh), abs=1)


def test_snow_caps_g1_and_g102_at_30_kmh_by_day_and_night(network):
    snow = TravelTimes(network, everywhere(Weather.SNOW), COACH)
    for moment in (DAY, NIGHT):
        assert snow.edge_time_s(*G1_EDGE, moment) == 1872  # 15 600 m / (30 / 3.6 m/s) = 1872 s
        assert snow.edge_time_s(*G102_EDGE, moment) == 3300  # 27 500 m at 30 km/h


def test_in_the_blizzard_preset_g1_is_faster_than_g102(network):
    blizzard = load_corridor(DATA_DIR).dataset.conditions_named("blizzard")
    times = TravelTimes(network, blizzard, COACH)
    g1_s_per_m = times.edge_time_s(*G1_EDGE, DAY) / G1_EDGE_M
    g102_s_per_m = times.edge_time_s(*G102_EDGE, DAY) / G102_EDGE_M
    assert g1_s_per_m < g102_s_per_m  # 40 km/h (blizzard) against 30 km/h (snow-covered)


def test_the_night_cap_and_a_weather_cap_take_the_lower(network):
    rules = DEFAULT_SPEED_RULES
    # snowfall at night on G1: min(90 × 0.6 = 54, 100, 80) = 54
    assert rules.speed_kmh(RoadClass.EXPRESSWAY, 90.0, COACH, Weather.SNOWFALL, time(23, 0)) == pytest.approx(54)
    # rain at night: min(76.5, 100, 80) = 76.5; clear at night: min(90, 100, 80) = 80
    assert rules.speed_kmh(RoadClass.EXPRESSWAY, 90.0, COACH, Weather.RAIN, time(23, 0)) == pytest.approx(76.5)
    assert rules.speed_kmh(RoadClass.EXPRESSWAY, 90.0, COACH, Weather.CLEAR, time(23, 0)) == pytest.approx(80)
    # fog_200 on G102 at night: min(80, 80, 64, 60) = 60
    assert rules.speed_kmh(RoadClass.NATIONAL, 80.0, COACH, Weather.FOG_200, time(23, 0)) == pytest.approx(60)
    # city street r = 50 at 08:00: min(50 × 0.6 = 30, 60) = 30; at 12:00 50 × 0.85 = 42.5; at 23:00 min(50, 48) = 48
    assert rules.speed_kmh(RoadClass.CITY, 50.0, COACH, Weather.CLEAR, time(8, 0)) == pytest.approx(30)
    assert rules.speed_kmh(RoadClass.CITY, 50.0, COACH, Weather.CLEAR, time(12, 0)) == pytest.approx(42.5)
    assert rules.speed_kmh(RoadClass.CITY, 50.0, COACH, Weather.CLEAR, time(23, 0)) == pytest.approx(48)


def test_in_fog_below_50_m_no_coach_enters_g1_and_one_on_it_leaves_at_the_next_exit(network):
    fog = TravelTimes(network, on_g1(Weather.FOG_50), COACH)
    route = fog.route("G1 K50 toward Changchun", "changchun_depot", DAY)
    # K50 lies between Taojiatun (K45, a service area: no exit) and Gongzhuling (K56.1): it leaves there
    assert route.path[:2] == ("gongzhuling_ic.to_changchun", "gongzhuling_ic")
    beyond = [n for n in route.path if network.graph.nodes[n].get("kind") == "carriageway"]
    assert beyond == ["gongzhuling_ic.to_changchun"]
    assert route.uses("G102")
    from_depot = fog.route("siping_depot", "changchun_depot", DAY)
    assert not from_depot.uses("G1")


def test_in_fog_below_50_m_a_point_past_the_next_exit_is_out_of_reach(network):
    fog = TravelTimes(network, on_g1(Weather.FOG_50), COACH)
    with pytest.raises(NoRouteError, match="visibility below 50 m"):
        fog.route("G1 K50 toward Changchun", "G1 K60 toward Changchun", DAY)
    # before the exit it is driven at 20 km/h: 5 000 m / (20 / 3.6) = 900 s
    assert fog.travel_time_s("G1 K50 toward Changchun", "G1 K55 toward Changchun", DAY) == 900


def test_fog_presets_and_the_snowfall_preset_are_in_the_data():
    dataset = load_corridor(DATA_DIR).dataset
    snow = dataset.conditions_named("snow")
    assert all(snow.weather_on(road) is Weather.SNOW for road in RoadClass)
    assert "30" in snow.description
    snowfall = dataset.conditions_named("snowfall")
    assert snowfall.weather_on(RoadClass.EXPRESSWAY) is Weather.SNOWFALL
    fogs = [c for c in dataset.conditions if c.weather_on(RoadClass.EXPRESSWAY).value.startswith("fog")]
    assert fogs and all(c.description for c in fogs)


# --------------------------------------------------------------------------- time dependence
def test_a_g1_edge_entered_at_21_55_slows_down_at_22_00(clear):
    # 300 s at 25 m/s = 7 500 m; the other 8 100 m at 22.2 m/s = 364.5 s; 664.5 s rounded up
    assert clear.edge_time_s(*G1_EDGE, at("21:55")) == 665


def test_a_g1_edge_entered_at_05_55_speeds_up_at_06_00(clear):
    # 300 s at 22.2 m/s = 6 666.7 m; the other 8 933.3 m at 25 m/s = 357.3 s; 657.3 s rounded up
    assert clear.edge_time_s(*G1_EDGE, at("05:55")) == 658


def test_a_street_entered_at_06_59_slows_down_for_the_morning_peak(clear):
    # siping_depot → siping_gov, 2 900 m, r = 50: 60 s at 42.5 km/h (11.81 m/s) = 708.3 m, then
    # 2 191.7 m at 30 km/h (8.33 m/s) = 263 s; 323 s
    assert clear.edge_time_s("siping_depot", "siping_gov", at("06:59")) == 323


def test_a_part_of_a_carriageway_is_driven_through_the_marks_too(clear):
    # K20 → K30 toward Changchun (one edge): 120 s at 25 m/s = 3 000 m, 7 000 m at 22.2 m/s = 315 s
    assert clear.travel_time_s("G1 K20 toward Changchun", "G1 K30 toward Changchun", at("21:58")) == 435


def test_the_next_edge_is_entered_at_the_whole_second_the_last_one_ended(clear):
    # K20 → K31.3: 11 300 m at 25 m/s = 452 s, entered at 21:50:00, left at 21:57:32;
    # K31.3 → K40: 148 s at 25 m/s = 3 700 m before 22:00, 5 000 m at 22.2 m/s = 225 s after; 452 + 373
    assert clear.travel_time_s("G1 K20 toward Changchun", "G1 K40 toward Changchun", at("21:50")) == 825


def test_a_route_time_is_its_edges_driven_one_after_the_other(clear):
    depart = at("21:47:13")
    route = clear.route("siping_depot", "changchun_depot", depart)
    clock = depart
    for u, v in zip(route.path, route.path[1:]):
        clock += timedelta(seconds=clear.edge_time_s(u, v, clock))
    assert route.travel_time_s == (clock - depart).total_seconds()


def test_leaving_at_21_50_or_22_00_differs_by_a_few_minutes_at_most(clear):
    before = clear.travel_time_s("siping_depot", "changchun_depot", at("21:50"))
    after = clear.travel_time_s("siping_depot", "changchun_depot", at("22:00"))
    assert abs(after - before) <= 3 * 60


def test_a_route_across_22_00_lies_between_the_day_and_the_night_route(clear):
    day = clear.travel_time_s("siping_depot", "changchun_depot", at("20:00"))
    across = clear.travel_time_s("siping_depot", "changchun_depot", at("21:15"))
    night = clear.travel_time_s("siping_depot", "changchun_depot", at("22:30"))
    assert day < across < night


def test_a_route_band_is_the_band_of_its_departure(clear):
    assert clear.route("siping_depot", "changchun_depot", at("21:50")).band is TimeBand.DAY
    assert clear.route("siping_depot", "changchun_depot", at("22:00")).band is TimeBand.NIGHT


@settings(max_examples=40, deadline=None)
@given(
    start_s=st.integers(min_value=0, max_value=86_399),
    later_s=st.integers(min_value=1, max_value=900),
    ends=st.sampled_from(
        [
            ("siping_depot", "changchun_depot"),
            ("changchun_gov", "G1 K78 toward Changchun"),
            ("siping_station", "changchun_hightech"),
        ]
    ),
)
def test_leaving_later_never_arrives_earlier(clear, start_s, later_s, ends):
    first = MONDAY + timedelta(seconds=start_s)
    second = first + timedelta(seconds=later_s)
    arrive_first = first + timedelta(seconds=clear.travel_time_s(*ends, first))
    arrive_second = second + timedelta(seconds=clear.travel_time_s(*ends, second))
    assert arrive_second >= arrive_first


def test_a_route_past_midnight_uses_the_next_day_marks(clear):
    # 05:59:00 on G1: 60 s at 22.2 m/s = 1 333.3 m, 14 266.7 m at 25 m/s = 570.7 s; 630.7 → 631
    assert clear.edge_time_s(*G1_EDGE, at("05:59")) == 631
    assert clear.edge_time_s(*G1_EDGE, at("05:59") - timedelta(days=1)) == 631


# --------------------------------------------------------------------------- the policy's night
def test_the_night_window_comes_from_the_policy(network, clear):
    late = SpeedRules.for_policy(DrivingPolicy(night_start=time(23, 0), night_end=time(5, 0)))
    shifted = TravelTimes(network, CLEAR, COACH, rules=late)
    assert shifted.edge_time_s(*G1_EDGE, at("22:30")) == 624  # still day: 15 600 m at 25 m/s
    assert clear.edge_time_s(*G1_EDGE, at("22:30")) == 702  # night from 22:00: 15 600 m at 22.2 m/s
    assert time_band(time(22, 30), late) is TimeBand.DAY
    assert time_band(time(22, 30)) is TimeBand.NIGHT


def test_the_default_night_is_the_default_policy_file():
    policy = tomllib.loads((DATA_DIR / "policy.toml").read_text(encoding="utf-8"))
    rules = DEFAULT_SPEED_RULES
    assert (rules.night_start.strftime("%H:%M"), rules.night_end.strftime("%H:%M")) == (
        policy["night_start"],
        policy["night_end"],
    )


def test_g1_carriageways_are_driven_at_the_observed_coach_average(network):
    constants = tomllib.loads((NETWORK_DIR / "expressway.toml").read_text(encoding="utf-8"))
    speeds = {d["speed_kmh"] for _, _, d in network.graph.edges(data=True) if d.get("direction") in set(Direction)}
    assert speeds == {constants["carriageway_speed_kmh"]} == {90}


# --------------------------------------------------------------------------- depot to depot, by hand
def test_depot_to_depot_at_11_00_by_hand(clear):
    # siping_depot → siping_south_jct, city 2 600 m, 50 × 0.85 = 42.5 km/h: 220.2 → 221 s
    # siping_south_jct → wulipo_ic, national 2 400 m at 60 km/h: 144 s; on-ramp 800 m at 30 km/h: 96 s
    # G1 K0 → K110.8 at 90 km/h (25 m/s), per edge: 628 + 624 + 548 + 444 + 236 + 396 + 624 + 500 + 432 = 4 432 s
    # off-ramp 96 s; changchun_south_ic → changchun_depot, city 5 900 m, 60 × 0.85 = 51 km/h: 416.5 → 417 s
    # 221 + 144 + 96 + 4 432 + 96 + 417 = 5 406 s (90.1 min)
    assert clear.travel_time_s("siping_depot", "changchun_depot", at("11:00")) == 5406


def test_depot_to_depot_at_22_00_by_hand(clear):
    # streets at night: min(50, 60, 0.8 × 60 = 48) = 48 km/h: 2 600 m → 195 s; 5 900 m → 442.5 → 443 s
    # access road min(60, 80, 64) = 60 km/h: 144 s; ramps 30 km/h: 96 s each
    # G1 at min(90, 100, 80) = 80 km/h, per edge (K0–15.7–31.3–45–56.1–62–71.9–87.5–100–110.8):
    # 707 + 702 + 617 + 500 + 266 + 446 + 702 + 563 + 486 = 4 989 s
    # 195 + 144 + 96 + 4 989 + 96 + 443 = 5 963 s (99.4 min; the day-band model said 101.4 min)
    assert clear.travel_time_s("siping_depot", "changchun_depot", at("22:00")) == 5963


def _earliest_by_relaxation(times: TravelTimes, source: str, depart: datetime) -> dict[str, int]:
    """Earliest arrival (s after ``depart``) at every node by relaxing every edge until nothing changes:
    slow, simple and independent of the Dijkstra and its kept searches."""
    arrival = {source: 0}
    changed = True
    while changed:
        changed = False
        for u, v in times.network.graph.edges:
            if u in arrival:
                reached = arrival[u] + times.edge_time_s(u, v, depart + timedelta(seconds=arrival[u]))
                if reached < arrival.get(v, reached + 1):
                    arrival[v], changed = reached, True
    return arrival


@settings(max_examples=10, deadline=None)
@given(
    start_s=st.integers(min_value=0, max_value=86_399),
    later_s=st.integers(min_value=1, max_value=3_600),
    source=st.sampled_from(["siping_depot", "changchun_gov", "gongzhuling_city", "G1 K78 toward Changchun"]),
)
def test_the_earliest_arrivals_agree_with_plain_relaxation(clear, start_s, later_s, source):
    """Also for a second start soon after the first, which the kept searches may answer."""
    for depart in (MONDAY + timedelta(seconds=start_s), MONDAY + timedelta(seconds=start_s + later_s)):
        start, lead_s = source, 0
        if source.startswith("G1"):  # a point on a carriageway: drive to the end of its edge first
            point = clear.network.locate(source).edge_points[0]
            start, lead_s = point.v, clear.travel_time_s(source, point.v, depart)
        expected = _earliest_by_relaxation(clear, start, depart + timedelta(seconds=lead_s))
        for node in sorted(expected, key=lambda n: -expected[n]):  # far ones first: the rest reuse the search
            if clear.network.graph.nodes[node].get("kind") in ("service_area", "parking"):
                continue  # a service area is arrived at on its parking, which the relaxation counts apart
            assert clear.travel_time_s(source, node, depart) == lead_s + expected[node], (node, depart)
