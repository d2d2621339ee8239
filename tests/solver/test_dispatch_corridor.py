"""Dispatch on the real corridor: the issue's must-show cases, every plan checked by the evaluator."""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.instance import RejectionCode
from fleetplan.model import Activity, DutyInterval, Incident, IncidentKind, VehicleClass, VehicleStatus
from fleetplan.network import SpeedRules, TravelTimes

from solver.dispatch import Budget, SolveParams, Status, dispatch, prepare
from solver.dispatch.solve import NoPlan

MONDAY = datetime(2026, 12, 7)
PARAMS = SolveParams(budget=Budget.wall_clock(1.0), alternatives=1)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


def incident(vehicle: str, where: str, clock: str, passengers: int, day: datetime = MONDAY) -> Incident:
    hours, minutes = map(int, clock.split(":"))
    return Incident(
        "t1", IncidentKind.BREAKDOWN, vehicle, None, where, day.replace(hour=hours, minute=minutes), passengers
    )


def sound(outcome):
    """Every returned plan passes the independent evaluator."""
    assert outcome.result.plans, outcome.result.reasons
    for plan, problems in zip(outcome.result.plans, outcome.problems):
        assert problems == (), problems
        assert evaluate(plan, outcome.instance) == []
    return outcome.result.best


def with_vehicles(corridor: Corridor, change) -> Corridor:
    dataset = replace(corridor.dataset, vehicles=tuple(change(v) for v in corridor.dataset.vehicles))
    return Corridor(dataset, corridor.network, corridor.directory)


def test_morning_breakdown_gets_an_optimal_sound_plan_with_the_evening_trip_recovered(corridor):
    outcome = dispatch(
        corridor,
        [incident("c01", "G1 K78 toward Siping", "07:40", 42)],
        corridor.dataset.conditions_named("clear"),
        params=SolveParams(alternatives=3),
    )
    best = sound(outcome)
    assert outcome.result.status == Status.OPTIMAL
    assert sum(r.passengers for r in best.rescues) == 42
    assert best.objective.passengers_not_reached == 0
    assert "T1207-PM1" in {c.trip_id for c in best.trip_covers}  # c01's own evening run
    assert len({p.rescue_crews() for p in outcome.result.plans}) == len(outcome.result.plans) > 1


def test_45_passengers_with_only_35_seat_backups_are_split(corridor):
    def small_backups(vehicle):  # every coach that could go has 35 seats (idle in-service ones too)
        if vehicle.id != "c02":
            return replace(vehicle, vehicle_class=VehicleClass.COACH_8M, seats=35, length_m=8.5)
        return vehicle

    small = with_vehicles(corridor, small_backups)
    outcome = dispatch(
        small,
        [incident("c02", "G1 K100 toward Siping", "07:20", 45)],
        small.dataset.conditions_named("clear"),
        params=PARAMS,
    )
    best = sound(outcome)
    assert len(best.rescues) >= 2
    assert sum(r.passengers for r in best.rescues) == 45
    assert all(r.passengers <= 35 for r in best.rescues)


def test_a_driver_with_3h50_continuous_driving_rests_before_a_40_minute_rescue(corridor):
    """Only one crew can go (c09 with d09); d09 has just driven 3 h 50 min without a break."""
    when = MONDAY.replace(hour=10, minute=0)
    lonely = with_vehicles(
        corridor, lambda v: v if v.id in ("c09", "c01") else replace(v, status=VehicleStatus.WORKSHOP)
    )
    dataset = lonely.dataset
    tired_log = DutyInterval("d09", when - timedelta(hours=3, minutes=50), when, Activity.DRIVE)
    drivers = tuple(
        d if d.id == "d09" else replace(d, shift_start=time(0, 0), shift_end=time(0, 1)) for d in dataset.drivers
    )
    lonely = Corridor(
        replace(dataset, drivers=drivers, duty_log=dataset.duty_log + (tired_log,)),
        corridor.network,
        corridor.directory,
    )
    outcome = dispatch(
        lonely,
        [incident("c01", "G1 K110 toward Changchun", "10:00", 0)],
        lonely.dataset.conditions_named("clear"),
        params=PARAMS,
    )
    instance = outcome.instance
    rescue_options = [o for o in instance.rescue_options if o.driver_id == "d09"]
    assert rescue_options, [r.reason for r in instance.rejections]
    for option in rescue_options:
        assert option.drive_s >= 40 * 60  # a rescue of at least 40 minutes' driving
        assert option.depart_at >= when + timedelta(minutes=20)  # the 20-minute rest comes first


def test_night_incident_uses_night_speed_caps(corridor):
    def eta_min(clock: str) -> float:
        outcome = dispatch(
            corridor,
            [incident("c01", "G1 K60 toward Changchun", clock, 30, MONDAY + timedelta(days=1))],
            corridor.dataset.conditions_named("clear"),
            params=PARAMS,
        )
        best = sound(outcome)
        group = outcome.instance.groups[0]
        rescue = best.rescues[0]
        travel = TravelTimes(
            corridor.network, outcome.instance.conditions, corridor.dataset.vehicle(rescue.vehicle_id).vehicle_class
        )
        route = travel.route(corridor.network.locate(rescue.origin_node), group.scene, rescue.depart_at)
        return route.travel_time_s / route.length_m, route.band

    day_s_per_m, day_band = eta_min("11:00")
    night_s_per_m, night_band = eta_min("23:30")
    assert str(night_band) != str(day_band)
    # G1 at the night cap 0.8 × 100 = 80 km/h instead of the observed 90 km/h: ×90/80 = ×1.125 on the
    # carriageway; ramps are as slow by night, streets faster (48 against 42.5 km/h). From Siping depot
    # to K60 that is 3 137 s against 2 861 s for 65.8 km (×1.096)
    assert night_s_per_m > day_s_per_m * 1.05


def test_the_builder_prices_every_drive_with_the_policys_night(corridor):
    """A policy whose night starts at 23:00: a rescue leaving at about 22:20 drives G1 at day speed
    until 23:00, and the builder's times are the time-dependent routes under that night."""
    policy = replace(corridor.dataset.driving_policy, night_start=time(23, 0), night_end=time(5, 0))
    late_night = Corridor(replace(corridor.dataset, driving_policy=policy), corridor.network, corridor.directory)
    clear = corridor.dataset.conditions_named("clear")
    instance = prepare(late_night, [incident("c01", "G1 K60 toward Changchun", "22:20", 30)], clear)
    standing = [o for o in instance.rescue_options if o.origin_node is not None]
    assert standing
    differs = 0
    for option in standing:
        vehicle_class = corridor.dataset.vehicle(option.vehicle_id).vehicle_class
        scene = instance.group(option.group_id).scene
        policy_night = TravelTimes(corridor.network, clear, vehicle_class, SpeedRules.for_policy(policy))
        to_scene_s = (option.scene_arrival - option.depart_at).total_seconds()
        assert to_scene_s == policy_night.travel_time_s(option.origin_node, scene, option.depart_at)
        default_night = TravelTimes(corridor.network, clear, vehicle_class)
        differs += to_scene_s != default_night.travel_time_s(option.origin_node, scene, option.depart_at)
    assert differs  # the policy's night, not 22:00, priced these drives


def test_the_evaluator_checks_the_drives_under_the_policys_night_too(corridor):
    policy = replace(corridor.dataset.driving_policy, night_start=time(23, 0), night_end=time(5, 0))
    late_night = Corridor(replace(corridor.dataset, driving_policy=policy), corridor.network, corridor.directory)
    outcome = dispatch(
        late_night,
        [incident("c01", "G1 K60 toward Changchun", "22:20", 30)],
        corridor.dataset.conditions_named("clear"),
        params=PARAMS,
    )
    sound(outcome)


def test_with_g1_entrances_closed_the_rescue_takes_g102(corridor):
    blizzard = corridor.dataset.conditions_named("blizzard")
    outcome = dispatch(corridor, [incident("c01", "gongzhuling_city", "07:40", 40)], blizzard, params=PARAMS)
    best = sound(outcome)
    travel = TravelTimes(corridor.network, blizzard, VehicleClass.COACH_12M)
    for rescue in best.rescues:
        route = travel.route(
            corridor.network.locate(rescue.origin_node), outcome.instance.groups[0].scene, rescue.depart_at
        )
        assert route.uses("G102"), route.roads
        assert not route.uses("G1")


def test_breakdown_toward_changchun_is_approached_on_its_own_carriageway(corridor):
    outcome = dispatch(
        corridor,
        [incident("c01", "G1 K78 toward Changchun", "18:10", 40)],
        corridor.dataset.conditions_named("clear"),
        params=PARAMS,
    )
    best = sound(outcome)
    scene = outcome.instance.groups[0].scene
    for rescue in best.rescues:
        if rescue.origin_node is None or rescue.origin_node.startswith("on trip"):
            continue
        travel = TravelTimes(
            corridor.network, outcome.instance.conditions, corridor.dataset.vehicle(rescue.vehicle_id).vehicle_class
        )
        path = travel.route(corridor.network.locate(rescue.origin_node), scene, rescue.depart_at).path
        assert path[-1].endswith(".to_changchun"), path  # arrives on the Changchun-bound carriageway
        joins = next(i for i, node in enumerate(path) if node.endswith(".to_changchun"))
        assert path[joins - 1].endswith(("_ic", "_sa")), path  # it got on at a toll station or staged there
        if any(node.endswith(".to_siping") for node in path):  # from the far side on G1: pass, turn, come back
            turn = next(i for i, node in enumerate(path) if node.endswith(".to_siping"))
            assert any(node.endswith("_ic") for node in path[turn:joins]), path


def test_unknown_location_and_too_many_passengers_are_clear_errors(corridor):
    from fleetplan.errors import FleetplanError

    with pytest.raises(FleetplanError, match="seats"):
        dispatch(
            corridor,
            [incident("c01", "G1 K78 toward Siping", "07:40", 99)],
            corridor.dataset.conditions_named("clear"),
            params=PARAMS,
        )
    with pytest.raises(FleetplanError, match="K140"):
        dispatch(
            corridor,
            [incident("c01", "G1 K140 toward Siping", "07:40", 10)],
            corridor.dataset.conditions_named("clear"),
            params=PARAMS,
        )


def test_every_rejection_has_a_reason(corridor):
    outcome = dispatch(
        corridor,
        [incident("c01", "G1 K78 toward Siping", "07:40", 42)],
        corridor.dataset.conditions_named("clear"),
        params=PARAMS,
    )
    codes = {r.code for r in outcome.result.rejections}
    assert {
        RejectionCode.IN_WORKSHOP,
        RejectionCode.PERMIT,
        RejectionCode.PROBATION,
        RejectionCode.AGE,
        RejectionCode.LICENCE_CLASS,
    } <= codes
    assert all(r.reason for r in outcome.result.rejections)


def test_two_simultaneous_incidents_are_solved_jointly(corridor):
    incidents = [
        incident("c01", "G1 K78 toward Siping", "07:40", 42),
        replace(incident("c02", "G1 K40 toward Siping", "07:40", 46), id="t2"),
    ]
    outcome = dispatch(corridor, incidents, corridor.dataset.conditions_named("clear"), params=PARAMS)
    best = sound(outcome)
    vehicles = [r.vehicle_id for r in best.rescues]
    assert len(vehicles) == len(set(vehicles))
    for group in outcome.instance.groups:
        assert sum(r.passengers for r in best.rescues if r.group_id == group.id) == group.passengers


def test_unavailable_coaches_and_drivers_are_rejected_as_busy(corridor):
    first = dispatch(
        corridor,
        [incident("c01", "G1 K78 toward Siping", "07:40", 42)],
        corridor.dataset.conditions_named("clear"),
        params=PARAMS,
    ).result.best.rescues[0]
    busy = {first.vehicle_id: "booked by incident 7", first.driver_id: "booked by incident 7"}
    outcome = dispatch(
        corridor,
        [incident("c01", "G1 K78 toward Siping", "07:40", 42)],
        corridor.dataset.conditions_named("clear"),
        params=PARAMS,
        unavailable=busy,
    )
    best = sound(outcome)
    assert first.vehicle_id not in {r.vehicle_id for r in best.rescues}
    assert first.driver_id not in {r.driver_id for r in best.rescues}
    busy_rejections = {r.candidate for r in outcome.result.rejections if r.code == RejectionCode.BUSY}
    assert first.vehicle_id in busy_rejections


def test_free_seats_on_passing_coaches_are_used_within_their_free_seats(corridor):
    # c02 fails at 07:00 toward Siping; c03 and c04 on the same morning run have not passed it yet
    outcome = dispatch(
        corridor,
        [incident("c02", "G1 K100 toward Siping", "07:00", 46)],
        corridor.dataset.conditions_named("clear"),
        params=PARAMS,
    )
    best = sound(outcome)
    passing = [r for r in best.rescues if r.vehicle_id in ("c03", "c04")]
    assert passing, best.explanation
    for rescue in passing:
        trip = next(
            t for t in corridor.dataset.trips if t.vehicle_id == rescue.vehicle_id and t.id.startswith("T1207-AM")
        )
        assert rescue.passengers <= corridor.dataset.vehicle(rescue.vehicle_id).seats - trip.booked_passengers
    assert sum(r.passengers for r in best.rescues) == 46


def test_model_without_an_answer_in_time_falls_back_to_the_greedy_plan(corridor, monkeypatch):
    solving = importlib.import_module("solver.dispatch.solve")  # the module, not the function of that name
    monkeypatch.setattr(
        solving, "solve_lexicographic", lambda *args, **kwargs: NoPlan(infeasible=False)
    )  # none in time
    outcome = dispatch(
        corridor,
        [incident("c01", "G1 K78 toward Siping", "07:40", 42)],
        corridor.dataset.conditions_named("clear"),
        params=PARAMS,
    )
    assert outcome.result.status == Status.GREEDY_FALLBACK
    assert outcome.result.best.source == "greedy"
    sound(outcome)


def test_the_failed_trips_driver_is_never_sent_as_a_rescuer(corridor):
    # found by the what-if: before departure the snapshot places d01 at the depot, but he is with c01
    before_departure = Incident(
        "pre", IncidentKind.BREAKDOWN, "c01", "T1208-AM1", "changchun_station", datetime(2026, 12, 8, 5, 54), 44
    )
    outcome = dispatch(corridor, [before_departure], corridor.dataset.conditions_named("clear"), params=PARAMS)
    best = sound(outcome)
    assert outcome.instance.groups[0].tier == "pre_departure"
    assert "d01" not in {r.driver_id for r in best.rescues} | {c.driver_id for c in best.trip_covers}
    assert any(r.candidate == "d01" and r.code == RejectionCode.BUSY for r in outcome.result.rejections) or all(
        o.driver_id != "d01" for o in outcome.instance.rescue_options
    )
