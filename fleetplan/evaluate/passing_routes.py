"""The checks of a passing coach's route (issue #18 §1), with the engine's network and rules: the coach
is on the trip the route names, driven by that trip's driver; it passes every scene ahead of it
between the same two of its own stops, reaches the first when its trip passes it and each later one
by the network from the one before, leaving each ``passing_dwell_s`` after the group boards; the groups
fit its free seats; it sets each down at a stop of its own that the group's trip also serves, reached
when the network says (never leaving one of its stops before the timetable); and the delay all its
stops cause its own passengers stays within ``max_passing_delay_s``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.errors import FleetplanError
from fleetplan.evaluate.calls import boarding_problems, set_down_problems
from fleetplan.evaluate.facts import Facts
from fleetplan.evaluate.rescues import own_stop_arrivals, passing_arrivals
from fleetplan.model import Trip
from fleetplan.phrase import Phrase
from fleetplan.plan import PICKUP, Rescue, RescueRoute
from fleetplan.problems import Problem, ProblemCode, problem
from fleetplan.timetable import caused_delay_s
from fleetplan.units import ceil_minutes


def check_passing_route(facts: Facts, route: RescueRoute, parts: Sequence[Rescue], where: str) -> list[Problem]:
    """Every problem of a passing coach's route whose ``parts`` match its calls."""
    trip = facts.passing_trip(parts[0])
    if trip is None or trip.id != route.passing_trip_id:
        said = f"{route.vehicle_id} is not on trip {route.passing_trip_id} (or about to start it)"
        return [problem(ProblemCode.DOES_NOT_PASS, where, said)]
    problems = []
    if route.driver_id != trip.driver_id:
        said = f"its driver is {trip.driver_id}, not {route.driver_id}"
        problems.append(problem(ProblemCode.WRONG_DRIVER, where, said, claimed=route.driver_id, found=trip.driver_id))
    if parts[0].deadhead_m:
        said = f"claims {parts[0].deadhead_m} m empty running for a coach on its trip"
        problems.append(problem(ProblemCode.EMPTY_RUNNING, where, said, claimed_m=parts[0].deadhead_m, found_m=0))
    free = facts.dataset.vehicle(route.vehicle_id).seats - trip.booked_passengers
    carried = sum(part.passengers for part in parts)
    if carried > free:
        said = f"{carried} passengers exceed its {free} free seats"
        problems.append(problem(ProblemCode.SEATS_EXCEEDED, where, said, passengers=carried, seats=free))
    walked = _walk(facts, route, trip, where)
    if isinstance(walked, list):
        return problems + walked
    problems += walked.problems
    caused_s = caused_delay_s(trip.arrival, walked.last_stop, walked.driving_on)
    if caused_s > facts.ops.max_passing_delay_s:
        said = f"delays its own passengers beyond {facts.ops.max_passing_delay_s // 60} min"
        problems.append(
            problem(
                ProblemCode.OWN_PASSENGERS_DELAYED,
                where,
                said,
                delay_s=caused_s,
                limit_s=facts.ops.max_passing_delay_s,
            )
        )
    return problems


def passing_route_own_delay_min(facts: Facts, route: RescueRoute) -> int:
    """Passenger-minutes the route's stops cost the coach's own booked passengers: the started minutes
    they add to its lateness at its trip's last stop (0 when it cannot be followed: its checks say why)."""
    try:
        trip = facts.dataset.trip(route.passing_trip_id or "")
        walked = _walk(facts, route, trip, "")
    except (FleetplanError, KeyError):
        return 0
    if isinstance(walked, list):
        return 0
    return trip.booked_passengers * ceil_minutes(caused_delay_s(trip.arrival, walked.last_stop, walked.driving_on))


@dataclass(frozen=True)
class _Walked:
    """What following the route on the network found: its problems, the arrival at the trip's last
    stop, and that arrival had the coach driven on past the first scene."""

    problems: list[Problem]
    last_stop: datetime
    driving_on: datetime


def _walk(facts: Facts, route: RescueRoute, trip: Trip, where: str) -> _Walked | list[Problem]:
    """The route call by call against the network: each scene passed ahead of the coach between the
    same two of its stops, reached and left when the network and the rules say, then its own stops.
    A list of problems when the coach cannot be followed at all."""
    dwell = timedelta(seconds=facts.ops.passing_dwell_s)
    pickups = [stop for stop in route.stops if stop.kind == PICKUP]
    groups = [facts.instance.group(stop.group_ids[0]) for stop in pickups]
    passings = [passing_arrivals(facts, route.vehicle_id, trip, group, stops=False) for group in groups]
    if any(isinstance(found, Phrase) for found in passings):
        said = "; ".join(facts.say(found) for found in passings if isinstance(found, Phrase))
        return [problem(ProblemCode.DOES_NOT_PASS, where, said)]
    found_passings = [found for found in passings if not isinstance(found, Phrase)]
    ahead = [list(found[1]) for found in found_passings]
    if any(stops != ahead[0] for stops in ahead):
        said = "it calls at a stop of its own between two of the scenes"
        return [problem(ProblemCode.DOES_NOT_PASS, where, said)]
    etas = [found[0] for found in found_passings]
    if etas != sorted(etas):
        said = "it passes the scenes in another order (it would have to turn back)"
        return [problem(ProblemCode.DOES_NOT_PASS, where, said)]
    problems: list[Problem] = []
    first = found_passings[0]
    expected = leave = first[0]
    for k, (stop, group) in enumerate(zip(pickups, groups)):
        if k:
            before = groups[k - 1].scene
            expected = leave + timedelta(seconds=facts.route_s(route.vehicle_id, before, group.scene, leave)[0])
        if stop.arrival != expected:
            said = f"claims stop {k + 1} ({stop.place}) at {stop.arrival:%H:%M:%S}, it passes at {expected:%H:%M:%S}"
            problems.append(problem(ProblemCode.SCENE_TIME, where, said, claimed=stop.arrival, found=expected))
        problems += boarding_problems(facts, route, stop.group_ids[0], stop.arrival, stop.boarding_at, where)
        leave = (stop.boarding_at or stop.arrival) + dwell
        if stop.leave_at != leave:
            said = f"claims to leave stop {k + 1} at {stop.leave_at:%H:%M:%S}, the rules say {leave:%H:%M:%S}"
            problems.append(problem(ProblemCode.ARRIVAL_TIME, where, said, claimed=stop.leave_at, found=leave))
    own_ahead = [stop for stop in trip.stops if stop.node_id in ahead[0]]  # the stops after the scenes
    arrivals = own_stop_arrivals(facts, route.vehicle_id, groups[-1].scene, leave, own_ahead)
    for stop in route.stops[len(pickups) :]:
        found = arrivals.get(stop.place)
        if found is None:
            said = f"sets down at {stop.place}, not one of its own stops ahead ({', '.join(arrivals)})"
            problems.append(problem(ProblemCode.WRONG_DESTINATION, where, said))
        elif stop.arrival != found:
            said = f"claims stop {stop.place} at {stop.arrival:%H:%M:%S}, the network says {found:%H:%M:%S}"
            problems.append(problem(ProblemCode.ARRIVAL_TIME, where, said, claimed=stop.arrival, found=found))
        problems += set_down_problems(facts, stop.place, stop.group_ids, where)
    return _Walked(problems, list(arrivals.values())[-1], list(first[1].values())[-1])
