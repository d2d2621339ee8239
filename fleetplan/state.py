"""Live state at a moment, derived from the dataset's timetable and duty history.

This is what the timetable implies: a coach on a trip that has started and not ended is on the road;
otherwise it stands where its last trip of the day ended, or at its home depot. Drivers' logs are what their
log holds up to the moment (an interval under way kept whole) plus the driving of the trips already
started (clipped at the moment) that the log does not already account for. Fresh positions from the coaches' terminals refine it (:mod:`fleetplan.live`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from fleetplan.model import Activity, Dataset, DutyInterval, Trip, VehicleStatus


class Whereabouts(StrEnum):
    STANDBY = "standby"  # a backup at its depot or staging point
    IDLE = "idle"  # an in-service coach between trips
    ON_TRIP = "on_trip"
    WORKSHOP = "workshop"
    ON_ROAD = "on_road"  # off a trip, its fresh GPS fix away from every place (fleetplan.live)


@dataclass(frozen=True)
class VehicleState:
    vehicle_id: str
    whereabouts: Whereabouts
    node_id: str | None  # where it stands (None while on a trip)
    current_trip_id: str | None
    later_trip_ids: tuple[str, ...]  # its own trips that start after the moment, in order


@dataclass(frozen=True)
class DriverState:
    driver_id: str
    node_id: str | None  # where the driver is (None while driving a trip)
    current_trip_id: str | None
    later_trip_ids: tuple[str, ...]
    duty_log: tuple[DutyInterval, ...]  # the log as known at the moment plus the trips' driving so far


@dataclass(frozen=True)
class LiveState:
    at: datetime
    vehicles: Mapping[str, VehicleState]
    drivers: Mapping[str, DriverState]


def snapshot(dataset: Dataset, at: datetime) -> LiveState:
    """The state of every coach and driver at ``at`` implied by the timetable."""
    depot_node = {site.id: site.node_id for site in dataset.sites}
    by_vehicle: dict[str, list[Trip]] = defaultdict(list)
    by_driver: dict[str, list[Trip]] = defaultdict(list)
    for trip in sorted(dataset.trips, key=lambda t: t.departure):  # each coach's and driver's in order
        by_vehicle[trip.vehicle_id].append(trip)
        by_driver[trip.driver_id].append(trip)
    vehicles = {
        v.id: _vehicle_state(v.id, v.status, depot_node.get(v.home_depot, v.home_depot), by_vehicle[v.id], at)
        for v in dataset.vehicles
    }
    # The log as known at the moment: what began before it, whole (a duty under way on a replayed day
    # is a commitment kept to its end, not cut at the moment); nothing that begins later.
    history = defaultdict(list)
    for interval in dataset.duty_log:
        if interval.start < at:
            history[interval.driver_id].append(interval)
    drivers = {
        d.id: _driver_state(
            d.id,
            depot_node.get(d.home_depot, d.home_depot),
            history[d.id],
            by_driver[d.id],
            at,
        )
        for d in dataset.drivers
    }
    return LiveState(at, MappingProxyType(vehicles), MappingProxyType(drivers))


def vehicle_state_at(dataset: Dataset, vehicle_id: str, at: datetime) -> VehicleState:
    """The state of one coach at ``at`` implied by the timetable (as :func:`snapshot` has it)."""
    vehicle = dataset.vehicle(vehicle_id)
    depot = next((site.node_id for site in dataset.sites if site.id == vehicle.home_depot), vehicle.home_depot)
    trips = sorted((trip for trip in dataset.trips if trip.vehicle_id == vehicle_id), key=lambda t: t.departure)
    return _vehicle_state(vehicle_id, vehicle.status, depot, trips, at)


def _vehicle_state(
    vehicle_id: str, status: VehicleStatus, home_node: str, trips: list[Trip], at: datetime
) -> VehicleState:
    current = next((t for t in trips if t.departure <= at < t.arrival), None)
    later = tuple(t.id for t in trips if t.departure > at)
    if status == VehicleStatus.WORKSHOP:
        return VehicleState(vehicle_id, Whereabouts.WORKSHOP, home_node, None, later)
    if current is not None:
        return VehicleState(vehicle_id, Whereabouts.ON_TRIP, None, current.id, later)
    done = [t for t in trips if t.arrival <= at]
    # After its last trip of the day a coach stands where it ended; overnight it is back at its depot.
    node = done[-1].destination if done and done[-1].departure.date() == at.date() else home_node
    whereabouts = Whereabouts.STANDBY if status == VehicleStatus.STANDBY else Whereabouts.IDLE
    return VehicleState(vehicle_id, whereabouts, node, None, later)


def _driver_state(
    driver_id: str, home_node: str, history: list[DutyInterval], trips: list[Trip], at: datetime
) -> DriverState:
    driven = [
        DutyInterval(driver_id, t.departure, min(t.arrival, at), Activity.DRIVE)
        for t in trips
        if t.departure < at and not _logged(history, t)
    ]
    log = tuple(sorted(history + driven, key=lambda d: d.start))
    current = next((t for t in trips if t.departure <= at < t.arrival), None)
    done = [t for t in trips if t.arrival <= at]
    node = None if current else (done[-1].destination if done and done[-1].departure.date() == at.date() else home_node)
    later = tuple(t.id for t in trips if t.departure > at)
    return DriverState(driver_id, node, current.id if current else None, later, log)


def _logged(history: list[DutyInterval], trip: Trip) -> bool:
    """Whether the driver's log already accounts for the trip's time (a repeated week's trip on a day the
    log covers): its driving is not added twice."""
    return any(i.start < trip.arrival and trip.departure < i.end for i in history)
