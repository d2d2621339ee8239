"""A rescue by a passing coach (world-model §6): its trip under way at the report, the scene ahead of
it on its own carriageway, its free seats, and delivery at a remaining stop of its own trip that the
failed trip also serves.

The coach follows its timetable: on the leg that passes the scene it is there no earlier than it can
leave the leg's first stop (its planned time, or later when the legs before, driven in the reported
conditions, bring it there late) plus the oracle's earliest drive to the scene (on a leg under way, along the
leg's own course: the coach keeps to the way it is on), and no later than the leg's
next planned time minus the earliest drive on from the scene, or, on the leg under way, than if it had
left its stop as late as the leg's slack allows (the slack of the timetable may lie anywhere). The
reported conditions hold from the report on: the part of the leg driven before it was driven in clear
weather. After the stop the coach serves its own stops in order;
arriving earlier than driving allows is ``too_early``, leaving one of its own stops before its planned
time (its own passengers may not be there yet) is ``leaves_stop_early``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.oracle.case import CaseIncident, Claim, Disagreement
from fleetplan.oracle.duty import Interval
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.paths import Route, Router, passes
from fleetplan.oracle.places import Place
from fleetplan.oracle.rescue_common import RescueFacts, boarding, compare_time, no_stop, seconds, tolerance_s
from fleetplan.oracle.sightings import OFF_ROUTE_M, CaseFix, OnLeg, on_legs
from fleetplan.oracle.speed import to_s
from fleetplan.oracle.world import Coach, StopRow, TripRow
from fleetplan.plan import Rescue


def passing_window(facts: Facts, trip: TripRow, scene: Place) -> tuple[datetime, datetime, int, int] | None:
    """(earliest, latest, tolerance, leg index) of the trip at the scene, ahead of it at the report.

    Every leg follows its timetabled course (the earliest route in clear weather, which the timetable
    was planned for). The leg under way at the report keeps closed entrances open (a coach already on
    its way drives on, §6); on a later leg the coach drives the earliest way to the scene under the
    conditions, and passes it only if that way keeps to the course.
    """
    at = facts.case.at
    fix = facts.case.fix_of(trip.vehicle_id)
    seen = seen_on_trip(facts, trip, fix) if fix is not None else None
    if fix is not None and (seen is None or seen.off_m > OFF_ROUTE_M):
        return None  # its fix is off its route: it has left it
    router = facts.router_since_report
    reached: datetime | None = None  # the earliest at the leg's first stop, the legs before driven since the report
    for index, (here, there) in enumerate(zip(trip.stops, trip.stops[1:])):
        if there.planned < at:
            continue
        underway = here.planned <= at
        start, end = facts.place(here.node_id), facts.place(there.node_id)
        leave = here.planned if reached is None else max(here.planned, reached)  # never before its time
        # every leg keeps to its timetabled way (§6: a coach about to start runs its trip like one under way)
        leg = facts.clear_router.fastest(start, end, to_s(here.planned), underway)
        reached = _next_stop_reached(router, leg, (start, end), leave, underway)
        if leg is None or not passes(leg, facts.graph, scene):
            continue
        if underway:  # it keeps to its course: the leg's own way, driven in the conditions from the report
            to_scene_s = router.along(leg, scene, to_s(here.planned))
            tol_s = tolerance_s(leg)
        else:  # the way there in the conditions, if it keeps to the course (else it would leave it)
            to_scene = router.fastest(start, scene, to_s(leave))
            on_course = to_scene is not None and set(to_scene.nodes) <= set(leg.nodes)
            to_scene_s, tol_s = (to_scene.seconds, tolerance_s(to_scene)) if to_scene and on_course else (None, 0)
        if to_scene_s is None:
            continue
        earliest = leave + timedelta(seconds=to_scene_s)
        latest = max(earliest, latest_passing(facts, (here, there), leg, scene, underway))
        if latest >= at and seen is not None and fix is not None:
            return _as_seen(facts, (here, scene), (earliest, latest, tol_s, index), seen, fix)
        if latest >= at:
            return max(earliest, at), latest, tol_s, index
    return None


def _next_stop_reached(
    router: Router, leg: Route | None, stops: tuple[Place, Place], leave: datetime, underway: bool
) -> datetime | None:
    """The earliest the coach is at the leg's second stop, leaving the first at ``leave`` (a leg under
    way along its own course from its planned time); None when no road leads there. A later leg cannot
    begin before it: in ice, a coach late at its stop is late past the scene too."""
    if leg is None:
        return None
    if underway:
        seconds_on = router.along(leg, stops[1], to_s(leave))
    else:
        fastest = router.fastest(stops[0], stops[1], to_s(leave))
        seconds_on = fastest.seconds if fastest else None
    return None if seconds_on is None else leave + timedelta(seconds=seconds_on)


def seen_on_trip(facts: Facts, trip: TripRow, fix: CaseFix) -> OnLeg | None:
    """The fix on the trip's legs, each drawn as its earliest way in clear weather (its course)."""
    legs = [
        facts.clear_router.fastest(facts.place(a.node_id), facts.place(b.node_id), to_s(a.planned), True)
        for a, b in zip(trip.stops, trip.stops[1:])
    ]
    return on_legs(facts.graph, legs, fix)


def _as_seen(
    facts: Facts,
    leg_start: tuple[StopRow, Place],
    window: tuple[datetime, datetime, int, int],
    seen: OnLeg,
    fix: CaseFix,
) -> tuple[datetime, datetime, int, int] | None:
    """The window as the fix has the coach: past the scene, none; on an earlier leg, the timetable's; on
    the scene's leg, no earlier than the drive from the fix along that leg's way."""
    (here, scene), (earliest, latest, tol_s, index) = leg_start, window
    at = facts.case.at
    if seen.leg != index:
        return None if seen.leg > index else (max(earliest, at), latest, tol_s, index)
    way = facts.clear_router.fastest(facts.place(here.node_id), scene, to_s(here.planned), True)
    start = to_s(here.planned)
    to_fix = facts.router_since_report.along(way, seen.place, start) if way else None
    to_scene = facts.router_since_report.along(way, scene, start) if way else None
    if to_fix is None or to_scene is None or to_fix >= to_scene:
        return None  # seen past the scene
    earliest = max(earliest, fix.at + timedelta(seconds=to_scene - to_fix), at)
    return earliest, max(latest, earliest), tol_s, index


def latest_passing(facts: Facts, stops: tuple[StopRow, StopRow], leg: Route, scene: Place, underway: bool) -> datetime:
    """The latest the timetable lets the coach pass the scene: with all the leg's slack (its planned
    time less the earliest drive) spent before the scene, or, on a leg under way, spent before the
    report (it left its stop that late) and the rest driven in the conditions."""
    (here, there), at = stops, facts.case.at
    on = facts.router.fastest(scene, facts.place(there.node_id), to_s(here.planned), underway)
    latest = there.planned - timedelta(seconds=on.seconds if on else 0)
    if underway:
        slack_s = max(0, seconds(there.planned - here.planned) - leg.seconds)
        left = here.planned + timedelta(seconds=min(slack_s, max(0, seconds(at - here.planned))))
        late_s = facts.router_since_report.along(leg, scene, to_s(left))
        latest = max(latest, left + timedelta(seconds=late_s or 0))
    return latest


def course_arrival(
    facts: Facts, stops: tuple[StopRow, ...], scene: Place, leave: datetime, target: str, keep_times: bool = True
) -> tuple[datetime, int] | None:
    """(earliest arrival, tolerance) at stop ``target`` leaving the scene at ``leave`` and serving
    ``stops`` in order; with ``keep_times`` none is left before its planned time."""
    where, moment, tol = scene, leave, 0
    for stop in stops:
        route = facts.router.fastest(where, facts.place(stop.node_id), to_s(moment))
        if route is None:
            return None
        moment += timedelta(seconds=route.seconds)
        tol += tolerance_s(route)
        if stop.node_id == target:
            return moment, tol
        moment, where = max(moment, stop.planned) if keep_times else moment, facts.place(stop.node_id)
    return None


def stops_delay_s(
    facts: Facts,
    trip: TripRow,
    ahead: tuple[StopRow, ...],
    driving_on: tuple[Place, datetime],
    stopping: tuple[Place, datetime],
) -> tuple[int, datetime] | None:
    """What a passing coach's stops cost its own passengers: the seconds they add to its lateness at its
    trip's last stop (its lateness leaving the last scene at ``stopping``, less its lateness had it
    driven on from ``driving_on``: a coach running early absorbs them, a delay of the conditions is
    theirs either way), and when it reaches that stop. None when the oracle cannot follow its course."""
    last = trip.stops[-1]
    stopped = course_arrival(facts, ahead, stopping[0], stopping[1], last.node_id)
    not_stopped = course_arrival(facts, ahead, driving_on[0], driving_on[1], last.node_id)
    if stopped is None or not_stopped is None:
        return None
    late_s = max(0, seconds(stopped[0] - last.planned))
    late_anyway_s = max(0, seconds(not_stopped[0] - last.planned))
    return late_s - late_anyway_s, stopped[0]


def passing(
    facts: Facts, claim: Claim, rescue: Rescue, incident: CaseIncident, coach: Coach, trip: TripRow, scene: Place
) -> tuple[list[Disagreement], RescueFacts]:
    """The checks of a passing coach's rescue."""
    found = []
    if rescue.driver_id != trip.driver_id:
        reason = f"{coach.id} on {trip.id} is driven by {trip.driver_id}"
        found.append(claim.disagree("driver_id", rescue.driver_id, trip.driver_id, "driver", reason))
    if rescue.passengers + trip.booked > coach.seats:
        reason = f"{coach.id} carries {trip.booked} of its own on {coach.seats} seats"
        free = f"≤ {coach.seats - trip.booked} free"
        found.append(claim.disagree("passengers", rescue.passengers, free, "seats", reason))
    window = passing_window(facts, trip, scene)
    if window is None:
        reason = f"{coach.id} on {trip.id} does not pass the scene ahead of it"
        found.append(claim.disagree("scene_arrival", rescue.scene_arrival, "does not pass", "not_passing", reason))
        return found, RescueFacts(rescue, incident, trip)
    earliest, latest, tol_s, leg = window
    explained = seconds(latest - earliest)
    found += compare_time(claim, "scene_arrival", rescue.scene_arrival, earliest, tol_s, explained)
    found += boarding(facts, claim, rescue, incident)
    leave = rescue.boarding_at + timedelta(seconds=facts.case.passing_dwell_s)
    more, stop = delivery(facts, claim, rescue, incident, scene, leave, trip.stops[leg + 1 :])
    found += more
    stopped = leave - rescue.scene_arrival
    intervals = (
        Interval(trip.departure, rescue.scene_arrival, "drive", True),
        Interval(rescue.scene_arrival, leave, "other", True),
        Interval(leave, trip.arrival + stopped, "drive", True),
    )
    task = (rescue.scene_arrival, rescue.destination_arrival)
    return found, RescueFacts(rescue, incident, trip, earliest, stop, task, intervals, facts.trip_length_m(trip))


def delivery(
    facts: Facts,
    claim: Claim,
    rescue: Rescue,
    incident: CaseIncident,
    scene: Place,
    leave: datetime,
    own: tuple[StopRow, ...],
) -> tuple[list[Disagreement], str | None]:
    """A remaining stop of the failed trip that the coach's own trip serves after the scene, and the
    arrival there: no earlier than its course allows, no later than its plan plus the stop."""
    ahead = {s.node_id for s in own}
    allowed = [s.node_id for s in facts.remaining_stops(incident) if s.node_id in ahead]
    named = getattr(rescue, "destination_node", "") or ""
    if named and named not in allowed:
        return no_stop(claim, named, allowed, "not a stop ahead that both trips serve"), None
    if not allowed:
        return no_stop(claim, named, allowed, "the passing coach serves no remaining stop of the failed trip"), None
    fits = []
    for node in [named] if named else allowed:
        course = course_arrival(facts, own, scene, leave, node)
        if course is not None:
            planned = next(s.planned for s in own if s.node_id == node)
            fits.append((course[0], course[1], node, max(course[0], planned + (leave - rescue.scene_arrival))))
    if not fits:
        reason = "no open road from the scene along the coach's own stops"
        return [claim.disagree("destination_arrival", rescue.destination_arrival, "no route", "no_route", reason)], None
    possible = [f for f in fits if seconds(rescue.destination_arrival - f[0]) >= -f[1]]
    arrival, tol_s, node, latest = max(possible) if possible else min(fits)
    found = compare_time(
        claim, "destination_arrival", rescue.destination_arrival, arrival, tol_s, seconds(latest - arrival)
    )
    if found and found[0].code == "too_early":
        driving = course_arrival(facts, own, scene, leave, node, keep_times=False)
        if driving is not None and seconds(rescue.destination_arrival - driving[0]) >= -driving[1]:
            reason = f"possible only by leaving one of {trip_stops(own, node)} before its planned time"
            found = [
                claim.disagree("destination_arrival", rescue.destination_arrival, arrival, "leaves_stop_early", reason)
            ]
    return found, node


def trip_stops(own: tuple[StopRow, ...], target: str) -> str:
    """The coach's own stops before ``target``, for a message."""
    names = []
    for stop in own:
        if stop.node_id == target:
            break
        names.append(f"{stop.node_id} ({stop.planned:%H:%M})")
    return ", ".join(names) or "its stops"
