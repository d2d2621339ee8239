"""What the rescue checks share: the derived facts of a rescue, the time tolerance, comparing a claimed
time with the oracle's window, and the boarding rule of the charter sign (world-model §6).

A claimed time earlier than the oracle's earliest by more than the tolerance (1 s per edge driven
plus :data:`SLACK_S`) is impossible, ``too_early``; one later than the latest the oracle can explain
(plus the tolerance) is ``pessimistic``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.oracle.case import CaseIncident, Claim, Disagreement
from fleetplan.oracle.duty import Interval
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.paths import Route
from fleetplan.oracle.world import TripRow
from fleetplan.plan import Rescue, RouteStop

SLACK_S = 30  # tolerance on top of 1 s per edge driven


@dataclass(frozen=True)
class RescueFacts:
    """What the oracle derived for one rescue, for the plan-wide checks."""

    rescue: Rescue
    incident: CaseIncident | None
    passing_trip: TripRow | None = None
    scene_earliest: datetime | None = None  # the oracle's earliest arrival (or passing time) at the scene
    delivery_stop: str | None = None
    task: tuple[datetime, datetime] | None = None  # departure (or the passing time) to the delivery
    intervals: tuple[Interval, ...] = ()  # what the task adds to the driver's log
    distance_m: float | None = None  # the task's driving, for the 02:00–05:00 exemption by length
    end_node: str | None = None  # where the task ends when not at the delivery stop (a route's last stop)
    empty_m: tuple[float, ...] | None = None  # the empty running as the oracle derived it (a route's parts)
    # A passing coach's route (on its first part): the seconds all its stops add to its own trip's
    # lateness at its last stop (None: its course cannot be followed)
    passing_route: bool = False
    route_own_delay_s: int | None = None


def tolerance_s(route: Route) -> int:
    return len(route.legs) + SLACK_S


def seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def compare_time(
    claim: Claim, field_name: str, claimed: datetime, earliest: datetime, tol_s: int, explained_s: int = 0
) -> list[Disagreement]:
    """A claimed time against the oracle's window ``[earliest, earliest + explained]`` ± ``tol_s``."""
    gap = seconds(claimed - earliest)
    if gap < -tol_s:
        reason = f"{-gap} s earlier than the oracle's earliest"
        return [claim.disagree(field_name, claimed, earliest, "too_early", reason)]
    if gap > tol_s + explained_s:
        reason = f"{gap} s later than the oracle's earliest ({explained_s} s of it explained)"
        return [claim.disagree(field_name, claimed, earliest, "pessimistic", reason)]
    return []


def sign_ready(facts: Facts, incident: CaseIncident, coach_id: str, driver_id: str) -> datetime | None:
    """When a newly filed charter sign is ready, or None when the failed trip's sign covers the crew."""
    if not facts.needs_new_sign(incident, coach_id, driver_id):
        return None
    # filing starts at the decision, the latest report of the dispatch, side by side with the turnout
    return facts.case.at + timedelta(seconds=facts.world.policy.charter_sign_filing_delay_s)


def boarding(facts: Facts, claim: Claim, rescue: Rescue, incident: CaseIncident) -> list[Disagreement]:
    """``boarding = max(arrival, report + filing delay)`` when a new sign is needed, else the arrival."""
    ready = sign_ready(facts, incident, rescue.vehicle_id, rescue.driver_id)
    expected = rescue.scene_arrival if ready is None else max(rescue.scene_arrival, ready)
    if rescue.boarding_at < expected:
        reason = "boards before arrival or before a new charter sign is filed"
        return [claim.disagree("boarding_at", rescue.boarding_at, expected, "sign", reason)]
    if seconds(rescue.boarding_at - expected) > SLACK_S:
        reason = "boards later than the arrival and the sign allow"
        return [claim.disagree("boarding_at", rescue.boarding_at, expected, "pessimistic", reason)]
    return []


def no_stop(claim: Claim, named: str, allowed: list[str], reason: str) -> list[Disagreement]:
    return [claim.disagree("destination_node", named or "-", "/".join(allowed) or "none", "destination", reason)]


def set_down(facts: Facts, claim: Claim, stop: RouteStop, by_group: dict) -> list[Disagreement]:
    """Each group gets off at a stop its failed trip still had ahead."""
    found = []
    for group_id in stop.group_ids:
        allowed = [s.node_id for s in facts.remaining_stops(by_group[group_id])]
        if allowed and stop.place not in allowed:
            reason = f"{group_id} is set down at a stop its trip did not have ahead"
            found.append(claim.disagree("destination_node", stop.place, "/".join(allowed), "destination", reason))
    return found
