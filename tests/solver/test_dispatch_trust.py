"""Plans right about the corridor (issue "Plans a dispatcher can trust"): tiers by road on the right
carriageway, passing coaches to the stops they share with the failed trip, coaches already on G1 in a
blizzard. Every plan is checked by the evaluator."""

from __future__ import annotations

from datetime import datetime

import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.instance import CrewKind, RejectionCode
from fleetplan.model import Incident, IncidentKind

from solver.dispatch import Budget, SolveParams, dispatch

TUESDAY = datetime(2026, 12, 8)
PARAMS = SolveParams(budget=Budget.wall_clock(1.0), alternatives=1)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


def breakdown(vehicle: str, where: str, clock: str, passengers: int) -> Incident:
    hours, minutes = map(int, clock.split(":"))
    at = TUESDAY.replace(hour=hours, minute=minutes)
    return Incident("t1", IncidentKind.BREAKDOWN, vehicle, None, where, at, passengers)


def run(corridor: Corridor, incident: Incident, conditions: str = "clear"):
    outcome = dispatch(corridor, [incident], corridor.dataset.conditions_named(conditions), params=PARAMS)
    for plan in outcome.result.plans:
        assert evaluate(plan, outcome.instance) == []
    return outcome


def passing_options(outcome) -> dict[str, object]:
    return {o.vehicle_id: o for o in outcome.instance.rescue_options if o.kind == CrewKind.PASSING}


@pytest.mark.parametrize(
    ("where", "tier"),
    [
        # From Siping: 2.6 + 2.4 km of streets and access road, the 0.8 km ramp, then K0 → K85 = 90.8 km.
        # From Changchun the nearest way on is Liufangzi (K71.9): 6.1 km of streets, G102 17.3 + 17.2 km,
        # 2.4 km access road, 0.8 km ramp, K71.9 → K85 = 56.9 km (down G1 and turning there: 60.3 km).
        # Both over the 50 km of the near-backup radius: a mid-corridor promise, 90 min. (K78 is 49.9 km
        # from Changchun by way of Liufangzi, within the radius.)
        ("G1 K85 toward Changchun", "corridor"),
        # The same kilometre post on the other side is 29.2 km from Changchun's service point (via Fanjiatun).
        ("G1 K85 toward Siping", "near_backup"),
        ("jlnu_siping_campus", "city"),
    ],
)
def test_the_tier_is_measured_by_road_on_the_scenes_own_carriageway(corridor, where, tier):
    outcome = run(corridor, breakdown("c01", where, "18:15", 10))
    assert outcome.instance.groups[0].tier == tier


def test_a_passing_coach_takes_passengers_to_a_stop_the_failed_trip_also_serves(corridor):
    # c01 runs PM1 campus → high-tech zone → government → station; c04 runs PM4 campus → high-tech zone
    # and is behind c01 on G1 toward Changchun. It used to be rejected because its last stop differs.
    outcome = run(corridor, breakdown("c01", "G1 K78 toward Changchun", "18:15", 40))
    c04 = passing_options(outcome)["c04"]
    assert c04.destination_node == "changchun_hightech"
    dataset = corridor.dataset
    assert c04.capacity == dataset.vehicle("c04").seats - dataset.trip("T1208-PM4").booked_passengers
    assert not [r for r in outcome.result.rejections if r.candidate == "c04"]
    best = outcome.result.best
    assert best.objective.passengers_not_reached == 0


def test_passengers_a_passing_coach_sets_down_early_are_delayed_against_their_own_stop(corridor):
    outcome = run(corridor, breakdown("c01", "G1 K78 toward Changchun", "18:15", 40))
    group = outcome.instance.groups[0]
    assert [node for node, _ in group.remaining_stops] == ["changchun_hightech", "changchun_gov", "changchun_station"]
    c04 = passing_options(outcome)["c04"]
    planned = group.planned_at("changchun_hightech")
    assert c04.delay_at_destination_s == max(0, int((c04.destination_arrival - planned).total_seconds()))


def test_in_a_blizzard_coaches_already_on_g1_still_pass_the_scene(corridor):
    # All G1 entrances are closed, but c02, c03 and c04 entered before the scene on their evening runs:
    # they drive on along G1 (DESIGN §2.3), slower, and can stop.
    outcome = run(corridor, breakdown("c01", "G1 K78 toward Changchun", "18:15", 40), "blizzard")
    passing = passing_options(outcome)
    assert {"c02", "c03", "c04"} <= set(passing)
    clear = passing_options(run(corridor, breakdown("c01", "G1 K78 toward Changchun", "18:15", 40)))
    assert passing["c03"].scene_arrival > clear["c03"].scene_arrival  # blizzard speeds
    free = sum(option.capacity for option in passing.values())
    assert sum(r.passengers for r in outcome.result.best.rescues) == min(40, free)


def test_a_coach_that_has_passed_the_scene_is_not_offered(corridor):
    # At 18:50 c02, c03 and c04 are beyond K60 toward Changchun (they left the campus 17:15–17:30).
    outcome = run(corridor, breakdown("c01", "G1 K60 toward Changchun", "18:50", 40))
    assert not passing_options(outcome)
    reasons = {r.candidate: r for r in outcome.result.rejections if r.code == RejectionCode.WRONG_DIRECTION}
    assert "passed" in reasons["c02"].reason


def test_a_coach_about_to_leave_its_first_stop_picks_up_on_its_way_and_keeps_its_trip(corridor):
    # AM1's coach will not start at the station at 06:05 (Monday); c03 leaves the same stop at 06:20 on AM3
    # with 45 − 31 free seats. It is offered as a passing coach on AM3 (not pulled off it), so AM3 is no
    # task and keeps its crew; at 06:05 it was neither on a trip nor standing with its driver before.
    monday = datetime(2026, 12, 7, 6, 5)
    incident = Incident("t1", IncidentKind.BREAKDOWN, "c01", None, "changchun_station", monday, 42)
    outcome = dispatch(corridor, [incident], corridor.dataset.conditions_named("clear"), params=PARAMS)
    for plan in outcome.result.plans:
        assert evaluate(plan, outcome.instance) == []
    c03 = passing_options(outcome)["c03"]
    assert c03.passing_trip_id == "T1207-AM3"
    assert c03.scene_arrival == datetime(2026, 12, 7, 6, 20)  # it leaves its first stop on time
    assert "T1207-AM3" not in {task.trip_id for task in outcome.instance.trip_tasks}
    assert outcome.result.status.value == "optimal"  # the oracle agrees
