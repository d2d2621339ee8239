"""What every rescue route's calls must satisfy, standing or passing: a group boards once the coach is
there and any new charter sign is filed, and gets off at a stop its failed trip still had ahead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fleetplan.evaluate.facts import Facts
from fleetplan.plan import RescueRoute
from fleetplan.problems import Problem, ProblemCode, problem
from fleetplan.rules import earliest_boarding, needs_new_sign


def boarding_problems(
    facts: Facts, route: RescueRoute, group_id: str, arrival: datetime, boarding_at: datetime | None, where: str
) -> list[Problem]:
    """The group boards when the coach is there and, if the crew needs one, its new charter sign is filed."""
    group = facts.instance.group(group_id)
    trip = facts.dataset.trip(group.trip_id) if group.trip_id else None
    needed = needs_new_sign(trip, route.vehicle_id, route.driver_id)
    earliest = earliest_boarding(arrival, facts.at, needed, facts.instance.driving_policy)
    if boarding_at is None or boarding_at != earliest:
        said = f"{group_id} boards at {boarding_at}, the arrival and the charter sign allow {earliest:%H:%M:%S}"
        return [problem(ProblemCode.BOARDS_TOO_EARLY, where, said, boarding_at=boarding_at)]
    return []


def set_down_problems(facts: Facts, node: str, group_ids: Sequence[str], where: str) -> list[Problem]:
    """Each group gets off at its destination or a stop its failed trip still had ahead."""
    found = []
    for group_id in group_ids:
        group = facts.instance.group(group_id)
        allowed = {group.destination_node} | {stop for stop, _ in group.remaining_stops}
        if node not in allowed:
            said = f"sets {group_id} down at {node}, not a stop its trip had ahead"
            found.append(problem(ProblemCode.WRONG_DESTINATION, where, said))
    return found
