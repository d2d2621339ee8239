"""The evolving state of one what-if replication, as the dispatcher's decisions would make it:

- a failed coach (breakdown, accident, no-start) goes to the workshop for its repair time; its driver
  stays with it for the rest of the day. After an illness the coach is left at the scene and the
  driver is off for the rest of the day;
- rescuing coaches and drivers are busy until they are back where they started (the return drive is
  routed under the conditions of the moment); their driving goes into the drivers' logs;
- later trips the plan re-covers are handed to the new crew (retimed if the plan says so); trips it
  cannot cover are lost; a backup that runs a trip is busy until it is back at its site;
- an accident blocks its carriageway (a closed edge) for a while; the G1 entrances close when the
  weather calendar says so;
- every morning at 03:00 a coach still in the workshop hands that day's trips to a free standby coach
  (one of its depot first, the smallest that seats the passengers) or, if none is free, its trips
  are lost.

Busy resources reach the dispatch as ``unavailable`` (id → "busy until …"). The dispatch sees a
window of the timetable around the moment (8 days back for the drivers' hours, 1 day ahead), so its
cost does not grow with the period. Simplifications: the timetable runs as planned through closures
(a coach on G1 keeps its way); each week starts from the dataset's recorded history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from fleetplan.corridor import Corridor
from fleetplan.errors import FleetplanError
from fleetplan.instance import CrewKind, Instance, TripTask
from fleetplan.model import Activity, DutyInterval, Incident, IncidentKind, Trip, Vehicle, VehicleStatus
from fleetplan.network import TravelTimes
from fleetplan.plan import TripCover
from fleetplan.units import HOUR

from solver.dispatch import Dispatch, dispatch
from solver.planning.whatif.kpis import IncidentOutcome, ReplicationResult
from solver.planning.whatif.reproducible import reproducible_params
from solver.planning.whatif.scenario import WhatIfScenario
from solver.planning.whatif.streams import Candidate
from solver.planning.whatif.timetable import stop_shifted
from solver.planning.whatif.weather import WeatherCalendar, conditions_at

VIEW_PAST = timedelta(days=8)
VIEW_AHEAD = timedelta(days=1)
RETURN_FALLBACK_S = 3 * HOUR  # a return drive that cannot be routed (closures) is taken to last this long


class Replication:
    """The mutable state of one replication: :func:`~solver.planning.whatif.simulate.simulate_replication`
    drives it event by event (day starts and candidate incidents, in time order)."""

    def __init__(self, corridor: Corridor, scenario: WhatIfScenario, calendar: WeatherCalendar) -> None:
        self.corridor = corridor
        self.dataset = corridor.dataset
        self.scenario = scenario
        self.calendar = calendar
        self.trips: dict[str, Trip] = {trip.id: trip for trip in self.dataset.trips}
        self.trips_planned = len(self.trips)
        self.backups = tuple(v for v in self.dataset.vehicles if v.status == VehicleStatus.STANDBY)
        self.busy: dict[str, tuple[datetime, str]] = {}  # coach or driver → (busy until, why)
        self.workshop: dict[str, datetime] = {}  # coach → back from the workshop
        self.blocked: list[tuple[datetime, datetime, tuple[str, str]]] = []  # accidents' closed carriageways
        self.extra_duty: list[DutyInterval] = []  # rescue driving
        self.returns: dict[
            str, tuple[datetime, tuple[DutyInterval, ...]]
        ] = {}  # trip run by a backup → back home, its driving
        self.disrupted: set[str] = set()  # trips that already had an incident
        self.reported = 0  # incidents that happened, numbered in order
        self.outcomes: list[IncidentOutcome] = []
        self.lost_no_substitute = 0
        self.substitutions = 0
        self.not_optimal = 0
        self.wall_capped = 0

    # ------------------------------------------------------------------ results
    def result(self, seed: int, vehicle_km: float) -> ReplicationResult:
        return ReplicationResult(
            seed=seed,
            outcomes=tuple(self.outcomes),
            trips_planned=self.trips_planned,
            trips_lost_no_substitute=self.lost_no_substitute,
            substitutions=self.substitutions,
            vehicle_km=vehicle_km,
            weather_days=tuple(self.calendar.day_counts().items()),
            closure_hours=round(self.calendar.closure_hours, 2),
            solves_not_optimal=self.not_optimal,
            wall_capped_solves=self.wall_capped,
        )

    # ------------------------------------------------------------------ the morning: coaches still in the workshop
    def start_day(self, day: date, moment: datetime) -> None:
        """Hand today's trips of every coach still in the workshop to a free standby coach."""
        for vehicle_id in sorted(self.workshop):
            back_at = self.workshop[vehicle_id]
            todays = sorted(
                (
                    t
                    for t in self.trips.values()
                    if t.vehicle_id == vehicle_id and t.departure.date() == day and t.departure < back_at
                ),
                key=lambda t: t.departure,
            )
            if todays:
                self._substitute(self.dataset.vehicle(vehicle_id), todays, moment)
        self.workshop = {v: until for v, until in self.workshop.items() if until > moment}

    def _substitute(self, failed: Vehicle, trips: list[Trip], moment: datetime) -> None:
        seats_needed = max(trip.booked_passengers for trip in trips)
        free = [
            v
            for v in self.backups
            if not self._busy(v.id, moment) and v.seats >= seats_needed and v.permit_valid_on(moment.date())
        ]
        if not free:
            for trip in trips:
                del self.trips[trip.id]
            self.lost_no_substitute += len(trips)
            return
        stand_in = min(free, key=lambda v: (v.home_depot != failed.home_depot, v.seats, v.id))
        for trip in trips:
            self.trips[trip.id] = replace(trip, vehicle_id=stand_in.id)
        last = trips[-1]
        back_at = last.arrival + timedelta(
            seconds=self._return_s(stand_in, last.destination, self._home(stand_in), last.arrival)
        )
        self._mark(stand_in.id, back_at, f"standing in for {failed.id}, which is in the workshop")
        for trip in trips:
            self.returns[trip.id] = (
                back_at,
                (DutyInterval(trip.driver_id, trip.departure, trip.arrival, Activity.DRIVE),),
            )
        self.substitutions += 1

    # ------------------------------------------------------------------ incidents
    def incident(self, candidate: Candidate) -> None:
        """Dispatch ``candidate`` if it happens, record the outcome and apply the plan to the state."""
        self.incidents([candidate])

    def incidents(self, candidates: Sequence[Candidate]) -> None:
        """Dispatch the ``candidates`` that happen together, in one plan (coaches stranded at once by a
        blizzard's onset: issue #18 §6), record each outcome and apply the plan to the state."""
        admitted = [found for found in map(self._admit, candidates) if found is not None]
        if not admitted:
            return
        at = max(incident.at for incident, _, _ in admitted)
        conditions = conditions_at(self.dataset, self.calendar, at, self._blocked_at(at))
        # the failed coaches' drivers are at the scenes (or ill), wherever the timetable snapshot puts them
        unavailable = self._unavailable(at) | {
            trip.driver_id: f"with the failed coach {trip.vehicle_id}" for _, trip, _ in admitted
        }
        try:
            decision = dispatch(
                self._view(at),
                [incident for incident, _, _ in admitted],
                conditions,
                ops=self.scenario.ops,
                params=reproducible_params(self.scenario.solve_budget_s),
                unavailable=unavailable,
            )
        except FleetplanError as error:
            for incident, trip, candidate in admitted:
                self._failed_dispatch(incident, trip, candidate, error)
            return
        out_until = {
            incident.vehicle_id: self._take_out_of_service(incident, trip, c) for incident, trip, c in admitted
        }
        lost = self._apply(decision, [incident for incident, _, _ in admitted], out_until)
        for k, (incident, trip, _) in enumerate(admitted):  # trips lost count once, on the first incident
            outcome = _outcome(incident, trip, decision, lost if k == 0 else 0)
            self.outcomes.append(replace(outcome, planned_with=len(admitted)))
        self.not_optimal += not decision.result.proven
        self.wall_capped += decision.result.wall_capped

    def _admit(self, candidate: Candidate) -> tuple[Incident, Trip, Candidate] | None:
        """The incident ``candidate`` becomes, or None when it does not happen."""
        trip = self.trips.get(candidate.trip_id)
        if trip is None or trip.id in self.disrupted:
            return None  # the trip was lost, or its passengers already left it
        at = candidate.at + (trip.departure - candidate.planned_departure)  # a retimed trip passes later
        vehicle = self.dataset.vehicle(trip.vehicle_id)
        if self.workshop.get(vehicle.id, at) > at:
            return None  # not running: its coach is in the workshop
        if (
            candidate.kind == IncidentKind.BREAKDOWN
            and candidate.accept_u
            >= self.scenario.rates.breakdowns.failure_factor(vehicle, at.date()) / candidate.max_factor
        ):
            return None  # thinned: this coach fails less often than the envelope the candidate was drawn at
        self.disrupted.add(trip.id)
        self.reported += 1
        incident = Incident(
            id=f"S{self.reported:04d}",
            kind=candidate.kind,
            vehicle_id=vehicle.id,
            trip_id=trip.id,
            location=candidate.location,
            at=at,
            passengers=trip.booked_passengers,
            drivable=candidate.kind == IncidentKind.DRIVER_ILLNESS,
        )
        return incident, trip, candidate

    def _failed_dispatch(self, incident: Incident, trip: Trip, candidate: Candidate, error: FleetplanError) -> None:
        """A dispatch that raised: the coach is out of service, its later trips lost, the outcome says why."""
        at, vehicle_id = incident.at, incident.vehicle_id
        out_until = self._take_out_of_service(incident, trip, candidate)
        horizon = min(out_until, at + timedelta(seconds=self.scenario.ops.trip_horizon_s))
        lost = self._lose([t for t in self.trips.values() if t.vehicle_id == vehicle_id and at < t.departure < horizon])
        self.outcomes.append(
            IncidentOutcome(
                incident_id=incident.id,
                kind=incident.kind.value,
                at=at,
                trip_id=trip.id,
                vehicle_id=vehicle_id,
                location=incident.location,
                tier="none",
                limit_s=0,
                passengers=incident.passengers,
                carried=0,
                reached_within_limit=False,
                response_s=None,
                passenger_delay_min=0.0,
                trips_lost=lost,
                status="error",
                note=str(error)[:200],
            )
        )

    def _take_out_of_service(self, incident: Incident, trip: Trip, candidate: Candidate) -> datetime:
        """Mark the failed coach and its driver; returns when the coach is usable again."""
        at = incident.at
        end_of_day = datetime.combine(at.date() + timedelta(days=1), time(0, 0))
        if incident.kind == IncidentKind.DRIVER_ILLNESS:
            self._mark(incident.vehicle_id, end_of_day, "left at the scene: its driver fell ill")
            self._mark(trip.driver_id, end_of_day, "off sick")
            return end_of_day
        back_at = at + timedelta(hours=candidate.duration_h)
        self.workshop[incident.vehicle_id] = max(back_at, self.workshop.get(incident.vehicle_id, back_at))
        self._mark(incident.vehicle_id, back_at, f"in the workshop after {incident.kind.value} {incident.id}")
        self._mark(trip.driver_id, end_of_day, f"stays with the failed coach {incident.vehicle_id}")
        if incident.kind == IncidentKind.ACCIDENT:
            edge = self.corridor.network.locate(incident.location).edge_points[0].edge
            self.blocked.append((at, at + timedelta(minutes=candidate.blocking_min), edge))
        return back_at

    def _apply(self, decision: Dispatch, incidents: Sequence[Incident], out_until: Mapping[str, datetime]) -> int:
        """Hand trips to their new crews, book the rescuers, drop lost trips; returns the trips lost
        (``out_until``: each failed coach → when it is usable again)."""
        incident = incidents[0]  # a batch's coaches are booked and trips handed over in its first one's name
        instance, plan = decision.instance, decision.best
        if plan is None:
            return 0
        trip_options = {option.id: option for option in instance.trip_options}
        rescue_options = {option.id: option for option in instance.rescue_options}
        chained = {
            trip_options[c.option_id].crew_id: c.trip_id for c in plan.trip_covers if trip_options[c.option_id].chained
        }  # crew → the trip it runs next
        used_vehicles, used_drivers = set(), set()
        for cover in plan.trip_covers:
            task = instance.trip_task(cover.trip_id)
            if (cover.vehicle_id, cover.driver_id) != (task.planned_vehicle_id, task.planned_driver_id):
                used_vehicles.add(cover.vehicle_id)
                used_drivers.add(cover.driver_id)
            self._hand_over(cover, incident)
        route_crews = {route.id: route.crew_id for route in instance.route_options}
        route_ends = {route.id: route.stops[-1] for route in plan.routes}
        for rescue in plan.rescues:
            if rescue.route_id:  # one part of a route stands for all: the crew is out until its last stop
                if rescue.route_id not in route_ends:
                    continue
                last = route_ends.pop(rescue.route_id)
                rescue = replace(rescue, destination_arrival=last.arrival, destination_node=last.place)
                crew = instance.crew(route_crews[rescue.route_id])
            else:
                crew = instance.crew(rescue_options[rescue.option_id].crew_id)
            if crew.kind == CrewKind.PASSING:
                continue  # it goes on with its own trip
            used_vehicles.add(crew.vehicle_id)
            used_drivers.add(crew.driver_id)
            self._log_drive(crew.driver_id, rescue.depart_at, rescue.destination_arrival)
            why = f"rescue of {incident.id}"
            if crew.id in chained:  # from the destination straight on to that trip (a backup: until back home)
                next_trip = self.trips.get(chained[crew.id])
                until = max(
                    rescue.destination_arrival, next_trip.departure if next_trip else rescue.destination_arrival
                )
                self._mark(crew.vehicle_id, until, why)
                self._mark(crew.driver_id, until, why)
                continue
            destination = rescue.destination_node or instance.group(rescue.group_id).destination_node
            vehicle = self.dataset.vehicle(crew.vehicle_id)
            back_at = rescue.destination_arrival + timedelta(
                seconds=self._return_s(vehicle, destination, crew.origin_node, rescue.destination_arrival)
            )
            self._log_drive(crew.driver_id, rescue.destination_arrival, back_at)
            self._mark(crew.vehicle_id, back_at, why)
            self._mark(crew.driver_id, back_at, why)
        uncovered = set(plan.uncovered_trip_ids)
        lost = [
            task
            for task in instance.trip_tasks
            if task.trip_id in uncovered and _really_lost(task, out_until, used_vehicles, used_drivers)
        ]
        return self._lose([self.trips[t.trip_id] for t in lost if t.trip_id in self.trips])

    def _hand_over(self, cover: TripCover, incident: Incident) -> None:
        trip = self.trips.get(cover.trip_id)
        if trip is None:
            return
        unchanged = (cover.vehicle_id, cover.driver_id) == (trip.vehicle_id, trip.driver_id)
        if unchanged and cover.departure_shift_s == 0:
            return
        signed = trip.signed_driver_ids if cover.driver_id in trip.signed_driver_ids else (cover.driver_id,)
        trip = replace(
            trip,
            vehicle_id=cover.vehicle_id,
            driver_id=cover.driver_id,
            signed_driver_ids=signed,
            stops=tuple(stop_shifted(stop, cover.departure_shift_s) for stop in trip.stops),
        )
        self.trips[trip.id] = trip
        if unchanged:
            return
        vehicle = self.dataset.vehicle(cover.vehicle_id)
        why = f"to run trip {trip.id} after {incident.id}"
        if vehicle.status == VehicleStatus.STANDBY:  # a backup: busy until back at its site
            back_at = trip.arrival + timedelta(
                seconds=self._return_s(vehicle, trip.destination, self._home(vehicle), trip.arrival)
            )
            self.returns[trip.id] = (
                back_at,
                (DutyInterval(trip.driver_id, trip.departure, trip.arrival, Activity.DRIVE),),
            )
            self._mark(vehicle.id, back_at, why)
            self._mark(cover.driver_id, back_at, why)
        else:  # an in-service coach: the timetable places it from the departure on
            self._mark(vehicle.id, trip.departure, why)
            self._mark(cover.driver_id, trip.departure, why)

    def _lose(self, trips: list[Trip]) -> int:
        for trip in trips:
            self.trips.pop(trip.id, None)
        return len(trips)

    # ------------------------------------------------------------------ what the dispatch sees
    def _view(self, at: datetime) -> Corridor:
        """The corridor as the dispatch sees it at ``at``: the timetable window and the drivers' logs."""
        low, high = at - VIEW_PAST, at + VIEW_AHEAD
        trips, driving = [], [d for d in self.extra_duty if d.end >= low]
        for trip in self.trips.values():
            if trip.arrival < low or trip.departure > high:
                continue
            returned = self.returns.get(trip.id)
            if returned is not None and returned[0] <= at:
                driving += returned[1]  # run by a backup that is home again: its driving stays in the log
                continue
            trips.append(trip)
        dataset = replace(self.dataset, trips=tuple(trips), duty_log=self.dataset.duty_log + tuple(driving))
        return Corridor(dataset, self.corridor.network, self.corridor.directory)

    def _unavailable(self, at: datetime) -> dict[str, str]:
        return {rid: f"{why} until {until:%a %H:%M}" for rid, (until, why) in sorted(self.busy.items()) if until > at}

    def _blocked_at(self, at: datetime) -> frozenset[tuple[str, str]]:
        return frozenset(edge for start, end, edge in self.blocked if start <= at < end)

    # ------------------------------------------------------------------ small helpers
    def _busy(self, resource_id: str, at: datetime) -> bool:
        return resource_id in self.busy and self.busy[resource_id][0] > at

    def _mark(self, resource_id: str, until: datetime, why: str) -> None:
        if resource_id not in self.busy or self.busy[resource_id][0] < until:
            self.busy[resource_id] = (until, why)

    def _log_drive(self, driver_id: str, start: datetime, end: datetime) -> None:
        if end > start:
            self.extra_duty.append(DutyInterval(driver_id, start, end, Activity.DRIVE))

    def _home(self, vehicle: Vehicle) -> str:
        return self.dataset.site(vehicle.home_depot).node_id

    def _return_s(self, vehicle: Vehicle, from_node: str, to_node: str | None, at: datetime) -> int:
        """Seconds to drive back under the conditions of ``at``."""
        if to_node is None or from_node == to_node:
            return 0
        conditions = conditions_at(self.dataset, self.calendar, at, self._blocked_at(at))
        try:
            return (
                TravelTimes(self.corridor.network, conditions, vehicle.vehicle_class)
                .route(from_node, to_node, at)
                .travel_time_s
            )
        except FleetplanError:
            return RETURN_FALLBACK_S


def _really_lost(
    task: TripTask, failed_until: Mapping[str, datetime], used_vehicles: set[str], used_drivers: set[str]
) -> bool:
    """An uncovered task is lost if its coach (a failed one) is still out then, or its crew was pulled
    into the plan; otherwise it runs as timetabled."""
    if task.planned_vehicle_id in failed_until:
        return task.departure < failed_until[task.planned_vehicle_id]
    return task.planned_vehicle_id in used_vehicles or task.planned_driver_id in used_drivers


def _outcome(incident: Incident, trip: Trip, decision: Dispatch, trips_lost: int) -> IncidentOutcome:
    instance: Instance = decision.instance
    group = next(g for g in instance.groups if g.incident_id == incident.id)
    rescues = decision.best.rescues if decision.best else ()
    carrying = [r for r in rescues if r.group_id == group.id and r.passengers > 0]
    carried = sum(r.passengers for r in carrying)
    everyone = carried >= group.passengers
    reached = everyone and all(r.scene_arrival <= group.deadline for r in carrying)
    response_s = (
        int((max(r.scene_arrival for r in carrying) - group.reported_at).total_seconds())
        if carrying and everyone
        else None
    )
    delay_min = 0.0
    if group.planned_arrival is not None:
        delay_min = (
            sum(
                r.passengers * max(0.0, (r.destination_arrival - group.planned_arrival).total_seconds())
                for r in carrying
            )
            / 60
        )
    return IncidentOutcome(
        incident_id=incident.id,
        kind=incident.kind.value,
        at=incident.at,
        trip_id=trip.id,
        vehicle_id=incident.vehicle_id,
        location=incident.location,
        tier=group.tier,
        limit_s=group.limit_s,
        passengers=group.passengers,
        carried=carried,
        reached_within_limit=reached,
        response_s=response_s,
        passenger_delay_min=round(delay_min, 2),
        trips_lost=trips_lost,
        status=decision.result.status.value,
        evaluator_problems=sum(len(found) for found in decision.problems),
        rescue_vehicles=tuple(r.vehicle_id for r in carrying),
        note="" if carrying else "no coach could be sent",
        reached_in_time=sum(r.passengers for r in carrying if r.scene_arrival <= group.deadline),
    )
