"""Rescue routes through several scenes (issue #18 §1): one coach collects stranded groups in turn.

Every plan here is checked by the independent oracle (:mod:`fleetplan.oracle`), never by the engine
that made it; the oracle's own checks of a route are shown to catch a route that is wrong stop by stop.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

import fleetplan.builder as builder
from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.model import Incident, IncidentKind
from fleetplan.operations import OperationsPolicy
from fleetplan.plan import DELIVER, PICKUP, Plan
from fleetplan.rules import route_task

from solver.dispatch import Budget, SolveParams, dispatch
from solver.dispatch.oracle_check import oracle_problems
from solver.planning.scenarios import load_scenario, stage

solve_module = importlib.import_module("solver.dispatch.solve")  # the package's `solve` is the function

BOOK = Path(__file__).resolve().parents[1] / "scenarios"
PARAMS = SolveParams(budget=Budget.deterministic(5.0), alternatives=1, workers=1)
FRIDAY = datetime(2026, 12, 11, 14, 18)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


@pytest.fixture(scope="module")
def one_backup(corridor):
    """FR1 (20 aboard) and FR2 (25 aboard) fail near Siping; c19 (53 seats) is the one backup in time."""
    return stage(load_scenario(BOOK / "route_friday_one_backup_collects_both_groups.toml"), corridor)


def run(staged, ops: OperationsPolicy | None = None, incidents=None):
    return dispatch(
        staged.corridor,
        incidents or staged.incidents,
        staged.conditions,
        ops=ops or staged.ops,
        params=PARAMS,
        unavailable=staged.unavailable,
    )


def oracle_says(outcome, plan: Plan) -> tuple:
    (found,) = oracle_problems(outcome.instance, [plan])
    return found


def kinds(found) -> set[str]:
    """The oracle's codes of its disagreements (``seats``, ``too_early``, ``route_parts``, …)."""
    return {dict(problem.numbers)["kind"] for problem in found}


def test_one_backup_collects_both_groups_on_one_route_and_everyone_is_reached_in_time(one_backup):
    outcome = run(one_backup)
    best = outcome.result.best
    assert best.objective.passengers_not_reached == 0
    assert sum(r.passengers for r in best.rescues) == 45
    (route,) = best.routes
    assert route.vehicle_id == "c19"
    assert [s.kind for s in route.stops] == [PICKUP, PICKUP, DELIVER]
    assert [s.group_ids for s in route.stops[:2]] == [("G-fr1",), ("G-fr2",)]
    assert {r.route_id for r in best.rescues} == {route.id}
    assert oracle_says(outcome, best) == ()
    assert evaluate(best, outcome.instance) == []


def test_without_routes_one_coach_per_group_leaves_a_group_late(one_backup):
    """The same incidents with routes switched off: the better of the two groups in time, the other late."""
    outcome = run(one_backup, ops=replace(one_backup.ops, max_route_crews=0))
    best = outcome.result.best
    assert not best.routes and not outcome.instance.route_options
    assert best.objective.passengers_not_reached == 20  # c19 takes the 25; the 20 wait for Changchun
    assert oracle_says(outcome, best) == ()


def test_groups_that_do_not_fit_together_share_the_seats_and_the_route_never_overfills(one_backup):
    bigger = [replace(i, passengers=p) for i, p in zip(one_backup.incidents, (40, 30))]
    outcome = run(one_backup, incidents=bigger)
    best = outcome.result.best
    seats = outcome.instance.dataset.vehicle("c19").seats
    for route in best.routes:
        assert sum(r.passengers for r in best.rescues if r.route_id == route.id) <= seats
    assert best.objective.passengers_not_reached == 70 - seats  # c19 fills up, in time; the rest late
    assert oracle_says(outcome, best) == ()


def test_two_scenes_on_opposite_carriageways_turn_at_an_interchange(corridor, one_backup):
    """K11 toward Changchun, then K13 toward Siping: the coach must leave G1 and come back the other way."""
    fr1, fr2 = one_backup.incidents
    opposite = [fr1, replace(fr2, location="G1 K13 toward Siping")]
    outcome = run(one_backup, incidents=opposite)
    routes = [r for r in outcome.instance.route_options if r.vehicle_id == "c19" and r.group_ids == ("G-fr1", "G-fr2")]
    assert routes
    route = routes[0]
    first, second = route.visits
    between_s = (second.scene_arrival - first.leave_at).total_seconds()
    same_side = run(one_backup).instance.route_options
    straight = next(r for r in same_side if r.vehicle_id == "c19" and r.group_ids == ("G-fr1", "G-fr2"))
    straight_s = (straight.visits[1].scene_arrival - straight.visits[0].leave_at).total_seconds()
    assert between_s > straight_s + 120  # the turn costs minutes, not the 2 km between the posts
    for plan in outcome.result.plans:
        assert oracle_says(outcome, plan) == ()


# --------------------------------------------------------------------------- the oracle sees a wrong route
def _shifted_call(plan: Plan, k: int, delta: timedelta) -> Plan:
    (route,) = plan.routes
    stops = list(route.stops)
    call = stops[k]
    stops[k] = replace(
        call, arrival=call.arrival + delta, leave_at=call.leave_at + delta, boarding_at=call.boarding_at + delta
    )
    moved = replace(route, stops=tuple(stops))
    parts = tuple(
        replace(r, scene_arrival=r.scene_arrival + delta, boarding_at=r.boarding_at + delta)
        if r.route_id == route.id and r.group_id == call.group_ids[0]
        else r
        for r in plan.rescues
    )
    return replace(plan, rescues=parts, routes=(moved,))


def test_the_oracle_names_a_second_scene_reached_sooner_than_the_road_allows(one_backup):
    outcome = run(one_backup)
    wrong = _shifted_call(outcome.result.best, 1, timedelta(seconds=-75))  # the leg takes about 80 s
    found = oracle_says(outcome, wrong)
    assert any("stop 2 arrival" in p.subject and dict(p.numbers)["kind"] == "too_early" for p in found), found


def test_the_oracle_names_a_route_that_overfills_the_coach(one_backup):
    outcome = run(one_backup)
    best = outcome.result.best
    overfull = replace(best, rescues=tuple(replace(r, passengers=r.passengers + 10) for r in best.rescues))
    found = oracle_says(outcome, overfull)
    assert any(dict(p.numbers)["kind"] == "seats" and "on board at once" in p.message for p in found), found


def test_the_oracle_names_parts_that_do_not_match_their_route(one_backup):
    outcome = run(one_backup)
    best = outcome.result.best
    found = oracle_says(outcome, replace(best, rescues=best.rescues[:1]))
    assert "route_parts" in kinds(found), found
    orphan = replace(best, routes=())
    assert "route_parts" in kinds(oracle_says(outcome, orphan))


def test_the_parts_of_a_route_may_be_listed_in_any_order(one_backup):
    outcome = run(one_backup)
    best = outcome.result.best
    shuffled = replace(best, rescues=tuple(reversed(best.rescues)))
    assert oracle_says(outcome, shuffled) == ()
    assert evaluate(shuffled, outcome.instance) == []


def test_a_route_naming_an_unknown_group_is_a_problem_not_a_crash(one_backup):
    outcome = run(one_backup)
    best = outcome.result.best
    (route,) = best.routes
    stops = tuple(replace(s, group_ids=("G-nobody",)) if k == 0 else s for k, s in enumerate(route.stops))
    parts = tuple(replace(r, group_id="G-nobody") if r.group_id == "G-fr1" else r for r in best.rescues)
    wrong = replace(best, rescues=parts, routes=(replace(route, stops=stops),))
    assert any(p.code.value == "unknown_id" for p in evaluate(wrong, outcome.instance))
    assert "unknown_id" in kinds(oracle_says(outcome, wrong)) or "route_parts" in kinds(oracle_says(outcome, wrong))


def test_the_oracle_counts_a_route_as_one_task_of_its_coach_and_driver(one_backup):
    """Two parts of one route are not two tasks at once; the route and another task of c19 would be."""
    outcome = run(one_backup)
    best = outcome.result.best
    assert "overlap" not in kinds(oracle_says(outcome, best))
    (route,) = best.routes
    clash = replace(route, id="T:again")  # the same coach and driver on a second route at the same time
    again = tuple(replace(r, route_id="T:again", option_id=r.option_id + "'") for r in best.rescues)
    assert "overlap" in kinds(oracle_says(outcome, replace(best, rescues=best.rescues + again, routes=(route, clash))))


def test_a_route_task_is_a_drive_and_duty_at_each_call_and_a_rest_only_where_one_is_taken():
    t = datetime(2026, 12, 11, 14, 0)
    calls = [
        (t + timedelta(minutes=20), t + timedelta(minutes=25), t + timedelta(minutes=25)),
        (t + timedelta(minutes=30), t + timedelta(minutes=35), t + timedelta(minutes=55)),
        (t + timedelta(minutes=90), t + timedelta(minutes=90), t + timedelta(minutes=90)),
    ]
    task = route_task(t, calls, distance_m=100_000.0)
    kinds = [(p.activity.value, p.duration_s // 60) for p in task.pieces if p.duration_s]
    assert kinds == [("drive", 20), ("other", 5), ("drive", 5), ("other", 5), ("rest", 20), ("drive", 35)]
    assert task.driving_s == 60 * 60


def test_routes_are_offered_only_to_crews_that_could_rescue_the_first_group_alone(one_backup):
    outcome = run(one_backup)
    instance = outcome.instance
    direct = {(o.crew_id, o.group_id) for o in instance.rescue_options}
    assert instance.route_options
    for route in instance.route_options:
        assert (route.crew_id, route.visits[0].group_id) in direct
        assert route.visits[0].scene_arrival <= route.visits[1].scene_arrival <= route.drops[0].arrival


def test_a_late_night_route_keeps_the_driver_in_his_shift(corridor):
    """d28 works 16:00–02:00: every route offered to him ends by then (the oracle checks it too)."""
    staged = stage(load_scenario(BOOK / "competing_night_two_charters_one_siping_driver.toml"), corridor)
    outcome = run(staged)
    for route in outcome.instance.route_options:
        if route.driver_id == "d28":
            assert route.end <= datetime(2026, 12, 9, 2, 0)
    best = outcome.result.best
    assert best.objective.passengers_not_reached == 0 and len(best.routes) == 1
    assert oracle_says(outcome, best) == ()


def test_an_incident_alone_gets_no_route(corridor):
    incident = Incident("solo", IncidentKind.BREAKDOWN, "c15", None, "G1 K11 toward Changchun", FRIDAY, 20)
    outcome = dispatch(corridor, [incident], corridor.dataset.conditions_named("clear"), params=PARAMS)
    assert outcome.instance.route_options == () and outcome.result.best.routes == ()


def test_three_small_groups_one_backup_one_route_through_three_scenes(one_backup):
    """FR1, FR2 and FR3 stranded at K11, K13 and K15 with 15 each: c19 collects all 45 on one route;
    the oracle checks it call by call. (FR3 has not left yet at 14:18, so its group is in the
    pre-departure tier, deadline 14:45: no coach reaches K15 by then, and none is late there by less.)"""
    fr1, fr2 = one_backup.incidents
    fr3 = replace(fr2, id="fr3", vehicle_id="c17", location="G1 K15 toward Changchun")
    three = [replace(incident, passengers=15) for incident in (fr1, fr2, fr3)]
    outcome = run(one_backup, incidents=three)
    assert any(len(route.visits) == 3 for route in outcome.instance.route_options)
    best = outcome.result.best
    (route,) = best.routes
    assert [s.kind for s in route.stops] == [PICKUP, PICKUP, PICKUP, DELIVER]
    assert sum(r.passengers for r in best.rescues) == 45 and {r.vehicle_id for r in best.rescues} == {"c19"}
    assert oracle_says(outcome, best) == ()
    # the order along the carriageway: K11, K13, K15 (turning back costs more than the minute FR3 is late)
    assert [s.group_ids for s in route.stops[:3]] == [("G-fr1",), ("G-fr2",), ("G-fr3",)]


def test_four_small_groups_one_backup_one_route_through_four_scenes(one_backup):
    """Four groups of 12 at K11, K12, K13 and K14 (48 of c19's 53 seats): one route collects them all,
    and the oracle checks it call by call. With routes capped at three scenes, one group waits for a
    second coach from Changchun, later."""
    fr1, fr2 = one_backup.incidents
    fr3 = replace(fr2, id="fr3", vehicle_id="c17", location="G1 K12 toward Changchun")
    fr4 = replace(fr2, id="fr4", vehicle_id="c18", location="G1 K14 toward Changchun")
    four = [replace(incident, passengers=12) for incident in (fr1, fr3, fr2, fr4)]
    outcome = run(one_backup, incidents=four)
    best = outcome.result.best
    (route,) = best.routes
    assert [s.kind for s in route.stops] == [PICKUP] * 4 + [DELIVER]
    assert sum(r.passengers for r in best.rescues) == 48 and {r.vehicle_id for r in best.rescues} == {"c19"}
    assert oracle_says(outcome, best) == ()
    capped = run(one_backup, ops=replace(one_backup.ops, max_route_scenes=3), incidents=four)
    assert max(len(route.visits) for route in capped.instance.route_options) == 3
    assert capped.result.best.objective.rescue_coaches == 2
    assert capped.result.best.objective.late_penalty > best.objective.late_penalty


def test_a_route_crew_runs_a_failed_coach_trip_from_the_last_stop(corridor):
    """Thursday 07:30: AM1 (c01) and AM2 (c02) fail near Siping with 20 aboard each; c19 is the one
    coach left and collects both. Their evening runs from the campus (PM1, PM2 at 17:15) lose their
    coaches; c19's crew, with a long-day shift, runs one of them after its route, from the campus where
    the route ends. The oracle and the evaluator confirm the plan; the other run is lost."""
    long_day = tuple(
        replace(d, shift_start=time(6, 0), shift_end=time(22, 0)) if d.home_depot == "siping_depot" else d
        for d in corridor.dataset.drivers
    )
    longer = Corridor(replace(corridor.dataset, drivers=long_day), corridor.network, corridor.directory)
    at = datetime(2026, 12, 10, 7, 30)
    failed = [
        Incident("am1", IncidentKind.BREAKDOWN, "c01", None, "G1 K20 toward Siping", at, 20),
        Incident("am2", IncidentKind.BREAKDOWN, "c02", None, "G1 K22 toward Siping", at, 20),
    ]
    others = [f"c{n:02d}" for n in (*range(3, 14), *range(15, 19), *range(20, 25))]
    outcome = dispatch(
        longer, failed, longer.dataset.clear_conditions, params=PARAMS, unavailable=dict.fromkeys(others, "out")
    )
    assert any(option.after_route_id for option in outcome.instance.trip_options)
    best = outcome.result.best
    (route,) = best.routes
    (cover,) = best.trip_covers
    assert (cover.vehicle_id, cover.driver_id) == (route.vehicle_id, route.driver_id) == ("c19", cover.driver_id)
    assert cover.trip_id in ("T1210-PM1", "T1210-PM2") and len(best.uncovered_trip_ids) == 1
    assert sum(r.passengers for r in best.rescues) == 40
    assert oracle_says(outcome, best) == ()
    assert evaluate(best, outcome.instance) == []


def test_many_small_groups_get_a_bounded_number_of_routes_and_a_checked_plan(corridor):
    """Friday 14:40: eight coaches fail between K10 and K38 toward Changchun with 8 aboard each, and
    the Siping and Changchun backups are out but c19. Routes through every ordered triple and quadruple
    of scenes would number thousands; the builder offers ``ops.max_routes`` at most, longer ones the
    most promising first, and the plan it gives is the oracle's to confirm."""
    at = datetime(2026, 12, 11, 14, 40)
    coaches = ("c15", "c16", "c17", "c18", "c01", "c02", "c03", "c04")
    failed = [
        Incident(f"x{k}", IncidentKind.BREAKDOWN, vehicle, None, f"G1 K{10 + 4 * k} toward Changchun", at, 8)
        for k, vehicle in enumerate(coaches)
    ]
    out = dict.fromkeys(("c09", "c10", "c11", "c12", "c13", "c20", "c21", "c22", "c23", "c24"), "out")
    ops = OperationsPolicy()
    outcome = dispatch(corridor, failed, corridor.dataset.clear_conditions, ops=ops, params=PARAMS, unavailable=out)
    routes = outcome.instance.route_options
    assert 0 < len(routes) <= ops.max_routes
    assert max(len(route.visits) for route in routes) >= 3  # longer routes fit in too, the promising ones
    best = outcome.result.best
    assert best.routes and oracle_says(outcome, best) == ()


def test_no_route_is_built_when_one_coach_per_group_reaches_everyone_in_time(one_backup, monkeypatch):
    """With a second Siping backup back from its charter, each group has a coach of its own in time: a
    route could not better the leading terms, so none is built, and the plans are those the solver
    chooses when the routes are built anyway (it sets them aside once the direct rescues reach
    everyone on time)."""
    unavailable = {k: v for k, v in one_backup.unavailable.items() if k != "c21"}

    def dispatched():
        return dispatch(
            one_backup.corridor,
            one_backup.incidents,
            one_backup.conditions,
            ops=one_backup.ops,
            params=PARAMS,
            unavailable=unavailable,
        )

    outcome = dispatched()
    assert outcome.instance.route_options == ()
    best = outcome.result.best
    assert best.objective.passengers_not_reached == 0 and best.objective.late_penalty == 0
    assert best.routes == () and len({r.vehicle_id for r in best.rescues}) == 2
    assert oracle_says(outcome, best) == ()

    monkeypatch.setattr(builder, "_everyone_on_time_alone", lambda groups, rescues: False)
    with_routes = dispatched()
    assert with_routes.instance.route_options  # built: the groups are short of a margin
    assert [p.objective for p in with_routes.result.plans] == [p.objective for p in outcome.result.plans]
    assert all(plan.routes == () for plan in with_routes.result.plans)


@pytest.mark.parametrize(
    "passengers, settled_without_routes",
    [((40, 30), False), ((20, 25), True)],
    ids=["some-left-behind", "everyone-on-time-by-the-route"],
)
def test_the_solve_keeps_the_settlement_made_with_the_routes(
    one_backup, monkeypatch, passengers, settled_without_routes
):
    """The rescue terms are settled with the routes first, and not again by the solve. Only where the
    route reaches everyone on time are the direct rescues settled too (one coach per group might
    then do as well, and the routes would be dropped); here they do not, and the route stays."""
    settled_on = []
    real = solve_module.settle_rescue_terms

    def recorded(instance, *args):
        settled_on.append(len(instance.route_options))
        return real(instance, *args)

    monkeypatch.setattr(solve_module, "settle_rescue_terms", recorded)
    outcome = run(one_backup, incidents=[replace(i, passengers=p) for i, p in zip(one_backup.incidents, passengers)])
    best = outcome.result.best
    assert best.routes and oracle_says(outcome, best) == ()
    assert (best.objective.passengers_not_reached == 0) == settled_without_routes
    routes = len(outcome.instance.route_options)
    assert routes > 0 and settled_on == ([routes, 0] if settled_without_routes else [routes])
