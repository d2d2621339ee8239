"""The live picture the desk dispatches against: the data with the recorded coach status changes,
the conditions with the active closures, and what a plan view books."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.model import Conditions

from api.operations_log import Closure, ClosureKind, StatusChange

EDGE_ARROW = "->"


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
