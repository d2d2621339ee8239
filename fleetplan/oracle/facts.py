"""What the oracle derives from its world for one case: where coaches stand, which trip failed, which
stops are still ahead, and each driver's log before the plan.

Positions follow the timetable (the default data has no live feed): a coach on a trip that has begun
and not ended is on the road; otherwise it stands where its last trip ended, or at its home depot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from fleetplan.oracle.case import Case, CaseIncident, preset_for
from fleetplan.oracle.duty import Interval
from fleetplan.oracle.paths import Router
from fleetplan.oracle.places import Place, locate
from fleetplan.oracle.roads import Graph, build_graph, check_preset
from fleetplan.oracle.sightings import ON_THE_ROAD, standing_place
from fleetplan.oracle.speed import to_s
from fleetplan.oracle.world import CLEAR, StopRow, TripRow, World


@dataclass(frozen=True, eq=False)
class Facts:
    """The world, the case, the oracle's graph and a router under the case's conditions."""

    world: World
    case: Case
    graph: Graph
    router: Router
    _places: dict[str, Place] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, world: World, case: Case, graph: Graph | None = None) -> Facts:
        graph = graph if graph is not None else build_graph(world)
        preset = preset_for(world, case.conditions)
        check_preset(graph, preset)
        return cls(world, case, graph, Router(graph, preset, world.policy))

    @cached_property
    def router_since_report(self) -> Router:
        """The router for coaches already on their way: clear weather on edges entered before the report."""
        return Router(self.graph, self.router.preset, self.world.policy, to_s(self.case.at))

    @cached_property
    def clear_router(self) -> Router:
        """The router in the clear weather the timetable was planned for, without closures."""
        return Router(self.graph, CLEAR, self.world.policy)

    def place(self, text: str) -> Place:
        if text not in self._places:
            self._places[text] = locate(self.graph, text)
        return self._places[text]

    # ------------------------------------------------------------------ the failed trip
    def failed_trip(self, incident: CaseIncident) -> TripRow | None:
        """The incident's trip: the one named, else the coach's trip under way at the report, else
        its next trip leaving within the pre-departure limit plus an hour (a coach that will not start)."""
        if incident.trip_id:
            return self.world.trip(incident.trip_id)
        underway = self.coach_trip_at(incident.vehicle_id, incident.reported_at)
        if underway is not None:
            return underway
        window = timedelta(seconds=self.world.tiers.pre_departure.limit_s + 3600)
        return next(
            (
                trip
                for trip in self.world.trips_of_coach(incident.vehicle_id)
                if incident.reported_at <= trip.departure <= incident.reported_at + window
            ),
            None,
        )

    def remaining_stops(self, incident: CaseIncident) -> tuple[StopRow, ...]:
        """The failed trip's stops still ahead of the scene (any may be the delivery stop); without a
        trip, the failed coach's home depot."""
        trip = self.failed_trip(incident)
        if trip is None:
            coach = self.world.coach(incident.vehicle_id)
            home = self.site_node(coach.home_depot) if coach else incident.location
            return (StopRow(home, incident.reported_at),)
        scene = self.place(incident.location)
        ahead = tuple(s for s in trip.stops[1:] if s.planned > incident.reported_at and s.node_id != scene.node)
        return ahead or (trip.stops[-1],)

    def needs_new_sign(self, incident: CaseIncident, coach_id: str, driver_id: str) -> bool:
        """A coach other than the failed trip's, or a driver not on its sign, needs a new sign."""
        trip = self.failed_trip(incident)
        return trip is None or coach_id != trip.vehicle_id or driver_id not in trip.signed_driver_ids

    # ------------------------------------------------------------------ where things are
    def site_node(self, site_id: str) -> str:
        site = self.world.site(site_id)
        return site.node_id if site is not None else site_id

    def coach_trip_at(self, coach_id: str, moment: datetime) -> TripRow | None:
        return next((t for t in self.world.trips_of_coach(coach_id) if t.departure <= moment < t.arrival), None)

    def coach_trip_leaving(self, coach_id: str, moment: datetime) -> TripRow | None:
        """The coach's next trip if it leaves within the case's passing window after ``moment``."""
        later = [t for t in self.world.trips_of_coach(coach_id) if t.departure > moment]
        first = min(later, key=lambda t: t.departure, default=None)
        if first is not None and (first.departure - moment).total_seconds() <= self.case.passing_window_s:
            return first
        return None

    def coach_node_at(self, coach_id: str, moment: datetime) -> str:
        """Where a coach not on a trip stands: the end of its last trip that day, else (overnight it
        goes back) its home depot."""
        fix = self.case.fix_of(coach_id)
        coach = self.world.coach(coach_id)
        if fix is not None and self.coach_trip_at(coach_id, moment) is None and coach and coach.status != "workshop":
            return standing_place(self.world, fix)  # where its fresh fix has it (or on the road)
        done = [t for t in self.world.trips_of_coach(coach_id) if t.arrival <= moment]
        if done and done[-1].departure.date() == moment.date():
            return done[-1].stops[-1].node_id
        return self.site_node(coach.home_depot) if coach else coach_id

    def standing_backups(self) -> list[str]:
        """Nodes of the standby coaches usable now: not failed, not unavailable, permit valid, not on a trip."""
        at = self.case.at
        nodes = []
        for coach in self.world.coaches:
            if (
                coach.status == "standby"
                and coach.id not in self.case.failed
                and coach.id not in self.case.unavailable
                and coach.permit_valid_until >= at.date()
                and self.coach_trip_at(coach.id, at) is None
            ):
                nodes.append(self.coach_node_at(coach.id, at))
        return sorted(set(nodes) - {ON_THE_ROAD})

    def depot_nodes(self) -> list[str]:
        return sorted({s.node_id for s in self.world.sites if s.kind == "depot"})

    # ------------------------------------------------------------------ a driver's log before the plan
    def incident_trip_ids(self) -> dict[str, datetime]:
        """Failed trip id → its report time (the trip's driving ends there)."""
        found = {}
        for incident in self.case.incidents:
            trip = self.failed_trip(incident)
            if trip is not None:
                found[trip.id] = incident.reported_at
        return found

    def base_log(self, driver_id: str, taken_away: frozenset[str]) -> list[Interval]:
        """History plus the planned trips the driver still drives: trips ``taken_away`` by the plan are
        left out, a failed trip ends at its report."""
        # the log as known at the report: what began before it, whole (a duty under way is kept to its end)
        log = [Interval(r.start, r.end, r.activity) for r in self.world.log_of(driver_id) if r.start < self.case.at]
        failed = self.incident_trip_ids()
        for trip in self.world.trips_of_driver(driver_id):
            if trip.id in taken_away or any(r.start < trip.arrival and trip.departure < r.end for r in log):
                continue  # taken away by the plan, or its time already in the driver's log
            end = min(trip.arrival, failed[trip.id]) if trip.id in failed else trip.arrival
            if end > trip.departure:
                log.append(Interval(trip.departure, end, "drive"))
        return log

    def trip_length_m(self, trip: TripRow) -> float | None:
        """Metres of a trip along the oracle's earliest legs at their planned times (None: a leg has no route)."""
        total = 0.0
        for here, there in zip(trip.stops, trip.stops[1:]):
            leg = self.router.fastest(self.place(here.node_id), self.place(there.node_id), to_s(here.planned))
            if leg is None:
                return None
            total += float(leg.length_m)
        return total

    def later_trips(self, attribute: str, resource_id: str, after: datetime) -> list[TripRow]:
        """Trips of a coach (``vehicle_id``) or driver (``driver_id``) leaving after ``after``, in order."""
        trips = sorted(self.world.trips, key=lambda t: t.departure)
        return [t for t in trips if getattr(t, attribute) == resource_id and t.departure > after]
