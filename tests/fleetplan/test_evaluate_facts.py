"""The evaluator's facts come from indexes built once per check (a large fleet made the plain scans
quadratic): on a generated multi-city fleet they must be exactly what scanning the data says."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from fleetplan.builder import build_instance
from fleetplan.corridor import load_corridor
from fleetplan.evaluate.facts import Facts
from fleetplan.model import Trip

from bench.fleet_generator import FleetSpec, generate_corridor
from bench.incidents import simultaneous_incidents

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def facts() -> Facts:
    spec = FleetSpec(coaches=160, seed=31)
    corridor = generate_corridor(spec, load_corridor())
    moment = datetime.combine(spec.day, time(7, 45))
    incidents = [g.incident for g in simultaneous_incidents(corridor, moment, 4, spec.seed)]
    instance = build_instance(corridor, incidents, corridor.dataset.clear_conditions)
    return Facts(instance, instance.ops)


def scanned(facts: Facts, attribute: str, resource: str) -> list[Trip]:
    return sorted((t for t in facts.dataset.trips if getattr(t, attribute) == resource), key=lambda t: t.departure)


def test_each_coach_and_driver_has_the_trips_a_scan_finds(facts):
    for vehicle in facts.dataset.vehicles:
        assert facts.trips_of_vehicle(vehicle.id) == scanned(facts, "vehicle_id", vehicle.id)
    for driver in facts.dataset.drivers:
        assert facts.trips_of("driver_id", driver.id) == scanned(facts, "driver_id", driver.id)
    assert any(facts.trips_of_vehicle(v.id) for v in facts.dataset.vehicles)


def test_the_next_trip_is_the_first_a_scan_finds_within_the_horizon(facts):
    horizon = facts.at + timedelta(seconds=facts.ops.trip_horizon_s)
    found = 0
    for attribute, resources in (("vehicle_id", facts.dataset.vehicles), ("driver_id", facts.dataset.drivers)):
        for resource in resources:
            within = [t for t in scanned(facts, attribute, resource.id) if facts.at < t.departure <= horizon]
            assert facts.next_trip_of(attribute, resource.id) == (within[0] if within else None)
            if len(within) > 1:  # the next but one, when the first is set aside
                assert facts.next_trip_of(attribute, resource.id, besides=within[0].id) == within[1]
            found += bool(within)
    assert found, "no coach or driver has a trip within the horizon: the test sees nothing"


def test_a_drivers_log_holds_their_logged_duty_and_the_trips_begun_before_the_report(facts):
    assert any(facts.duty_log(d.id) for d in facts.dataset.drivers), "no driver has a log: the test sees nothing"
    for driver in facts.dataset.drivers:
        log = facts.duty_log(driver.id)
        assert log == sorted(log, key=lambda d: d.start)
        logged = [d for d in facts.dataset.duty_log if d.driver_id == driver.id and d.start < facts.at]
        assert all(d in log for d in logged)
        begun = [t for t in scanned(facts, "driver_id", driver.id) if t.departure < facts.at]
        assert len(log) == len(logged) + len(
            [t for t in begun if not any(d.start < t.arrival and t.departure < d.end for d in logged)]
        )
