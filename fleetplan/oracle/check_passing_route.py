"""The oracle's checks of a passing coach's route (issue #18 §1, world-model §6), with its own roads,
speeds and rules.

The coach is on the trip the route names (or leaves on it within the passing window), driven by that
trip's driver. Every scene lies ahead of it on one leg of its trip, the same leg for all (it calls at no
stop of its own between two scenes). It reaches the first scene within the window its timetable allows
there (:func:`~fleetplan.oracle.check_passing.passing_window`) and each later one by the oracle's
earliest route from the call before, leaving each ``passing_dwell_s`` after the group boards. The groups
fit the seats its own booked passengers leave free; each is set down at a stop of the coach's own trip
after the scenes that the group's failed trip still had ahead, reached no earlier than its course
allows, never leaving one of its stops before the timetable. Its own passengers' delay at its last stop
(all the stops counted, less any lateness the conditions cause anyway) is the route's part of the
passenger delay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.oracle.case import CaseIncident, Claim, Disagreement
from fleetplan.oracle.check_passing import course_arrival, passing_window, stops_delay_s
from fleetplan.oracle.check_rescue import scene_sides, usability
from fleetplan.oracle.duty import Interval, overnight_applies, time_findings
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.places import Place
from fleetplan.oracle.rescue_common import (
    SLACK_S,
    RescueFacts,
    boarding,
    compare_time,
    seconds,
    set_down,
    tolerance_s,
)
from fleetplan.oracle.speed import to_s
from fleetplan.oracle.world import Coach, DriverRow, StopRow, TripRow
from fleetplan.plan import PICKUP, Rescue, RescueRoute, RouteStop


def check_passing_route(
    facts: Facts,
    claim: Claim,
    route: RescueRoute,
    parts: list[Rescue],
    crew: tuple[Coach, DriverRow],
    taken_away: frozenset[str],
) -> tuple[list[Disagreement], list[RescueFacts]]:
    """Every disagreement with a passing coach's ``route`` whose ``parts`` match its calls, and what
    the oracle derived for each part (the first holds the coach's own trip and the delay its stops
    cause its own passengers)."""
    coach, driver = crew
    incidents = [facts.case.incident_of_group(part.group_id) for part in parts]
    plain = [RescueFacts(part, incident) for part, incident in zip(parts, incidents)]
    found = usability(facts, claim, coach, driver, route.depart_at, route.end)
    trip = _own_trip(facts, coach, route)
    if trip is None:
        reason = f"{coach.id} is not on trip {route.passing_trip_id} and leaves on it within no passing window"
        return found + [claim.disagree("passing_trip_id", route.passing_trip_id, "none", "not_passing", reason)], plain
    if driver.id != trip.driver_id:
        reason = f"{coach.id} on {trip.id} is driven by {trip.driver_id}"
        found.append(claim.disagree("driver_id", driver.id, trip.driver_id, "driver", reason))
    carried = sum(part.passengers for part in parts)
    if carried + trip.booked > coach.seats:
        reason = f"{coach.id} carries {trip.booked} of its own on {coach.seats} seats"
        found.append(claim.disagree("passengers", carried, f"≤ {coach.seats - trip.booked} free", "seats", reason))
    pickups = [stop for stop in route.stops if stop.kind == PICKUP]
    scenes = _scenes(facts, trip, pickups, [i for i in incidents if i is not None])
    if scenes is None:
        reason = f"{coach.id} on {trip.id} does not pass every scene ahead of it between the same two stops"
        return found + [claim.disagree("route", route.id, "does not pass", "not_passing", reason)], plain
    walk, earliest = _calls(facts, claim, pickups, scenes)
    found += walk
    found += [d for part, incident in zip(parts, incidents) if incident for d in boarding(facts, claim, part, incident)]
    ahead = trip.stops[scenes[0][1] + 1 :]
    by_group = dict(zip([p.group_id for p in parts], incidents))
    last_scene, last_leave = scenes[-1][0], pickups[-1].leave_at
    for k, stop in enumerate(route.stops[len(pickups) :], start=len(pickups) + 1):
        found += _drop(facts, claim, (k, stop), ahead, (last_scene, last_leave))
        found += set_down(facts, claim, stop, by_group)
    own = stops_delay_s(facts, trip, ahead, (scenes[0][0], pickups[0].arrival), (last_scene, last_leave))
    intervals = _intervals(trip, pickups, max(own[1], trip.arrival) if own else trip.arrival)
    base = facts.base_log(driver.id, taken_away | {trip.id})  # its own trip is in the intervals, stops and all
    overnight = overnight_applies(facts.world.policy, facts.trip_length_m(trip), commuter=False)
    found += [
        claim.disagree("driver_id", driver.id, finding.rule, finding.rule, finding.reason)
        for finding in time_findings(base + intervals, facts.world.policy, overnight)
    ]
    own_delay_s = own[0] if own else None
    return found, _derived(parts, incidents, trip, earliest, (own_delay_s, intervals, facts.trip_length_m(trip), route))


def _own_trip(facts: Facts, coach: Coach, route: RescueRoute) -> TripRow | None:
    """The trip the route names, if the coach is on it at the decision or leaves on it within the
    passing window."""
    trip = facts.coach_trip_at(coach.id, facts.case.at) or facts.coach_trip_leaving(coach.id, facts.case.at)
    return trip if trip is not None and trip.id == route.passing_trip_id else None


def _scenes(
    facts: Facts, trip: TripRow, pickups: list[RouteStop], incidents: list[CaseIncident]
) -> list[tuple[Place, int, tuple[datetime, datetime, int, int]]] | None:
    """Each scene's side that the trip passes ahead of it, with the leg it passes it on and its passing
    window; None unless every scene is passed, all on one leg, in the route's order."""
    scenes = []
    for stop, incident in zip(pickups, incidents):
        passed = [
            (side, window)
            for side in scene_sides(facts, incident.location)
            if (window := passing_window(facts, trip, side))
        ]
        if not passed:
            return None
        side, window = min(passed, key=lambda pair: abs(seconds(pair[1][0] - stop.arrival)))
        scenes.append((side, window[3], window))
    one_leg = len({leg for _, leg, _ in scenes}) == 1
    in_order = [window[0] for *_, window in scenes] == sorted(window[0] for *_, window in scenes)
    return scenes if one_leg and in_order else None


def _calls(
    facts: Facts, claim: Claim, pickups: list[RouteStop], scenes: list
) -> tuple[list[Disagreement], dict[str, datetime]]:
    """Each scene reached when it may be (the first within the trip's window, the others by the
    earliest route from the call before) and left ``passing_dwell_s`` after the boarding; the oracle's
    earliest arrival at each group's scene."""
    found, earliest_at = [], {}
    dwell = timedelta(seconds=facts.case.passing_dwell_s)
    for k, (stop, (side, _, window)) in enumerate(zip(pickups, scenes)):
        if k == 0:
            earliest, latest, tol_s, _ = window
            found += compare_time(claim, "stop 1 arrival", stop.arrival, earliest, tol_s, seconds(latest - earliest))
        else:
            before, left = scenes[k - 1][0], pickups[k - 1].leave_at
            leg = facts.router.fastest(before, side, to_s(left))
            if leg is None:
                reason = f"no open road to call {k + 1} ({stop.place})"
                return found + [
                    claim.disagree(f"stop {k + 1} arrival", stop.arrival, "no route", "no_route", reason)
                ], {}
            earliest = left + timedelta(seconds=leg.seconds)
            found += compare_time(claim, f"stop {k + 1} arrival", stop.arrival, earliest, tolerance_s(leg))
        earliest_at[stop.group_ids[0]] = earliest
        expected_leave = (stop.boarding_at or stop.arrival) + dwell
        if abs(seconds(stop.leave_at - expected_leave)) > SLACK_S:
            reason = "leaves the scene at another time than the boarding and the dwell allow"
            found.append(claim.disagree(f"stop {k + 1} leave_at", stop.leave_at, expected_leave, "leave", reason))
    return found, earliest_at


def _drop(
    facts: Facts, claim: Claim, call: tuple[int, RouteStop], ahead: tuple[StopRow, ...], left: tuple[Place, datetime]
) -> list[Disagreement]:
    """A set-down at a stop of the coach's own trip after the scenes, reached no earlier than its course
    allows and no later than its timetable with the stops there."""
    (k, stop), (scene, leave) = call, left
    if stop.place not in {s.node_id for s in ahead}:
        reason = "not a stop of the coach's own trip after the scenes"
        return [
            claim.disagree("destination_node", stop.place, "/".join(s.node_id for s in ahead), "destination", reason)
        ]
    course = course_arrival(facts, ahead, scene, leave, stop.place)
    if course is None:
        reason = "no open road from the scene along the coach's own stops"
        return [claim.disagree(f"stop {k} arrival", stop.arrival, "no route", "no_route", reason)]
    planned = next(s.planned for s in ahead if s.node_id == stop.place)
    explained = seconds(max(course[0], planned) - course[0])
    return compare_time(claim, f"stop {k} arrival", stop.arrival, course[0], course[1], explained)


def _intervals(trip: TripRow, pickups: list[RouteStop], end: datetime) -> list[Interval]:
    """The driver's trip with its stops: driving to each scene, duty there, driving on to its last stop."""
    intervals, moment = [], trip.departure
    for stop in pickups:
        intervals += [
            Interval(moment, stop.arrival, "drive", True),
            Interval(stop.arrival, stop.leave_at, "other", True),
        ]
        moment = stop.leave_at
    intervals.append(Interval(moment, end, "drive", True))
    return [i for i in intervals if i.end > i.start]


def _derived(
    parts: list[Rescue],
    incidents: list[CaseIncident | None],
    trip: TripRow,
    earliest: dict[str, datetime],
    whole: tuple[int | None, list[Interval], float | None, RescueRoute],
) -> list[RescueFacts]:
    """The parts as the plan-wide checks read them: the first holds the coach's own trip, the task, the
    duty and the delay its stops cause its own passengers; the others their scene and delivery only."""
    own_delay, intervals, distance_m, route = whole
    first = RescueFacts(
        parts[0],
        incidents[0],
        passing_trip=trip,
        scene_earliest=earliest.get(parts[0].group_id),
        delivery_stop=parts[0].destination_node,
        task=(route.depart_at, route.end),
        intervals=tuple(intervals),
        distance_m=distance_m,
        empty_m=(0.0,),
        route_own_delay_s=own_delay,
        passing_route=True,
    )
    return (
        [first]
        + [  # a coach on its trip runs no empty kilometre, whatever a part claims
            RescueFacts(
                part,
                incident,
                scene_earliest=earliest.get(part.group_id),
                delivery_stop=part.destination_node,
                empty_m=(0.0,),
            )
            for part, incident in zip(parts[1:], incidents[1:])
        ]
    )
