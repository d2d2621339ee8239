"""Property tests: random incidents on the corridor always give sound plans; on tiny instances the
solver's optimum equals an exhaustive enumeration written independently here."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetplan.corridor import load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.instance import CrewKind
from fleetplan.model import Incident, IncidentKind
from fleetplan.tiers import UNREACHED_LATENESS_S

from solver.dispatch import Budget, SolveParams, dispatch, solve
from solver.dispatch.fixing import rescue_options_ruled_out

from tests.solver.factory import TIERS, InstanceBuilder

CORRIDOR = load_corridor()
G1_TRIPS = [t for t in CORRIDOR.dataset.trips if t.booked_passengers > 0]


@st.composite
def corridor_incidents(draw):
    trip = draw(st.sampled_from(G1_TRIPS))
    span_s = int((trip.arrival - trip.departure).total_seconds())
    moment = trip.departure + timedelta(seconds=draw(st.integers(15 * 60, span_s - 15 * 60)))
    toward = "Changchun" if trip.destination.startswith("changchun") else "Siping"
    km = draw(st.integers(2, 131))
    passengers = draw(st.integers(0, trip.booked_passengers))
    return Incident(
        "h1", IncidentKind.BREAKDOWN, trip.vehicle_id, trip.id, f"G1 K{km} toward {toward}", moment, passengers
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(incident=corridor_incidents(), conditions=st.sampled_from(["clear", "snow", "ice"]))
def test_random_corridor_incidents_give_plans_the_evaluator_accepts(incident, conditions):
    outcome = dispatch(
        CORRIDOR,
        [incident],
        CORRIDOR.dataset.conditions_named(conditions),
        params=SolveParams(budget=Budget.wall_clock(1.0), alternatives=2),
    )
    for plan in outcome.result.plans:
        assert evaluate(plan, outcome.instance) == []
        for rescue in plan.rescues:
            assert rescue.passengers <= CORRIDOR.dataset.vehicle(rescue.vehicle_id).seats


# --------------------------------------------------------------------------- brute force on tiny instances
@st.composite
def tiny_instances(draw):
    b = InstanceBuilder().group("g", draw(st.integers(1, 7)), limit_min=60)
    has_trip = draw(st.booleans())
    if has_trip:  # the failed coach's trip (any cover is forced), or c0's with d0 (another crew re-crews it)
        planned = draw(st.sampled_from([("failed-g", "dfailed"), ("c0", "d0")]))
        b.trip("T", 240, *planned, passengers=draw(st.integers(1, 5)))
    for index in range(draw(st.integers(1, 3))):
        crew = b.crew(
            f"c{index}",
            draw(st.sampled_from(["d0", "d1", f"d{index + 2}"])),
            draw(st.integers(1, 5)),
            kind=draw(st.sampled_from([CrewKind.STANDBY, CrewKind.PASSING])),
        )
        rescue = None
        if draw(st.booleans()) or not has_trip:
            rescue = b.rescue(
                crew,
                "g",
                eta_min=draw(st.integers(10, 100)),
                deadhead_km=draw(st.integers(0, 60)),
                delay_min=draw(st.integers(0, 40)),
            )
        if has_trip and draw(st.booleans()):
            b.trip_option(crew, "T", shift_min=draw(st.integers(0, 20)), deadhead_km=draw(st.integers(0, 30)))
        if has_trip and rescue and draw(st.booleans()):
            b.trip_option(crew, "T", shift_min=draw(st.integers(0, 30)), after=rescue)
    return b.build()


def brute_force_plans(instance):
    """Every plan of a one-group instance: (objective, rescue option ids), for every choice of options
    and passenger split."""
    group = instance.groups[0]
    tier = TIERS.tier_named(group.tier)
    choices = []
    for crew in instance.crews:
        rescues = [None] + [o for o in instance.rescue_options if o.crew_id == crew.id]
        trips = [None] + [o for o in instance.trip_options if o.crew_id == crew.id]
        choices.append(
            [
                (r, t)
                for r in rescues
                for t in trips
                if t is None
                or (t.after_rescue_id is None and r is None)
                or (r is not None and t.after_rescue_id == r.id)
            ]
        )
    task = instance.trip_tasks[0] if instance.trip_tasks else None
    for combination in itertools.product(*choices):
        vehicles = [o.vehicle_id for pair in combination for o in {p.vehicle_id: p for p in pair if p}.values()]
        drivers = [d for pair in combination for d in {p.driver_id for p in pair if p}]
        trips = [t for _, t in combination if t]
        if len(drivers) != len(set(drivers)) or len(vehicles) != len(set(vehicles)) or len(trips) > 1:
            continue
        rescues = [r for r, _ in combination if r]
        ranges = [range(1, min(r.capacity, group.passengers) + 1) for r in rescues]
        for split in itertools.product(*ranges):
            if sum(split) > group.passengers:
                continue
            carried_on_time = sum(p for r, p in zip(rescues, split) if r.late_s == 0)
            objective = (
                group.passengers - carried_on_time,
                sum(p * TIERS.late_penalty(tier, r.late_s) for r, p in zip(rescues, split))
                + (group.passengers - sum(split)) * TIERS.late_penalty(tier, UNREACHED_LATENESS_S),
                sum(p * -(-r.delay_at_destination_s // 60) for r, p in zip(rescues, split)),
                len(instance.trip_tasks) - len(trips),
                sum(-(-t.departure_shift_s // 60) for t in trips),
                sum(
                    1
                    for t in trips
                    if task.planned_vehicle_id != group.failed_vehicle_id
                    and (t.vehicle_id, t.driver_id) != (task.planned_vehicle_id, task.planned_driver_id)
                ),
                sum(round(o.deadhead_m / 1000) for o in rescues + trips),
                0,
                len(rescues),
            )
            yield objective, {r.id for r in rescues}


def brute_force_best(instance) -> tuple:
    """The lexicographically least objective over every plan."""
    return min(objective for objective, _ in brute_force_plans(instance))


@settings(max_examples=60, deadline=None)
@given(instance=tiny_instances())
def test_solver_optimum_equals_brute_force_on_tiny_instances(instance):
    result = solve(instance, SolveParams(budget=Budget.wall_clock(1.0), alternatives=1))
    got = result.best.objective
    assert tuple(got.as_dict().values()) == brute_force_best(instance)


RESCUE_TERM_NAMES = ("passengers_not_reached", "late_penalty", "passenger_delay_min")


@settings(max_examples=80, deadline=None)
@given(instance=tiny_instances())
def test_fixing_rules_out_no_rescue_of_a_plan_meeting_the_settled_terms(instance):
    plans = list(brute_force_plans(instance))
    settled = min(objective[:3] for objective, _ in plans)  # the rescue terms lead
    usable = set().union(*(rescues for objective, rescues in plans if objective[:3] == settled))
    ruled_out = rescue_options_ruled_out(instance, dict(zip(RESCUE_TERM_NAMES, settled)))
    assert not usable & ruled_out
    # With one group, everyone reached and no coach or driver shared, no clique carries a price and the
    # group problem is the whole problem: exactly the options no such plan uses are ruled out.
    drivers = [crew.driver_id for crew in instance.crews]
    if settled[0] == 0 and len(set(drivers)) == len(drivers):
        assert ruled_out == {o.id for o in instance.rescue_options} - usable
