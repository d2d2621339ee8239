"""Travel times and routes: the issue's must-show cases, legal caps, weather, congestion and closures."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetplan.errors import InvalidValueError, NoRouteError
from fleetplan.model import Conditions, RoadClass, VehicleClass, Weather
from fleetplan.network import Direction, RoadNetwork, TimeBand, TravelTimes, load_network, time_band
from fleetplan.network.speed import DEFAULT_SPEED_RULES
from fleetplan.units import MINUTE, travel_time_s

NETWORK_DIR = Path(__file__).parents[2] / "data" / "default" / "network"
DAY = datetime(2026, 12, 7, 11, 0)  # a Monday, between the peaks
NIGHT = datetime(2026, 12, 7, 23, 0)
MORNING_PEAK = datetime(2026, 12, 7, 8, 0)

CLEAR = Conditions("clear")
ALL_ENTRANCES_CLOSED = Conditions("g1 closed", closed_entrances=frozenset({"*"}))
COACH = VehicleClass.COACH_12M


def everywhere(weather: Weather) -> Conditions:
    return Conditions(weather.value, weather=tuple((road_class, weather) for road_class in RoadClass))


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    return load_network(NETWORK_DIR)


@pytest.fixture(scope="module")
def clear(network) -> TravelTimes:
    return TravelTimes(network, CLEAR, COACH)


def _km(network: RoadNetwork, node: str) -> float | None:
    return network.graph.nodes[node].get("km")


def _direction(network: RoadNetwork, node: str) -> Direction | None:
    return network.graph.nodes[node].get("direction")


def _g1_edge(network: RoadNetwork, direction: Direction, km: float) -> tuple[str, str]:
    return next(
        (u, v)
        for u, v, d in network.graph.edges(data=True)
        if d.get("direction") == direction and min(d["km_from"], d["km_to"]) <= km <= max(d["km_from"], d["km_to"])
    )


# --------------------------------------------------------------------------- must show
def test_depot_to_depot_by_day_in_clear_weather_takes_80_to_130_min_on_g1(clear):
    route = clear.route("siping_depot", "changchun_depot", DAY)
    assert 80 * MINUTE <= route.travel_time_s <= 130 * MINUTE
    assert route.uses("G1") and not route.uses("G102")
    assert route.roads == ("Siping streets", "Wulipo access road", "G1", "Changchun streets")


def test_at_23_00_the_same_trip_is_slower(clear):
    day = clear.route("siping_depot", "changchun_depot", DAY)
    night = clear.route("siping_depot", "changchun_depot", NIGHT)
    assert night.path == day.path
    assert night.travel_time_s > day.travel_time_s
    assert night.band is TimeBand.NIGHT


def test_under_snow_it_takes_at_least_one_and_a_half_times_the_clear_time(network, clear):
    clear_s = clear.travel_time_s("siping_depot", "changchun_depot", DAY)
    snow_s = TravelTimes(network, everywhere(Weather.SNOW), COACH).travel_time_s("siping_depot", "changchun_depot", DAY)
    assert snow_s >= 1.5 * clear_s


def test_with_g1_entrances_closed_the_path_uses_g102(network):
    route = TravelTimes(network, ALL_ENTRANCES_CLOSED, COACH).route("siping_depot", "changchun_depot", DAY)
    assert route.uses("G102") and not route.uses("G1")
    assert RoadClass.EXPRESSWAY not in route.road_classes


def test_a_point_toward_changchun_is_reached_from_the_siping_side(network, clear):
    """A coach from Changchun passes K65 on the other carriageway, turns at Gongzhuling, comes back."""
    route = clear.route("changchun_depot", "G1 K65 toward Changchun", DAY)
    path = route.path
    turn = path.index("gongzhuling_ic")
    southbound, northbound = path[:turn], path[turn + 1 :]
    assert all(_direction(network, node) in (None, Direction.TO_SIPING) for node in southbound)
    assert all(_direction(network, node) is Direction.TO_CHANGCHUN for node in northbound)
    # it passed the point: it was on the Siping-bound carriageway south of K65 before turning
    assert min(_km(network, n) for n in southbound if _direction(network, n) is Direction.TO_SIPING) < 65
    # and it reached the point from upstream, the Siping side
    assert _km(network, path[-1]) < 65
    # the service area between K65 and the interchange was no place to turn
    assert "gongzhuling_sa.to_siping" in southbound
    assert route.length_m > 2 * (110.8 - 56.1) * 1000 - (110.8 - 65) * 1000


def test_from_the_siping_side_the_same_point_needs_no_turn(network, clear):
    route = clear.route("siping_depot", "G1 K78 toward Changchun", DAY)
    assert not any(_direction(network, node) is Direction.TO_SIPING for node in route.path)


def test_the_siping_bound_point_is_reached_from_changchun_without_a_turn(network, clear):
    route = clear.route("changchun_depot", "G1 K78 toward Siping", DAY)
    assert not any(_direction(network, node) is Direction.TO_CHANGCHUN for node in route.path)
    assert route.length_m < clear.route("changchun_depot", "G1 K78 toward Changchun", DAY).length_m


# --------------------------------------------------------------------------- lengths
def test_depot_to_depot_via_g1_is_115_to_130_km(clear):
    assert 115_000 <= clear.route("siping_depot", "changchun_depot", DAY).length_m <= 130_000


def test_city_centre_to_city_centre_via_g1_is_115_to_130_km(clear):
    route = clear.route("siping_gov", "changchun_gov", DAY)
    assert route.uses("G1") and 115_000 <= route.length_m <= 130_000


def test_depot_to_depot_via_g102_is_115_to_125_km(network):
    route = TravelTimes(network, ALL_ENTRANCES_CLOSED, COACH).route("siping_depot", "changchun_depot", DAY)
    assert 115_000 <= route.length_m <= 125_000


def test_a_node_to_node_time_is_the_sum_of_its_whole_second_edge_times(clear):
    route = clear.route("siping_depot", "changchun_depot", DAY)
    edges = list(zip(route.path, route.path[1:]))
    assert isinstance(route.travel_time_s, int)
    assert route.travel_time_s == sum(clear.edge_time_s(u, v, DAY) for u, v in edges)
    assert route.length_m == sum(clear.network.graph.edges[e]["length_m"] for e in edges)


# --------------------------------------------------------------------------- speed rules
def test_coaches_drive_g1_at_the_observed_90_kmh_by_day_and_at_the_80_kmh_night_cap(network, clear):
    edge = _g1_edge(network, Direction.TO_CHANGCHUN, 70)
    length_m = network.graph.edges[edge]["length_m"]
    assert network.graph.edges[edge]["speed_kmh"] == 90  # observed coach average (expressway.toml)
    assert clear.edge_time_s(*edge, DAY) == travel_time_s(length_m, 90)  # min(90, 100)
    assert clear.edge_time_s(*edge, NIGHT) == travel_time_s(length_m, 80)  # min(90, 100, 0.8 × 100)


def test_the_legal_cap_holds_a_faster_road_to_100_kmh():
    speed = DEFAULT_SPEED_RULES.speed_kmh(RoadClass.EXPRESSWAY, 120.0, COACH, Weather.CLEAR, time(11, 0))
    assert speed == 100  # 实施条例 Art. 78


@pytest.mark.parametrize("vehicle_class", list(VehicleClass))
def test_every_vehicle_class_is_a_coach_driving_g1_at_90_kmh(network, vehicle_class):
    edge = _g1_edge(network, Direction.TO_SIPING, 30)
    times = TravelTimes(network, CLEAR, vehicle_class)
    assert times.edge_time_s(*edge, DAY) == travel_time_s(network.graph.edges[edge]["length_m"], 90)


def test_ice_caps_every_road_at_30_kmh(network):
    icy = TravelTimes(network, everywhere(Weather.ICE), COACH)
    for u, v, data in network.graph.edges(data=True):
        for moment in (DAY, NIGHT):
            assert icy.edge_time_s(u, v, moment) >= travel_time_s(data["length_m"], 30)
    edge = _g1_edge(network, Direction.TO_CHANGCHUN, 70)
    assert icy.edge_time_s(*edge, DAY) == travel_time_s(network.graph.edges[edge]["length_m"], 30)


def test_blizzard_caps_the_expressway_at_40_kmh(network):
    blizzard = TravelTimes(network, everywhere(Weather.BLIZZARD), COACH)
    edge = _g1_edge(network, Direction.TO_CHANGCHUN, 70)
    assert blizzard.edge_time_s(*edge, DAY) == travel_time_s(network.graph.edges[edge]["length_m"], 40)


def test_rain_is_between_clear_and_snowfall(network, clear):
    def trip_s(conditions: Conditions) -> int:
        return TravelTimes(network, conditions, COACH).travel_time_s("siping_depot", "changchun_depot", DAY)

    assert (
        clear.travel_time_s("siping_depot", "changchun_depot", DAY)
        < trip_s(everywhere(Weather.RAIN))
        < trip_s(everywhere(Weather.SNOWFALL))
        < trip_s(everywhere(Weather.SNOW))
    )


def test_weather_applies_per_road_class(network, clear):
    snow_on_g1 = TravelTimes(network, Conditions("snow on g1", weather=((RoadClass.EXPRESSWAY, Weather.SNOW),)), COACH)
    assert snow_on_g1.edge_time_s("siping_depot", "siping_gov", DAY) == clear.edge_time_s(
        "siping_depot", "siping_gov", DAY
    )
    edge = _g1_edge(network, Direction.TO_CHANGCHUN, 70)
    assert snow_on_g1.edge_time_s(*edge, DAY) > clear.edge_time_s(*edge, DAY)


def test_city_streets_are_slower_in_the_morning_peak(clear):
    peak = clear.travel_time_s("siping_depot", "siping_station", MORNING_PEAK)
    midday = clear.travel_time_s("siping_depot", "siping_station", DAY)
    assert peak > midday


def test_congestion_does_not_touch_the_expressway(clear):
    peak = clear.travel_time_s("G1 K20 toward Changchun", "G1 K50 toward Changchun", MORNING_PEAK)
    midday = clear.travel_time_s("G1 K20 toward Changchun", "G1 K50 toward Changchun", DAY)
    assert peak == midday


@pytest.mark.parametrize(
    ("clock", "band"),
    [
        (time(22, 0), TimeBand.NIGHT),
        (time(5, 59), TimeBand.NIGHT),
        (time(6, 0), TimeBand.DAY),
        (time(7, 0), TimeBand.MORNING_PEAK),
        (time(8, 59), TimeBand.MORNING_PEAK),
        (time(9, 0), TimeBand.DAY),
        (time(17, 30), TimeBand.EVENING_PEAK),
        (time(21, 59), TimeBand.DAY),
    ],
)
def test_time_bands(clock, band):
    assert time_band(clock) is band


def test_a_route_leaving_just_before_22_00_is_priced_by_the_clock_along_the_way(clear):
    # the departure's band (day) no longer prices the whole route: past 22:00 G1 is driven at 80 km/h
    just_before_night = datetime(2026, 12, 7, 21, 59)
    assert clear.travel_time_s("siping_depot", "changchun_depot", just_before_night) > clear.travel_time_s(
        "siping_depot", "changchun_depot", DAY
    )


def test_speed_rules_take_the_weather_factor_on_the_road_speed_then_the_lowest_cap():
    # snowfall at night on a 120 km/h expressway: min(120 × 0.6 = 72, 100, 0.8 × 100 = 80) = 72
    speed = DEFAULT_SPEED_RULES.speed_kmh(RoadClass.EXPRESSWAY, 120.0, COACH, Weather.SNOWFALL, time(23, 0))
    assert speed == pytest.approx(72)


# --------------------------------------------------------------------------- closures
def test_a_coach_already_on_g1_continues_on_g1_when_entrances_close(network):
    route = TravelTimes(network, ALL_ENTRANCES_CLOSED, COACH).route("G1 K50 toward Changchun", "changchun_depot", DAY)
    assert route.roads[0] == "G1" and not route.uses("G102")
    assert "changchun_south_ic" in route.path


def test_a_coach_at_a_toll_station_cannot_enter_when_entrances_close(network):
    route = TravelTimes(network, ALL_ENTRANCES_CLOSED, COACH).route("gongzhuling_ic", "changchun_depot", DAY)
    assert not route.uses("G1") and route.uses("G102")


def test_closing_one_entrance_makes_coaches_enter_elsewhere(network):
    conditions = Conditions("wulipo closed", closed_entrances=frozenset({"wulipo_ic"}))
    route = TravelTimes(network, conditions, COACH).route("siping_depot", "changchun_depot", DAY)
    on_ramps = [(u, v) for u, v in zip(route.path, route.path[1:]) if network.graph.edges[u, v].get("entrance")]
    assert on_ramps and all(u != "wulipo_ic" for u, _ in on_ramps)


def test_a_staged_coach_leaves_a_service_area_onto_either_side(clear):
    to_changchun = clear.route("gongzhuling_sa", "G1 K78 toward Changchun", DAY)
    to_siping = clear.route("gongzhuling_sa", "G1 K50 toward Siping", DAY)
    assert to_changchun.path[:2] == ("gongzhuling_sa", "gongzhuling_sa.to_changchun")
    assert to_siping.path[:2] == ("gongzhuling_sa", "gongzhuling_sa.to_siping")
    assert to_changchun.length_m == pytest.approx(300 + 16_000)


def test_a_service_area_is_reached_at_the_parking_of_the_arriving_side(clear):
    assert clear.route("changchun_depot", "gongzhuling_sa", DAY).path[-1] == "gongzhuling_sa.to_siping.parking"
    assert clear.route("siping_depot", "gongzhuling_sa", DAY).path[-1] == "gongzhuling_sa.to_changchun.parking"


def test_through_traffic_cannot_turn_at_a_service_area(clear):
    route = clear.route("G1 K65 toward Siping", "G1 K63 toward Changchun", DAY)
    assert "gongzhuling_ic" in route.path
    assert route.length_m > (65 - 56.1 + 63 - 56.1) * 1000


def test_a_staged_coach_is_held_when_all_entrances_close(network):
    with pytest.raises(NoRouteError):
        TravelTimes(network, ALL_ENTRANCES_CLOSED, COACH).route("gongzhuling_sa", "changchun_depot", DAY)


def test_no_path_is_a_domain_error_naming_both_ends_and_the_conditions(network):
    # G1 shut to new traffic and G102 blocked between Gongzhuling and Liufangzi in both directions
    conditions = Conditions(
        "g102 blocked",
        closed_entrances=frozenset({"*"}),
        closed_edges=frozenset({("gongzhuling_city", "liufangzi_town"), ("liufangzi_town", "gongzhuling_city")}),
    )
    with pytest.raises(NoRouteError) as caught:
        TravelTimes(network, conditions, COACH).route("siping_depot", "changchun_depot", DAY)
    message = str(caught.value)
    for part in ("siping_depot", "changchun_depot", "g102 blocked", "all G1 entrances closed", "coach_12m", "11:00"):
        assert part in message


def test_arrival_on_a_closed_edge_is_impossible_but_leaving_one_is_allowed(network):
    edge = ("siping_ne_jct", "guojiadian_town")
    conditions = Conditions("g102 shut", closed_edges=frozenset({edge, edge[::-1]}))
    times = TravelTimes(network, conditions, COACH)
    a, b = network.place(edge[0]), network.place(edge[1])
    on_the_closed_road = f"{(a.lat + b.lat) / 2},{(a.lon + b.lon) / 2}"
    assert times.route(on_the_closed_road, "siping_depot", DAY).length_m > 0
    with pytest.raises(NoRouteError):
        times.route("siping_depot", on_the_closed_road, DAY)


def test_closing_an_unknown_edge_or_entrance_is_an_error(network):
    with pytest.raises(InvalidValueError, match="closed_edges"):
        TravelTimes(network, Conditions("typo", closed_edges=frozenset({("siping_depot", "changchun_depot")})), COACH)
    with pytest.raises(InvalidValueError, match="closed_entrances"):
        TravelTimes(network, Conditions("typo", closed_entrances=frozenset({"gongzhuling"})), COACH)


# --------------------------------------------------------------------------- small cases
def test_points_on_the_same_edge_are_driven_directly(network, clear):
    route = clear.route("G1 K46 toward Changchun", "G1 K51 toward Changchun", DAY)
    assert route.path == () and route.length_m == 5_000
    assert route.travel_time_s == travel_time_s(5_000, 90)  # 5 000 m at 25 m/s = 200 s


def test_the_same_place_is_zero(clear):
    route = clear.route("gongzhuling_sa", "gongzhuling_sa", DAY)
    assert (route.length_m, route.travel_time_s) == (0, 0)


def test_vehicle_class_may_be_given_by_value_and_must_be_known(network):
    assert TravelTimes(network, CLEAR, "minibus_7m").vehicle_class is VehicleClass.MINIBUS_7M
    with pytest.raises(InvalidValueError, match="vehicle_class"):
        TravelTimes(network, CLEAR, "tram")


def test_results_are_stable_across_instances_with_equal_conditions(network, clear):
    again = TravelTimes(network, Conditions("clear"), COACH)
    assert again.route("siping_depot", "G1 K78 toward Changchun", DAY) == clear.route(
        "siping_depot", "G1 K78 toward Changchun", DAY
    )


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(km=st.floats(min_value=0.0, max_value=133.3, allow_nan=False), direction=st.sampled_from(list(Direction)))
def test_every_g1_point_is_reached_along_its_own_carriageway(network, clear, km, direction):
    point = network.locate(f"G1 K{km:.3f} {direction.label}")
    for depot in ("siping_depot", "changchun_depot"):
        route = clear.route(depot, point, DAY)
        assert route.travel_time_s > 0
        g1_nodes = [node for node in route.path if _direction(network, node) is not None]
        assert _direction(network, g1_nodes[-1]) is direction  # the final approach is on the point's side
        back = clear.route(point, depot, DAY)
        assert back.travel_time_s > 0
