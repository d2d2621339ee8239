"""The live picture the desk dispatches against: the data with the recorded coach status changes,
the conditions with the active closures, what a plan view books, and whether the dispatch path would
still send its crews."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.instance import Instance, RejectionCode
from fleetplan.model import Conditions

from api.operations_log import Closure, ClosureKind, StatusChange

EDGE_ARROW = "->"
# Rejections about the coach or driver itself; the others (hours, rest, shift) hold for one task only
RESOURCE_CODES = frozenset(
    {
        RejectionCode.BUSY,
        RejectionCode.IN_WORKSHOP,
        RejectionCode.PERMIT,
        RejectionCode.LICENCE_CLASS,
        RejectionCode.PROBATION,
        RejectionCode.AGE,
        RejectionCode.QUALIFICATION,
    }
)


def with_statuses(corridor: Corridor, changes: dict[str, StatusChange]) -> Corridor:
    """``corridor`` with each coach's status replaced by its latest recorded change."""
    if not changes:
        return corridor
    vehicles = tuple(
        replace(vehicle, status=changes[vehicle.id].status) if vehicle.id in changes else vehicle
        for vehicle in corridor.dataset.vehicles
    )
    return replace(corridor, dataset=replace(corridor.dataset, vehicles=vehicles))


def with_closures(conditions: Conditions, closures: list[Closure]) -> Conditions:
    """The preset ``conditions`` with the active closures added (its own closures kept)."""
    if not closures:
        return conditions
    entrances = {c.target for c in closures if c.kind == ClosureKind.ENTRANCE}
    edges = {c.edge for c in closures if c.kind == ClosureKind.EDGE}
    return replace(
        conditions,
        closed_entrances=conditions.closed_entrances | entrances,
        closed_edges=conditions.closed_edges | edges,
    )


def conditions_view(conditions: Conditions) -> dict[str, Any]:
    return {
        "preset": conditions.name,
        "weather": {road.value: w.value for road, w in conditions.weather},
        "closed_entrances": sorted(conditions.closed_entrances),
        "closed_edges": sorted(f"{u}{EDGE_ARROW}{v}" for u, v in conditions.closed_edges),
    }


def plan_resources(plan: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The coaches and drivers a plan view commits: its rescues and its re-covered trips."""
    vehicles, drivers = [], []
    for item in list(plan.get("assignments", [])) + list(plan.get("recovered_trips", [])):
        if item["vehicle_id"] not in vehicles:
            vehicles.append(item["vehicle_id"])
        if item["driver_id"] not in drivers:
            drivers.append(item["driver_id"])
    return vehicles, drivers


def sends_nobody(plan: dict[str, Any], passengers: int) -> bool:
    """Whether a plan view sends no coach to the stranded passengers (the "no vehicle can be sent"
    plan of an infeasible dispatch). With nobody on board a plan that only re-covers trips still books
    something; with nothing at all to book it sends nobody either."""
    if plan.get("assignments"):
        return False
    return passengers > 0 or not plan.get("recovered_trips")


def plan_crews(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """The (coach, driver) crews a plan view sends: its rescues and its re-covered trips."""
    crews = []
    for item in list(plan.get("assignments", [])) + list(plan.get("recovered_trips", [])):
        crew = (item["vehicle_id"], item["driver_id"])
        if crew not in crews:
            crews.append(crew)
    return crews


def crews_not_offered(plan: dict[str, Any], fresh: Instance) -> dict[str, str]:
    """Coach or driver id → why, for the plan's crews that ``fresh`` no longer offers.

    ``fresh`` is the incident's instance built again from the live state: its crews are every coach
    with a driver the dispatch path would send now (not booked or broken down elsewhere, not in the
    workshop, permit valid, driver licensed, within hours and on shift for the task). Crews, not
    options, are compared: a coach freed meanwhile may outrank a plan's coach for the group without
    making it unusable.
    """
    offered = {(crew.vehicle_id, crew.driver_id) for crew in fresh.crews}
    why = candidate_reasons(fresh)
    reasons: dict[str, str] = {}
    for vehicle_id, driver_id in plan_crews(plan):
        if (vehicle_id, driver_id) in offered:
            continue
        named = {resource: why[resource] for resource in (vehicle_id, driver_id) if resource in why}
        reasons.update(named or {vehicle_id: f"{vehicle_id} with {driver_id} is no longer a crew the desk may send"})
    return reasons


def candidate_reasons(instance: Instance) -> dict[str, str]:
    """Coach or driver id → the builder's first reason to leave it out whatever the task."""
    reasons: dict[str, str] = {}
    for rejection in instance.rejections:
        if rejection.code in RESOURCE_CODES:
            reasons.setdefault(rejection.candidate, rejection.reason)
    return reasons


def closures_changed(then: dict[str, Any], now: dict[str, Any]) -> str | None:
    """The closures set or lifted between two conditions views (:func:`conditions_view`), said for the
    dispatcher; None when they close the same entrances and edges."""
    before = set(then.get("closed_entrances", [])) | set(then.get("closed_edges", []))
    after = set(now["closed_entrances"]) | set(now["closed_edges"])
    if before == after:
        return None
    parts = [
        f"{label}: {', '.join(sorted(items))}"
        for label, items in (("closed since", after - before), ("lifted since", before - after))
        if items
    ]
    return f"the road closures changed since these options ({'; '.join(parts)})"
