"""Dispatch from live positions (issue 16 §2): a fresh fix places its coach, a stale one does not, and
the oracle, reading the same fixes with its own geometry, agrees with every plan — and disputes a plan
made without them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fleetplan import oracle
from fleetplan.corridor import Corridor, load_corridor
from fleetplan.instance import CrewKind, RejectionCode
from fleetplan.live import LiveFixes
from fleetplan.model import Incident, IncidentKind
from fleetplan.positions import Position

from solver.dispatch import Budget, SolveParams, dispatch
from solver.dispatch.oracle_check import _world

MONDAY_1800 = datetime(2026, 12, 7, 18, 0)
PARAMS = SolveParams(budget=Budget.wall_clock(1.0), alternatives=2)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


def pm3_fails_at_k40(at: datetime = MONDAY_1800) -> Incident:
    """c03 on PM3 fails at K40 toward Changchun; c04 on PM4 (6 free seats) passes there ≈18:10."""
    return Incident("i1", IncidentKind.BREAKDOWN, "c03", None, "G1 K40 toward Changchun", at, 38)


def seen_at(corridor: Corridor, vehicle_id: str, where: str, at: datetime, moving_toward: str | None = None):
    """A fix at ``where`` (a location text) taken at ``at``; moving, with the fix a minute before 1.5 km
    behind (so its carriageway is known from the two)."""
    here = corridor.network.locate(where)
    fix = Position(vehicle_id, here.lat, here.lon, at, speed_kmh=0.0 if moving_toward is None else 90.0)
    if moving_toward is None:
        return (fix,)
    before = corridor.network.locate(moving_toward)
    earlier = Position(vehicle_id, before.lat, before.lon, at - timedelta(minutes=1), speed_kmh=90.0)
    return (fix, earlier)


def checked(corridor: Corridor, incident: Incident, fixes: dict | None = None):
    outcome = dispatch(
        corridor, [incident], corridor.dataset.clear_conditions, params=PARAMS, fixes=LiveFixes(fixes or {})
    )
    assert outcome.result.plans, outcome.result
    for problems in outcome.problems:  # the evaluator's and the oracle's
        assert problems == (), problems
    return outcome


def passing(outcome, vehicle_id: str):
    return next(
        (o for o in outcome.instance.rescue_options if o.kind == CrewKind.PASSING and o.vehicle_id == vehicle_id),
        None,
    )


def oracle_says(outcome, plans, fixes: dict) -> list:
    """The oracle's disagreements with ``plans`` for ``outcome``'s incidents, given ``fixes``."""
    instance = outcome.instance
    case = oracle.case_of(
        instance.incidents,
        instance.conditions,
        instance.unavailable.keys(),
        fixes=[oracle.CaseFix(v, f[0].lat, f[0].lon, f[0].at) for v, f in fixes.items()],
    )
    return [d for found in oracle.check_dispatch(_world(instance.dataset), case, plans) for d in found]


def test_a_passing_coach_seen_running_late_reaches_the_scene_when_it_can_from_its_fix(corridor):
    timetable = passing(checked(corridor, pm3_fails_at_k40()), "c04")
    assert timetable is not None
    fix_at = MONDAY_1800 - timedelta(minutes=1)
    fixes = {"c04": seen_at(corridor, "c04", "G1 K8 toward Changchun", fix_at, "G1 K6.5 toward Changchun")}
    outcome = checked(corridor, pm3_fails_at_k40(), fixes)
    late = passing(outcome, "c04")
    assert late is not None and late.scene_arrival > timetable.scene_arrival
    assert late.scene_arrival >= fix_at + timedelta(minutes=32 * 60 / 120)  # 32 km at 120 km/h at the very best
    assert outcome.instance.live.sighted["c04"].location.km == pytest.approx(8.0, abs=0.3)


def test_a_passing_coach_seen_past_the_scene_is_not_offered_and_the_timetable_s_plan_is_disputed(corridor):
    fix_at = MONDAY_1800 - timedelta(minutes=1)
    fixes = {"c04": seen_at(corridor, "c04", "G1 K44 toward Changchun", fix_at, "G1 K42.5 toward Changchun")}
    outcome = checked(corridor, pm3_fails_at_k40(), fixes)
    assert passing(outcome, "c04") is None
    (reason,) = [r for r in outcome.instance.rejections if r.candidate == "c04"]
    assert reason.code == RejectionCode.WRONG_DIRECTION and "GPS 17:59" in reason.reason and "past" in reason.reason
    blind = checked(corridor, pm3_fails_at_k40())  # made from the timetable alone
    using_c04 = [p for p in blind.result.plans if any(r.vehicle_id == "c04" for r in p.rescues)]
    assert using_c04, "the timetable's plans take the 6 free seats of c04"
    assert any(d.code == "not_passing" for d in oracle_says(blind, using_c04, fixes))


def test_a_standby_coach_seen_at_another_depot_leaves_from_there(corridor):
    blind = checked(corridor, pm3_fails_at_k40())
    changchun = [c for c in blind.instance.crews if c.kind == CrewKind.STANDBY and c.origin_node == "changchun_depot"]
    coach = changchun[0].vehicle_id
    siping = corridor.network.graph.nodes["siping_depot"]
    fixes = {coach: (Position(coach, siping["lat"] + 0.0005, siping["lon"], MONDAY_1800 - timedelta(seconds=40)),)}
    outcome = checked(corridor, pm3_fails_at_k40(), fixes)
    origins = {c.origin_node for c in outcome.instance.crews if c.vehicle_id == coach}
    assert origins == {"siping_depot"}
    assert outcome.instance.live.sighted[coach].node_id == "siping_depot"


def test_a_standby_coach_seen_on_the_road_is_no_crew_and_a_plan_sending_it_from_its_depot_is_disputed(corridor):
    blind = checked(corridor, pm3_fails_at_k40())
    best = blind.result.plans[0]
    standing = [r for r in best.rescues if r.passing_trip_id is None]
    assert standing, best
    coach = standing[0].vehicle_id
    fixes = {
        coach: seen_at(
            corridor, coach, "G1 K60 toward Siping", MONDAY_1800 - timedelta(seconds=30), "G1 K61.5 toward Siping"
        )
    }
    outcome = checked(corridor, pm3_fails_at_k40(), fixes)
    assert not any(c.vehicle_id == coach for c in outcome.instance.crews)
    (reason,) = [r for r in outcome.instance.rejections if r.candidate == coach]
    assert reason.code == RejectionCode.ON_THE_ROAD and "G1 K60.0 toward Siping" in reason.reason
    assert any(d.code == "origin" for d in oracle_says(blind, [best], fixes))


def test_a_stale_fix_leaves_the_timetable_in_charge_and_is_named(corridor):
    old = MONDAY_1800 - timedelta(minutes=10)
    fixes = {"c04": seen_at(corridor, "c04", "G1 K44 toward Changchun", old, "G1 K42.5 toward Changchun")}
    outcome = checked(corridor, pm3_fails_at_k40(), fixes)
    assert passing(outcome, "c04") is not None  # as the timetable has it
    assert outcome.instance.live.stale == {"c04": old} and "c04" not in outcome.instance.live.sighted


def test_a_fix_taken_after_the_report_is_not_used_for_it(corridor):
    later = MONDAY_1800 + timedelta(minutes=30)
    fixes = {"c04": seen_at(corridor, "c04", "G1 K44 toward Changchun", later, "G1 K42.5 toward Changchun")}
    outcome = checked(corridor, pm3_fails_at_k40(), fixes)
    assert passing(outcome, "c04") is not None and not outcome.instance.live.sighted
