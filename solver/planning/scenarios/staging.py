"""Staging a scenario on the corridor: its changes applied to the data in memory (with
:func:`dataclasses.replace`, so every changed object is validated again), its incidents built, and
every id it names checked against the data, so a typo is a clear error before anything is solved."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from types import MappingProxyType
from typing import Any, TypeVar

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError
from fleetplan.model import Conditions, Dataset, Incident
from fleetplan.operations import OperationsPolicy

from solver.planning.scenarios.errors import ScenarioFileError
from solver.planning.scenarios.spec import Changes, Expect, IncidentSpec, Scenario, Setup

Item = TypeVar("Item")


@dataclass(frozen=True)
class StagedScenario:
    """A scenario ready for :func:`solver.dispatch.dispatch`: the changed corridor and the inputs."""

    scenario: Scenario
    corridor: Corridor
    incidents: tuple[Incident, ...]
    conditions: Conditions
    ops: OperationsPolicy
    unavailable: Mapping[str, str]


def stage(scenario: Scenario, corridor: Corridor) -> StagedScenario:
    """Apply ``scenario``'s setup to ``corridor`` and build its incidents.

    Raises
    ------
    ScenarioFileError
        Naming the scenario's file and the field whose id, value or place the data cannot take.
    """
    path = scenario.path
    dataset = _changed_dataset(path, corridor.dataset, scenario.setup)
    changed = Corridor(dataset, corridor.network, corridor.directory)
    conditions = _guard(path, "conditions", lambda: dataset.conditions_named(scenario.conditions))
    incidents = tuple(_incident(path, changed, spec, n) for n, spec in enumerate(scenario.incidents, start=1))
    _check_expected_ids(path, dataset, scenario.expect)
    ops = _guard(path, "setup.ops", lambda: replace(OperationsPolicy(), **dict(scenario.setup.ops)))
    unavailable = dict(scenario.setup.unavailable)
    for key in unavailable:
        _known_resource(path, dataset, key, f"setup.unavailable.{key}")
    return StagedScenario(scenario, changed, incidents, conditions, ops, MappingProxyType(unavailable))


def _guard(path: Any, field: str, make: Callable[[], Item]) -> Item:
    """``make()``, with a domain error turned into one naming the file and ``field``."""
    try:
        return make()
    except FleetplanError as error:
        raise ScenarioFileError(path, field, str(error)) from None


def _changed_dataset(path: Any, dataset: Dataset, setup: Setup) -> Dataset:
    if setup.empty:
        return dataset
    policy = _guard(path, "setup.policy", lambda: replace(dataset.driving_policy, **dict(setup.policy)))
    vehicles = _changed(path, dataset.vehicles, setup.vehicles, "setup.vehicles")
    drivers = _changed(path, dataset.drivers, setup.drivers, "setup.drivers")
    for n, interval in enumerate(setup.duty_log, start=1):
        _guard(path, f"setup.duty_log[{n}].driver", partial(dataset.driver, interval.driver_id))
    return replace(
        dataset, vehicles=vehicles, drivers=drivers, driving_policy=policy, duty_log=dataset.duty_log + setup.duty_log
    )


def _changed(
    path: Any, items: tuple[Item, ...], changes: tuple[tuple[str, Changes], ...], field: str
) -> tuple[Item, ...]:
    """``items`` with the ``changes`` (id → field changes) applied; an unknown id is an error."""
    by_id = dict(changes)
    known = {getattr(item, "id") for item in items}  # noqa: B009 - Vehicle and Driver both have an id
    for key in by_id:
        if key not in known:
            raise ScenarioFileError(path, f"{field}.{key}", f"no such id; known: {', '.join(sorted(known))}")
    return tuple(_apply(path, item, by_id.get(getattr(item, "id")), field) for item in items)  # noqa: B009


def _apply(path: Any, item: Item, changes: Changes | None, field: str) -> Item:
    if not changes:
        return item
    label = f"{field}.{getattr(item, 'id')}"  # noqa: B009
    return _guard(path, label, lambda: replace(item, **dict(changes)))  # type: ignore[type-var]


def _incident(path: Any, corridor: Corridor, spec: IncidentSpec, number: int) -> Incident:
    field = f"incident[{number}]"
    dataset = corridor.dataset
    vehicle = _guard(path, f"{field}.vehicle", lambda: dataset.vehicle(spec.vehicle))
    if spec.trip is not None:
        _guard(path, f"{field}.trip", lambda: dataset.trip(spec.trip or ""))
    if spec.passengers > vehicle.seats:
        raise ScenarioFileError(path, f"{field}.passengers", f"{spec.passengers} is above the {vehicle.seats} seats")
    _guard(path, f"{field}.at", lambda: corridor.network.locate(spec.at))
    return _guard(
        path,
        field,
        lambda: Incident(
            spec.id, spec.kind, spec.vehicle, spec.trip, spec.at, spec.time, spec.passengers, drivable=spec.drivable
        ),
    )


def _check_expected_ids(path: Any, dataset: Dataset, expect: Expect) -> None:
    """Every coach, driver, trip and tier the expectations name exists (a typo would never match)."""
    for n, key in enumerate(expect.not_used):
        _known_resource(path, dataset, key, f"expect.not_used[{n}]")
    for candidate, _codes in expect.rejected:
        for part in candidate.split("+"):  # a coach–driver pair is named c09+d09
            _known_resource(path, dataset, part, f"expect.rejected.{candidate}")
    for name in ("covered", "uncovered", "untouched"):
        for n, trip_id in enumerate(getattr(expect, name)):
            _guard(path, f"expect.{name}[{n}]", partial(dataset.trip, trip_id))
    for incident in expect.incidents:
        field = f"expect.incident.{incident.incident_id}"
        if incident.tier is not None:
            _guard(path, f"{field}.tier", partial(dataset.tier_policy.tier_named, incident.tier))
        for name in ("rescuers_include", "rescuers_any_of", "rescuers_only", "passing_offered", "passing_not_offered"):
            _known_vehicles(path, dataset, getattr(incident, name), f"{field}.{name}")
        for name in ("drivers_include", "drivers_only"):
            for n, key in enumerate(getattr(incident, name)):
                _guard(path, f"{field}.{name}[{n}]", partial(dataset.driver, key))


def _known_vehicles(path: Any, dataset: Dataset, ids: Iterable[str], field: str) -> None:
    for n, key in enumerate(ids):
        _guard(path, f"{field}[{n}]", partial(dataset.vehicle, key))


def _known_resource(path: Any, dataset: Dataset, key: str, field: str) -> None:
    """``key`` is a coach or a driver of the data."""
    known = {v.id for v in dataset.vehicles} | {d.id for d in dataset.drivers}
    if key not in known:
        raise ScenarioFileError(path, field, f"{key!r} is neither a coach nor a driver of the data")
