"""What the evaluator knows of the world, recomputed from the data: where each coach and driver is,
who drives what, the drivers' logs, the routes, and each group's tier and deadline."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import cached_property

from fleetplan.instance import Instance, StrandedGroup
from fleetplan.model import Activity, Dataset, DutyInterval, SiteKind, Trip, VehicleClass, VehicleStatus
from fleetplan.network import SpeedRules, TravelTimes
from fleetplan.network.distance import nearest_road_distance_m
from fleetplan.operations import OperationsPolicy
from fleetplan.phrase import Phrase
from fleetplan.plan import Rescue
from fleetplan.rules import ProposedTask, rescue_task
from fleetplan.tiers import Tier, classify
from fleetplan.timetable import trip_added_s
from fleetplan.wording import names_of, render


class Facts:
    """The facts a plan is checked against, for one instance and one set of operating assumptions."""

    def __init__(self, instance: Instance, ops: OperationsPolicy) -> None:
        self.instance = instance
        self.ops = ops
        self.dataset: Dataset = instance.dataset
        self.network = instance.network
        self.at = instance.at
        self.failed = {g.failed_vehicle_id for g in instance.groups}
        self._travel: dict[VehicleClass, TravelTimes] = {}
        self._clear: dict[VehicleClass, TravelTimes] = {}  # clear weather, for what snow adds to a trip

    def say(self, said: Phrase) -> str:
        """A phrase in English with the places named: a problem's message."""
        return render(said, "en", names_of(self.network, self.dataset))

    # ------------------------------------------------------------------ facts recomputed from data
    def travel(self, vehicle_id: str) -> TravelTimes:
        vehicle_class = self.dataset.vehicle(vehicle_id).vehicle_class
        if vehicle_class not in self._travel:
            rules = SpeedRules.for_policy(self.instance.driving_policy)  # the night of the driving rules
            self._travel[vehicle_class] = TravelTimes(self.network, self.instance.conditions, vehicle_class, rules)
        return self._travel[vehicle_class]

    def trip_added_s(self, vehicle_id: str, trip: Trip) -> int:
        """Seconds the conditions add to driving ``trip``'s legs (each from its stop at the timetable's
        time) over clear weather, for a coach like ``vehicle_id`` (world model §8); 0 where a leg has no
        route (the trip cannot run: judged elsewhere)."""
        if self.instance.conditions == self.dataset.clear_conditions:
            return 0
        vehicle_class = self.dataset.vehicle(vehicle_id).vehicle_class
        if vehicle_class not in self._clear:
            rules = SpeedRules.for_policy(self.instance.driving_policy)
            self._clear[vehicle_class] = TravelTimes(self.network, self.dataset.clear_conditions, vehicle_class, rules)
        clear, travel = self._clear[vehicle_class], self.travel(vehicle_id)
        return trip_added_s(
            trip,
            lambda a, b, at: travel.route(self.locate(a), self.locate(b), at).travel_time_s,
            lambda a, b, at: clear.route(self.locate(a), self.locate(b), at).travel_time_s,
        )

    def route_s(self, vehicle_id: str, origin, destination, depart_at: datetime) -> tuple[int, int]:
        """(seconds, metres) from ``origin`` to ``destination``; texts are located on the network."""
        route = self.travel(vehicle_id).route(self.locate(origin), self.locate(destination), depart_at)
        return route.travel_time_s, route.length_m

    def locate(self, where):
        return self.network.locate(where) if isinstance(where, str) else where

    # Each coach's and driver's trips, and each driver's logged duty, sorted once: a large fleet asks for
    # them thousands of times, and scanning the timetable every time made the check quadratic.
    @cached_property
    def _trips_by(self) -> dict[str, dict[str, list[Trip]]]:
        by: dict[str, dict[str, list[Trip]]] = {"vehicle_id": defaultdict(list), "driver_id": defaultdict(list)}
        for trip in sorted(self.dataset.trips, key=lambda t: t.departure):
            by["vehicle_id"][trip.vehicle_id].append(trip)
            by["driver_id"][trip.driver_id].append(trip)
        return by

    @cached_property
    def _logged_by_driver(self) -> dict[str, list[DutyInterval]]:
        by: dict[str, list[DutyInterval]] = defaultdict(list)
        for duty in self.dataset.duty_log:
            by[duty.driver_id].append(duty)
        return by

    def trips_of(self, attribute: str, resource: str) -> list[Trip]:
        """The trips of coach or driver ``resource`` (``attribute`` ``vehicle_id`` or ``driver_id``), by departure."""
        return list(self._trips_by[attribute].get(resource, ()))

    def trips_of_vehicle(self, vehicle_id: str) -> list[Trip]:
        return self.trips_of("vehicle_id", vehicle_id)

    def current_trip(self, vehicle_id: str) -> Trip | None:
        return next((t for t in self.trips_of_vehicle(vehicle_id) if t.departure <= self.at < t.arrival), None)

    def vehicle_node(self, vehicle_id: str) -> str:
        seen = self.instance.live.sighted.get(vehicle_id)
        if seen is not None and seen.node_id is not None and self._placed_by_fix(vehicle_id):
            return seen.node_id  # where its fresh fix has it
        done = [t for t in self.trips_of_vehicle(vehicle_id) if t.arrival <= self.at]
        if done and done[-1].departure.date() == self.at.date():  # overnight it is back at its depot
            return done[-1].destination
        return self.dataset.site(self.dataset.vehicle(vehicle_id).home_depot).node_id

    def on_road(self, vehicle_id: str) -> bool:
        """Off a trip, its fresh fix away from every place: not standing anywhere a crew could take it."""
        seen = self.instance.live.sighted.get(vehicle_id)
        return seen is not None and seen.node_id is None and self._placed_by_fix(vehicle_id)

    def _placed_by_fix(self, vehicle_id: str) -> bool:
        vehicle = self.dataset.vehicle(vehicle_id)
        return self.current_trip(vehicle_id) is None and vehicle.status != VehicleStatus.WORKSHOP

    def driver_node(self, driver_id: str) -> str:
        done = [t for t in self.trips_of("driver_id", driver_id) if t.arrival <= self.at]
        if done and done[-1].departure.date() == self.at.date():
            return done[-1].destination
        return self.dataset.site(self.dataset.driver(driver_id).home_depot).node_id

    def duty_log(self, driver_id: str) -> list[DutyInterval]:
        # the log as known at the report: what began before it, whole (a duty under way is kept to its end)
        history = [d for d in self._logged_by_driver.get(driver_id, ()) if d.start < self.at]
        driven = [
            DutyInterval(driver_id, t.departure, min(t.arrival, self.at), Activity.DRIVE)
            for t in self.trips_of("driver_id", driver_id)
            if t.departure < self.at and not _in_log(history, t)
        ]
        return sorted(history + driven, key=lambda d: d.start)

    def deadline(self, group: StrandedGroup) -> tuple[datetime, Tier]:
        """The group's deadline and tier, recomputed from the scene, the timetable's standby coaches
        and the tier policy."""
        trip = self.dataset.trip(group.trip_id) if group.trip_id else None
        depots = [s.node_id for s in self.dataset.sites if s.kind == SiteKind.DEPOT]
        tier, deadline = classify(
            self.instance.tier_policy,
            group.reported_at,
            trip.departure if trip else None,
            nearest_road_distance_m(self.network, depots, group.scene),
            nearest_road_distance_m(self.network, self._backup_nodes, group.scene),
        )
        return deadline, tier

    @cached_property
    def _backup_nodes(self) -> list[str]:
        """Where the standby coaches that could be sent stand (the same for every group)."""
        return sorted(
            {
                self.vehicle_node(v.id)
                for v in self.standby_vehicles()
                if v.id not in self.instance.unavailable
                and v.id not in self.failed
                and v.permit_valid_on(self.at.date())
                and not self.on_road(v.id)
            }
        )

    def standby_vehicles(self):
        return [
            v for v in self.dataset.vehicles if v.status == VehicleStatus.STANDBY and self.current_trip(v.id) is None
        ]

    def next_trip_of(self, attribute: str, resource: str, besides: str | None = None) -> Trip | None:
        """The first trip of coach or driver ``resource`` (``attribute`` ``vehicle_id`` or
        ``driver_id``) leaving after the decision and within the trip horizon, other than ``besides``."""
        horizon = self.at + timedelta(seconds=self.ops.trip_horizon_s)
        return next(
            (t for t in self.trips_of(attribute, resource) if self.at < t.departure <= horizon and t.id != besides),
            None,
        )

    def passing_rescue(self, rescue: Rescue) -> bool:
        return self.passing_trip(rescue) is not None

    def rescue_duty(self, rescue: Rescue, distance_m: float | None = None) -> ProposedTask:
        """The duty a driven rescue adds to its driver's log (drive, duty at the scene, rest, drive);
        ``distance_m``, the rescue's length, matters for the 02:00–05:00 exemptions."""
        return rescue_task(
            rescue.depart_at,
            rescue.scene_arrival,
            rescue.boarding_at,
            self.ops.transfer_s,
            rescue.rest_at_scene_s,
            rescue.destination_arrival,
            rest_on_way=rescue.rest_on_way,
            distance_m=distance_m,
        )

    def passing_trip(self, rescue: Rescue) -> Trip | None:
        """The trip a passing coach is on at the decision, or the one it claims to be about to start
        (its first stop within ``ops.passing_window_s``); None for a coach that is not passing."""
        current = self.current_trip(rescue.vehicle_id)
        if current is not None or rescue.passing_trip_id is None:
            return current
        claimed = self.dataset.trip(rescue.passing_trip_id)
        soon = self.at < claimed.departure <= self.at + timedelta(seconds=self.ops.passing_window_s)
        return claimed if soon and claimed.vehicle_id == rescue.vehicle_id else None


def _in_log(history: list[DutyInterval], trip: Trip) -> bool:
    """Whether the driver's log already holds the trip's time (a repeated week's trip on a logged day)."""
    return any(d.start < trip.arrival and trip.departure < d.end for d in history)
