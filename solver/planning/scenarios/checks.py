"""Checking a dispatch against a scenario's expectations: one :class:`Check` per stated property,
each with what was expected and what was found, so a failure reads without a debugger.

The best plan (rank 1) is what a dispatcher would send: passengers, rescuers, tiers and trips are
read from it. Soundness, coaches not used and untouched trips hold for every plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from fleetplan.instance import CrewKind, Instance, StrandedGroup
from fleetplan.model import Dataset
from fleetplan.plan import Objective, Plan, Rescue
from fleetplan.problems import ProblemCode
from fleetplan.units import ceil_minutes

from solver.dispatch import Dispatch
from solver.planning.scenarios.spec import Bounds, Expect, IncidentExpect

NONE = "—"


@dataclass(frozen=True)
class Check:
    """One stated property of the scenario, as found in the dispatch."""

    name: str
    expected: str
    found: str
    passed: bool


def scenario_checks(expect: Expect, outcome: Dispatch) -> tuple[Check, ...]:
    """Every check of ``expect`` on ``outcome``, the evaluator's verdict on every plan first."""
    checks = [sound_check(outcome), oracle_check(outcome), *_status_checks(expect, outcome)]
    for incident in expect.incidents:
        checks += incident_checks(incident, outcome)
    checks += _resource_checks(expect, outcome)
    checks += _trip_checks(expect, outcome)
    checks += _total_checks(expect, outcome)
    if expect.relaxations:
        found = sorted({r.kind for r in outcome.result.relaxations})
        checks.append(_contains("relaxations", expect.relaxations, found))
    if expect.distinct_alternatives:
        checks.append(distinct_alternatives_check(outcome.result.plans))
    return tuple(checks)


def sound_check(outcome: Dispatch) -> Check:
    """Every plan passes the evaluator: the problems the dispatch path found with it, the independent
    oracle's apart (:func:`oracle_check`)."""
    findings = _findings(outcome, lambda code: code != ProblemCode.ORACLE_DISAGREES)
    found = "; ".join(findings) if findings else f"{len(outcome.result.plans)} plan(s), no problem"
    return Check("sound", "every plan passes the evaluator", found, not findings)


def oracle_check(outcome: Dispatch) -> Check:
    """Every plan passes the independent oracle (:mod:`fleetplan.oracle`), which the dispatch path runs
    on every plan."""
    findings = _findings(outcome, lambda code: code == ProblemCode.ORACLE_DISAGREES)
    found = "; ".join(findings) if findings else "no finding"
    return Check("oracle", "every plan passes the oracle", found, not findings)


def _findings(outcome: Dispatch, kept: Callable[[ProblemCode], bool]) -> list[str]:
    return [
        f"plan {rank}: {problem.code} {problem.message}"
        for rank, problems in enumerate(outcome.problems, start=1)
        for problem in problems
        if kept(problem.code)
    ]


def _status_checks(expect: Expect, outcome: Dispatch) -> list[Check]:
    result, checks = outcome.result, []
    if expect.status:
        checks.append(
            Check("status", " or ".join(expect.status), result.status.value, result.status.value in expect.status)
        )
    if expect.plans is not None:
        checks.append(_bounded("plans", expect.plans, len(result.plans)))
    return checks


# --------------------------------------------------------------------------- one incident
def incident_checks(expect: IncidentExpect, outcome: Dispatch) -> list[Check]:
    """The checks of one incident; its group is the one the instance built for it."""
    instance, plan = outcome.instance, outcome.result.best
    prefix = expect.incident_id
    group = next((g for g in instance.groups if g.incident_id == expect.incident_id), None)
    if group is None:
        return [Check(f"{prefix}.group", "a stranded group", "none built", False)]
    rescues = carrying_rescues(plan, group)
    carriers = sorted({r.vehicle_id for r in rescues})
    checks: list[Check] = []

    def add(name: str, wanted, found, make: Callable[[str, object, object], Check]) -> None:
        if wanted is not None and wanted != ():
            checks.append(make(f"{prefix}.{name}", wanted, found))

    add("tier", expect.tier, group.tier, _equal)
    add("limit_min", expect.limit_min, group.limit_s // 60, _equal)
    reached, late, not_reached = passenger_counts(group, rescues)
    add("reached", expect.reached, reached, _bounded)
    add("late", expect.late, late, _bounded)
    add("not_reached", expect.not_reached, not_reached, _bounded)
    add("response_min", expect.response_min, response_min(group, rescues), _bounded)
    add("rescuers_include", expect.rescuers_include, carriers, _contains)
    add("rescuers_any_of", expect.rescuers_any_of, carriers, _overlaps)
    add("rescuers_only", expect.rescuers_only, carriers, _within)
    add("rescuers_count", expect.rescuers_count, len(carriers), _bounded)
    drivers = sorted({r.driver_id for r in rescues})
    add("drivers_include", expect.drivers_include, drivers, _contains)
    add("drivers_only", expect.drivers_only, drivers, _within)
    offered = sorted(
        {o.vehicle_id for o in instance.rescue_options if o.group_id == group.id and o.kind == CrewKind.PASSING}
    )
    add("passing_offered", expect.passing_offered, offered, _contains)
    add("passing_not_offered", expect.passing_not_offered, offered, _excludes)
    if expect.rest_at_scene_min is not None:
        rest = scene_rest_min(instance, rescues)
        checks.append(_bounded(f"{prefix}.rest_at_scene_min", Bounds(expect.rest_at_scene_min, None), rest))
    rest_places = sorted({r.rest_on_way_node for r in rescues if r.rest_on_way_node})
    add("rest_on_way_any_of", expect.rest_on_way_any_of, rest_places, _overlaps)
    return checks


def _total_checks(expect: Expect, outcome: Dispatch) -> list[Check]:
    """Passengers of all incidents together: reached, late, not reached."""
    wanted = (
        ("reached_total", expect.reached_total),
        ("late_total", expect.late_total),
        ("not_reached_total", expect.not_reached_total),
    )
    if all(bounds is None for _, bounds in wanted):
        return []
    totals = dict.fromkeys(("reached_total", "late_total", "not_reached_total"), 0)
    for group in outcome.instance.groups:
        reached, late, not_reached = passenger_counts(group, carrying_rescues(outcome.result.best, group))
        totals["reached_total"] += reached
        totals["late_total"] += late
        totals["not_reached_total"] += not_reached
    return [_bounded(name, bounds, totals[name]) for name, bounds in wanted if bounds is not None]


def passenger_counts(group: StrandedGroup, rescues: Iterable[Rescue]) -> tuple[int, int, int]:
    """(reached within the limit, reached late, not reached) of ``group``."""
    rescues = list(rescues)
    reached = sum(r.passengers for r in rescues if r.scene_arrival <= group.deadline)
    carried = sum(r.passengers for r in rescues)
    return reached, carried - reached, group.passengers - carried


def carrying_rescues(plan: Plan | None, group: StrandedGroup) -> list[Rescue]:
    """The best plan's rescues of ``group`` that take passengers."""
    return [r for r in (plan.rescues if plan else ()) if r.group_id == group.id and r.passengers > 0]


def response_min(group: StrandedGroup, rescues: Iterable[Rescue]) -> int | None:
    """Whole minutes from the report to the last carrying coach on scene (None if nobody goes)."""
    arrivals = [r.scene_arrival for r in rescues]
    return ceil_minutes((max(arrivals) - group.reported_at).total_seconds()) if arrivals else None


def scene_rest_min(instance: Instance, rescues: Iterable[Rescue]) -> int | None:
    """The longest rest a carrying driven coach takes at the scene, in whole minutes (floor).

    From departure to delivery a coach drives ``drive_s`` (the option's) and otherwise stands at the
    scene: waiting for boarding, the passengers' transfer, and any rest, or rests on the way. What is
    left after the wait, the transfer and the rest on the way is the rest at the scene.
    """
    options = {o.id: o for o in instance.rescue_options}
    rests = []
    for rescue in rescues:
        option = options.get(rescue.option_id)
        if option is None or option.kind == CrewKind.PASSING:
            continue
        standing_s = _seconds(rescue.destination_arrival, rescue.depart_at) - option.drive_s
        waiting_s = _seconds(rescue.boarding_at, rescue.scene_arrival)
        on_way_s = rescue.rest_on_way_s
        rests.append(max(0, standing_s - waiting_s - instance.ops.transfer_s - on_way_s) // 60)
    return max(rests, default=None)


def _seconds(later: datetime, earlier: datetime) -> int:
    return int((later - earlier).total_seconds())


# --------------------------------------------------------------------------- resources and trips
def _resource_checks(expect: Expect, outcome: Dispatch) -> list[Check]:
    checks = []
    if expect.not_used:
        used = sorted({resource for plan in outcome.result.plans for resource in plan_resources(plan)})
        checks.append(_excludes("not_used (any plan)", expect.not_used, used))
    rejections = outcome.result.rejections
    for candidate, codes in expect.rejected:
        found = sorted(
            {r.code.value for r in rejections if r.candidate == candidate or candidate in r.candidate.split("+")}
        )
        passed = any(code in found for code in codes)
        checks.append(Check(f"rejected {candidate}", " or ".join(codes), ", ".join(found) or "not rejected", passed))
    return checks


def plan_resources(plan: Plan) -> set[str]:
    """Every coach and driver a plan sends on a rescue or a trip."""
    crews = [(r.vehicle_id, r.driver_id) for r in plan.rescues] + [
        (c.vehicle_id, c.driver_id) for c in plan.trip_covers
    ]
    return {resource for crew in crews for resource in crew}


def _trip_checks(expect: Expect, outcome: Dispatch) -> list[Check]:
    plans, checks = outcome.result.plans, []
    best = outcome.result.best
    dataset = outcome.instance.dataset
    covered = sorted(recrewed_trips(best, dataset)) if best else []
    uncovered = sorted(best.uncovered_trip_ids) if best else []
    if expect.covered:
        checks.append(_contains("covered", expect.covered, covered))
    if expect.uncovered:
        checks.append(_contains("uncovered", expect.uncovered, uncovered))
    if expect.untouched:
        touched = sorted(
            {t for p in plans for t in recrewed_trips(p, dataset)} | {t for p in plans for t in p.uncovered_trip_ids}
        )
        checks.append(_excludes("untouched (any plan)", expect.untouched, touched))
    if expect.trip_covers is not None:
        checks.append(_bounded("trip_covers", expect.trip_covers, len(covered)))
    return checks


def recrewed_trips(plan: Plan, dataset: Dataset) -> set[str]:
    """The trips a plan changes: run by another coach or driver than planned, or at another time. A
    "cover" by the trip's own crew at its own time changes nothing and does not count."""
    return {
        cover.trip_id
        for cover in plan.trip_covers
        if cover.departure_shift_s
        or (cover.vehicle_id, cover.driver_id)
        != (dataset.trip(cover.trip_id).vehicle_id, dataset.trip(cover.trip_id).driver_id)
    }


# --------------------------------------------------------------------------- alternatives
def distinct_alternatives_check(plans: tuple[Plan, ...]) -> Check:
    """No alternative repeats an earlier plan's rescues (then it differs only in trip covers the
    incident does not force) or is dominated by it (no better in any objective term, worse in one)."""
    findings = []
    for j, later in enumerate(plans):
        for i, earlier in enumerate(plans[:j]):
            if rescue_assignment(earlier) == rescue_assignment(later):
                findings.append(f"plan {j + 1} repeats plan {i + 1}'s rescues")
                break
            if dominates(earlier.objective, later.objective):
                findings.append(f"plan {j + 1} is dominated by plan {i + 1}")
                break
    found = "; ".join(findings) if findings else f"{len(plans)} distinct plan(s)"
    return Check("distinct_alternatives", "no repeated or dominated alternative", found, not findings)


def rescue_assignment(plan: Plan) -> frozenset[tuple[str, str, str, int]]:
    """Who rescues whom: (coach, driver, group, passengers) of every carrying rescue."""
    return frozenset((r.vehicle_id, r.driver_id, r.group_id, r.passengers) for r in plan.rescues if r.passengers)


def dominates(a: Objective, b: Objective) -> bool:
    """``a`` is no worse than ``b`` in every term and better in one."""
    terms = [(getattr(a, f.name), getattr(b, f.name)) for f in fields(Objective)]
    return all(x <= y for x, y in terms) and any(x < y for x, y in terms)


# --------------------------------------------------------------------------- comparisons
def _show(value: object) -> str:
    if value is None:
        return NONE
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or NONE
    return str(value)


def _equal(name: str, wanted: object, found: object) -> Check:
    return Check(name, _show(wanted), _show(found), wanted == found)


def _bounded(name: str, wanted: object, found: object) -> Check:
    assert isinstance(wanted, Bounds)
    passed = isinstance(found, int) and wanted.holds(found)
    return Check(name, str(wanted), _show(found), passed)


def _contains(name: str, wanted: object, found: object) -> Check:
    missing = [x for x in _items(wanted) if x not in _items(found)]
    return Check(name, f"includes {_show(wanted)}", _show(found), not missing)


def _overlaps(name: str, wanted: object, found: object) -> Check:
    passed = any(x in _items(found) for x in _items(wanted))
    return Check(name, f"one of {_show(wanted)}", _show(found), passed)


def _within(name: str, wanted: object, found: object) -> Check:
    passed = all(x in _items(wanted) for x in _items(found))
    return Check(name, f"only {_show(wanted)}", _show(found), passed)


def _excludes(name: str, wanted: object, found: object) -> Check:
    present = [x for x in _items(wanted) if x in _items(found)]
    return Check(name, f"none of {_show(wanted)}", _show(present) if present else NONE, not present)


def _items(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)
