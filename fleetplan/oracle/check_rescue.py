"""The oracle's checks of one rescue (world-model §6, §7): the coach and driver usable, then the crew's
own checks (:mod:`~fleetplan.oracle.check_standing` or :mod:`~fleetplan.oracle.check_passing`), then
the driver's whole duty with the rescue in it."""

from __future__ import annotations

from datetime import datetime

from fleetplan.oracle.case import Claim, Disagreement
from fleetplan.oracle.check_passing import passing
from fleetplan.oracle.check_standing import standing
from fleetplan.oracle.duty import hours_left_s, overnight_applies, personal_findings, shift_finding, time_findings
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.places import Place
from fleetplan.oracle.rescue_common import RescueFacts
from fleetplan.oracle.world import Coach, DriverRow
from fleetplan.plan import Rescue


def check_rescue(
    facts: Facts, claim: Claim, rescue: Rescue, taken_away: frozenset[str]
) -> tuple[list[Disagreement], RescueFacts]:
    """Every disagreement with ``rescue`` and what the oracle derived about it (``taken_away``: the
    trips the plan gives to others or leaves uncovered)."""
    world, case = facts.world, facts.case
    coach, driver = world.coach(rescue.vehicle_id), world.driver(rescue.driver_id)
    incident = case.incident_of_group(rescue.group_id)
    if coach is None or driver is None or incident is None:
        return unknown(claim, rescue, coach, driver), RescueFacts(rescue, incident)
    found = usability(facts, claim, coach, driver, rescue.depart_at, rescue.destination_arrival)
    trip = facts.coach_trip_at(coach.id, case.at)
    if trip is None and rescue.passing_trip_id is not None:  # claims to pick up on a trip it is about to start
        leaving = facts.coach_trip_leaving(coach.id, case.at)
        trip = leaving if leaving is not None and leaving.id == rescue.passing_trip_id else None
        if trip is None:
            reason = f"{coach.id} is on no trip and leaves on none within the passing window"
            found.append(claim.disagree("passing_trip_id", rescue.passing_trip_id, "none", "not_passing", reason))
            return found, RescueFacts(rescue, incident)
    judged = []
    for scene in scene_sides(facts, incident.location):
        if trip is None:
            base = facts.base_log(driver.id, taken_away)
            judged.append(standing(facts, claim, rescue, incident, (coach, driver), base, scene))
        else:
            judged.append(passing(facts, claim, rescue, incident, coach, trip, scene))
    more, derived = min(judged, key=lambda pair: len(pair[0]))  # an ambiguous side: the plan's reading
    found += more
    if derived.task is not None:
        found += duty(facts, claim, rescue, driver, derived, taken_away)
    return found, derived


def scene_sides(facts: Facts, location: str) -> list[Place]:
    """The scene; for a ``lat,lon`` whose carriageway is ambiguous (§4) also the other side."""
    scene = facts.place(location)
    return [scene] + ([scene.other_side] if scene.other_side is not None else [])


def unknown(claim: Claim, rescue: Rescue, coach: Coach | None, driver: DriverRow | None) -> list[Disagreement]:
    what, value = ("coach", rescue.vehicle_id) if coach is None else ("driver", rescue.driver_id)
    if coach is not None and driver is not None:
        what, value = "group", rescue.group_id
    return [claim.disagree(what, value, "unknown", "unknown_id", f"the oracle knows no {what} {value}")]


def usability(
    facts: Facts, claim: Claim, coach: Coach, driver: DriverRow, start: datetime, end: datetime
) -> list[Disagreement]:
    """The coach and driver may be used for a task ``[start, end]``: not failed, not in the workshop,
    permit valid, not unavailable (§6); licence, probation, age and qualification (§7)."""
    case = facts.case
    found = []
    if coach.id in case.failed:
        found.append(claim.disagree("vehicle_id", coach.id, "failed", "failed_coach", f"{coach.id} has failed"))
    if coach.status == "workshop":
        found.append(claim.disagree("vehicle_id", coach.id, "workshop", "workshop", f"{coach.id} is in the workshop"))
    if coach.permit_valid_until < end.date():
        reason = f"{coach.id}'s charter permit is not valid on {end.date()}"
        found.append(claim.disagree("vehicle_id", coach.id, f"permit to {coach.permit_valid_until}", "permit", reason))
    for resource in (coach.id, driver.id):
        if resource in case.unavailable:
            found.append(
                claim.disagree("resource", resource, "unavailable", "unavailable", f"{resource} is unavailable")
            )
    for finding in personal_findings(driver, coach, start, end, facts.world.policy):
        found.append(claim.disagree("driver_id", driver.id, finding.rule, finding.rule, finding.reason))
    return found


def duty(
    facts: Facts, claim: Claim, rescue: Rescue, driver: DriverRow, derived: RescueFacts, taken_away: frozenset[str]
) -> list[Disagreement]:
    """The driver's whole duty with the rescue (§7); for a standing crew also the shift over the whole
    task and the hours left the plan shows (driving left under the 24 h and 7-day limits)."""
    policy = facts.world.policy
    own = frozenset({derived.passing_trip.id}) if derived.passing_trip else frozenset()
    base = facts.base_log(driver.id, taken_away | own)
    # §7: the 02:00–05:00 rule binds under "enforce", or when the task is not exempt by its length
    overnight = overnight_applies(policy, derived.distance_m, commuter=False)
    found = [
        claim.disagree("driver_id", driver.id, finding.rule, finding.rule, finding.reason)
        for finding in time_findings(base + list(derived.intervals), policy, overnight)
    ]
    if derived.passing_trip is not None or derived.task is None:
        return found  # the passing coach's driver is on the own trip's shift already
    shift = shift_finding(driver, *derived.task)
    if shift is not None:
        found.append(claim.disagree("driver_id", driver.id, "off shift", "shift", shift.reason))
    left = hours_left_s(base, rescue.depart_at, policy)
    if left != rescue.driver_hours_left_s:
        reason = "driving left under the 24 h / 7-day limits at departure"
        found.append(claim.disagree("driver_hours_left_s", rescue.driver_hours_left_s, left, "hours_left", reason))
    return found
