"""A rescue by a standing crew (world-model §6, §7): from where the coach stands, no earlier than the
report plus the turnout (and no later without a rule that makes it wait), to the scene by the oracle's
earliest route, boarding, the transfer, a rest when the duty needs one (at the scene or on the way:
:mod:`~fleetplan.oracle.check_rest`), and on to a remaining stop of the failed trip.

The task's pieces in the driver's log are those of §7: drive ``[departure, scene arrival)``, other duty
``[scene arrival, boarding + transfer)`` (waiting for the sign is duty, not a rest), rest ``[boarding +
transfer, departure from the scene)`` if any, drive ``[departure from the scene, arrival)``, split in
two around a rest on the way; pieces of no length add nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.oracle.case import CaseIncident, Claim, Disagreement
from fleetplan.oracle.check_rest import judge_rests, pieces, to_rest_place
from fleetplan.oracle.duty import Interval, overnight_applies, shift_window, time_findings
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.paths import Route
from fleetplan.oracle.places import Place
from fleetplan.oracle.rescue_common import RescueFacts, boarding, compare_time, no_stop, seconds, tolerance_s
from fleetplan.oracle.sightings import ON_THE_ROAD
from fleetplan.oracle.speed import to_s
from fleetplan.oracle.world import Coach, DriverRow
from fleetplan.plan import Rescue


def standing(
    facts: Facts,
    claim: Claim,
    rescue: Rescue,
    incident: CaseIncident,
    crew: tuple[Coach, DriverRow],
    base: list[Interval],
    scene: Place,
) -> tuple[list[Disagreement], RescueFacts]:
    """The checks of a standing crew's rescue; ``base`` is the driver's log before the plan."""
    coach, driver = crew
    case = facts.case
    node = facts.coach_node_at(coach.id, case.at)
    found = crew_ready(facts, claim, rescue, crew, node)
    if node == ON_THE_ROAD:  # its fix has it on the road: no crew stands with it to be sent
        return found, RescueFacts(rescue, incident)
    to_scene = facts.router.fastest(facts.place(node), scene, to_s(rescue.depart_at))
    if to_scene is None:
        reason = f"no open road from {node} to {incident.location}"
        found.append(claim.disagree("scene_arrival", rescue.scene_arrival, "no route", "no_route", reason))
        return found, RescueFacts(rescue, incident)
    found += waited(facts, claim, rescue, node, scene, base)
    earliest = rescue.depart_at + timedelta(seconds=to_scene.seconds)
    found += compare_time(claim, "scene_arrival", rescue.scene_arrival, earliest, tolerance_s(to_scene))
    metres = float(to_scene.length_m)
    if abs(rescue.deadhead_m - metres) > max(1.0, 0.01 * metres):
        reason = "empty running differs by more than 1 %"
        found.append(claim.disagree("deadhead_m", rescue.deadhead_m, round(metres), "deadhead", reason))
    found += boarding(facts, claim, rescue, incident)
    leave = rescue.boarding_at + timedelta(seconds=case.transfer_s + rescue.rest_at_scene_s)
    drive_on_from, first_m = scene, 0.0
    if rescue.rest_on_way_at is not None:  # the onward drive in two around the rest on the way
        stop_named = rescue.destination_node or incident_last_stop(facts, incident)
        more, drive_on_from, leave, first_m = to_rest_place(facts, claim, rescue, scene, stop_named, leave)
        found += more
    more, stop, onward = delivery(facts, claim, rescue, incident, drive_on_from, leave)
    found += more
    distance = metres + first_m + (float(onward.length_m) if onward else 0.0)
    if onward is not None and stop is not None:
        overnight = overnight_applies(facts.world.policy, distance, commuter=False)
        found += judge_rests(facts, claim, rescue, base, (scene, facts.place(stop)), overnight)
    intervals = pieces(rescue, case.transfer_s, rescue.rest_at_scene_s)
    task = (rescue.depart_at, rescue.destination_arrival)
    return found, RescueFacts(rescue, incident, None, earliest, stop, task, intervals, distance)


def incident_last_stop(facts: Facts, incident: CaseIncident) -> str:
    """The failed trip's last stop, where a group is delivered when the plan names none."""
    stops = facts.remaining_stops(incident)
    return stops[-1].node_id if stops else ""


def crew_ready(
    facts: Facts, claim: Claim, rescue: Rescue, crew: tuple[Coach, DriverRow], node: str
) -> list[Disagreement]:
    """Seats, where the coach stands, the turnout, and the driver on shift when the crew could leave."""
    (coach, driver), case = crew, facts.case
    found = []
    if rescue.passengers > coach.seats:
        reason = f"{coach.id} has {coach.seats} seats"
        found.append(claim.disagree("passengers", rescue.passengers, f"≤ {coach.seats}", "seats", reason))
    if rescue.origin_node != node:
        found.append(claim.disagree("origin_node", rescue.origin_node, node, "origin", f"{coach.id} stands at {node}"))
    turnout = case.at + timedelta(seconds=case.turnout_s)
    if rescue.depart_at < turnout:
        found.append(claim.disagree("depart_at", rescue.depart_at, turnout, "turnout", "leaves before the turnout"))
    if shift_window(driver, turnout) is None:
        reason = f"{driver.id} is off shift when the crew could leave ({turnout:%H:%M})"
        found.append(claim.disagree("driver_id", driver.id, "off shift", "shift", reason))
    return found


def waited(facts: Facts, claim: Claim, rescue: Rescue, node: str, scene: Place, base: list[Interval]) -> list:
    """A departure later than the turnout must wait for a rule: the drive to the scene is not legal
    yet at the turnout (§6). Otherwise the late departure is ``pessimistic``."""
    turnout = facts.case.at + timedelta(seconds=facts.case.turnout_s)
    if seconds(rescue.depart_at - turnout) <= 30:
        return []
    drive = facts.router.fastest(facts.place(node), scene, to_s(turnout))
    if drive is None:
        return []
    piece = Interval(turnout, turnout + timedelta(seconds=drive.seconds), "drive", True)
    if piece.end > piece.start and time_findings(base + [piece], facts.world.policy, overnight=True):
        return []  # the drive was not legal at the turnout (the 02:00–05:00 stop counted: waiting is safe)
    reason = "leaves later than the turnout though the drive to the scene was legal then"
    return [claim.disagree("depart_at", rescue.depart_at, turnout, "pessimistic", reason)]


def delivery(
    facts: Facts, claim: Claim, rescue: Rescue, incident: CaseIncident, scene: Place, leave: datetime
) -> tuple[list[Disagreement], str | None, Route | None]:
    """The delivery stop, a remaining stop of the failed trip (the one named, else the farthest the
    claimed arrival fits), and the destination arrival against the oracle's drive there."""
    allowed = [s.node_id for s in facts.remaining_stops(incident)]
    named = getattr(rescue, "destination_node", "") or ""
    if named and named not in allowed:
        return no_stop(claim, named, allowed, "not a remaining stop of the failed trip"), None, None
    fits = []
    for node in [named] if named else allowed:
        route = facts.router.fastest(scene, facts.place(node), to_s(leave))
        if route is not None:
            fits.append((leave + timedelta(seconds=route.seconds), node, route))
    if not fits:
        reason = "no open road from the scene to a delivery stop"
        return (
            [claim.disagree("destination_arrival", rescue.destination_arrival, "no route", "no_route", reason)],
            (None),
            None,
        )
    possible = [f for f in fits if seconds(rescue.destination_arrival - f[0]) >= -tolerance_s(f[2])]
    arrival, node, route = max(possible, key=lambda f: f[0]) if possible else min(fits, key=lambda f: f[0])
    found = compare_time(claim, "destination_arrival", rescue.destination_arrival, arrival, tolerance_s(route))
    return found, node, route
