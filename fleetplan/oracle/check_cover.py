"""The oracle's checks of one trip cover (world-model §8): the crew usable, enough seats, at the first
stop by the departure plus the retiming, a new charter sign filed before it leaves when one is
needed, the empty running, and the driver legal and on shift for the whole trip."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.oracle.case import Claim, Disagreement
from fleetplan.oracle.check_rescue import usability
from fleetplan.oracle.duty import Interval, overnight_applies, shift_finding, shift_window, time_findings
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.paths import Route
from fleetplan.oracle.rescue_common import SLACK_S, RescueFacts, seconds, tolerance_s
from fleetplan.oracle.sightings import ON_THE_ROAD
from fleetplan.oracle.speed import to_s
from fleetplan.oracle.world import Coach, DriverRow, TripRow
from fleetplan.plan import TripCover


@dataclass(frozen=True)
class CoverFacts:
    """What the oracle derived for one cover: the task and what it adds to the driver's log."""

    cover: TripCover
    trip: TripRow | None
    task: tuple[datetime, datetime] | None = None
    end_node: str | None = None
    intervals: tuple[Interval, ...] = ()
    # The empty running the oracle accepts, in metres: setting out as soon as the crew is free, or as
    # late as it may (0 for a trip its own crew keeps); empty when it could not be derived.
    deadhead_m: tuple[float, ...] = ()


def free_at(facts: Facts, coach: Coach, rescues: Mapping[str, RescueFacts]) -> tuple[str, datetime]:
    """Where and when the crew is free: after its rescue in this plan at the delivery stop (after its
    route at the route's last stop), after its trip under way at that trip's end, else where the coach
    stands after the turnout."""
    case = facts.case
    before = rescues.get(coach.id)
    if before is not None and before.end_node is not None and before.task is not None:
        return before.end_node, before.task[1]
    if before is not None and before.passing_trip is None and before.delivery_stop is not None:
        return before.delivery_stop, before.rescue.destination_arrival
    underway = facts.coach_trip_at(coach.id, case.at)
    if underway is not None:
        return underway.stops[-1].node_id, underway.arrival
    return facts.coach_node_at(coach.id, case.at), case.at + timedelta(seconds=case.turnout_s)


def start_of(
    facts: Facts, claim: Claim, crew: tuple[Coach, DriverRow], rescues: Mapping[str, RescueFacts], departure: datetime
) -> tuple[str, datetime, list[Disagreement]]:
    """Where the crew sets out for the trip (§8): from where it is free when the trip lies in the shift
    the driver is in then; a trip in a later shift from the home depot at that shift's start, which
    needs the coach standing there."""
    coach, driver = crew
    node, free = free_at(facts, coach, rescues)
    later = shift_window(driver, departure)
    if later is None or later == shift_window(driver, free):
        return node, free, []
    home = facts.site_node(driver.home_depot)
    if node == home:
        return home, max(free, later[0]), []
    reason = f"the trip lies in {driver.id}'s next shift, which begins at {home}, where {coach.id} does not stand"
    return home, max(free, later[0]), [claim.disagree("vehicle_id", coach.id, node, "cover_start", reason)]


def check_cover(
    facts: Facts, claim: Claim, cover: TripCover, rescues: Mapping[str, RescueFacts], taken_away: frozenset[str]
) -> tuple[list[Disagreement], CoverFacts]:
    """Every disagreement with ``cover`` (``rescues``: this plan's rescues by coach id)."""
    world = facts.world
    trip, coach, driver = world.trip(cover.trip_id), world.coach(cover.vehicle_id), world.driver(cover.driver_id)
    if trip is None or coach is None or driver is None:
        ids = f"{cover.trip_id}/{cover.vehicle_id}/{cover.driver_id}"
        reason = "the oracle does not know the trip, coach or driver"
        return [claim.disagree("ids", ids, "unknown", "unknown_id", reason)], CoverFacts(cover, trip)
    departure = trip.departure + timedelta(seconds=cover.departure_shift_s)
    end = trip.arrival + timedelta(seconds=cover.departure_shift_s)
    found = usability(facts, claim, coach, driver, departure, end) + seats_and_sign(
        facts, claim, trip, coach, driver, departure
    )
    if (coach.id, driver.id) == (trip.vehicle_id, trip.driver_id) and coach.id not in rescues:
        kept, derived = own_trip(facts, claim, cover, trip, driver, rescues, taken_away)
        return found + kept, derived
    node, free, more = start_of(facts, claim, (coach, driver), rescues, departure)
    found += more
    if node == ON_THE_ROAD:
        reason = f"{coach.id}'s GPS fix has it on the road: no crew stands with it"
        found.append(claim.disagree("vehicle_id", coach.id, ON_THE_ROAD, "origin", reason))
        return found, CoverFacts(cover, trip)
    route = facts.router.fastest(facts.place(node), facts.place(trip.origin), to_s(free))
    if route is None:
        reason = f"no open road {node} → {trip.origin}"
        found.append(claim.disagree("trip_id", trip.id, "no route", "no_route", reason))
        return found, CoverFacts(cover, trip)
    ready = free + timedelta(seconds=route.seconds)
    if (ready - departure).total_seconds() > tolerance_s(route):
        reason = f"the crew reaches {trip.origin} only at {ready:%H:%M:%S}"
        found.append(claim.disagree("departure_shift_s", departure, ready, "cover_late", reason))
    # the empty run as late as it may start to be there at the departure (the crew waits where it is)
    deadhead_start, late = last_start(facts, node, trip.origin, departure, free)
    metres = float(route.length_m)
    if all(abs(cover.deadhead_m - m) > max(1.0, 0.01 * m) for m in (metres, float(late.length_m))):
        reason = "empty running differs by more than 1 %"
        found.append(claim.disagree("deadhead_m", cover.deadhead_m, round(metres), "deadhead", reason))
    intervals = [Interval(deadhead_start, departure, "drive", True)] if deadhead_start < departure else []
    intervals.append(Interval(departure, end, "drive", True))
    accepted = (metres, float(late.length_m))
    derived = CoverFacts(cover, trip, (deadhead_start, end), trip.stops[-1].node_id, tuple(intervals), accepted)
    found += cover_duty(facts, claim, driver, trip, derived, rescues, taken_away, metres)
    return found, derived


def own_trip(
    facts: Facts,
    claim: Claim,
    cover: TripCover,
    trip: TripRow,
    driver: DriverRow,
    rescues: Mapping[str, RescueFacts],
    taken_away: frozenset[str],
) -> tuple[list[Disagreement], CoverFacts]:
    """A trip its own planned crew keeps (§8): it runs as timetabled, from the trip's first stop, with
    no empty run of the plan's making; only the retiming, the duty and the shift are judged."""
    found = []
    if cover.deadhead_m != 0:
        reason = f"{trip.id} keeps its own crew, which sets out from its first stop"
        found.append(claim.disagree("deadhead_m", cover.deadhead_m, 0, "deadhead", reason))
    departure = trip.departure + timedelta(seconds=cover.departure_shift_s)
    end = trip.arrival + timedelta(seconds=cover.departure_shift_s)
    derived = CoverFacts(
        cover, trip, (departure, end), trip.stops[-1].node_id, (Interval(departure, end, "drive", True),), (0.0,)
    )
    kept = cover_duty(facts, claim, driver, trip, derived, rescues, taken_away, 0.0, as_timetabled=True)
    return found + kept, derived


def last_start(facts: Facts, node: str, origin: str, by: datetime, earliest: datetime) -> tuple[datetime, Route]:
    """The latest start from ``node`` (not before ``earliest``) that reaches ``origin`` by ``by``, and
    its route: a few steps back from ``by`` by the travel time, which depends on the clock."""
    start, end = facts.place(node), facts.place(origin)
    leave = by
    for _ in range(6):
        route = facts.router.fastest(start, end, to_s(leave))
        if route is None:
            break
        late_s = seconds(leave - by) + route.seconds
        if late_s <= 0:
            return max(leave, earliest), route
        leave -= timedelta(seconds=late_s)
    leave = max(min(leave, by), earliest)
    route = facts.router.fastest(start, end, to_s(leave))
    assert route is not None  # a route exists from ``earliest`` (checked by the caller)
    return leave, route


def seats_and_sign(
    facts: Facts, claim: Claim, trip: TripRow, coach: Coach, driver: DriverRow, departure: datetime
) -> list[Disagreement]:
    """Seats for everyone booked; a new charter sign filed before leaving when the coach or driver is
    not on the trip's sign."""
    found = []
    if coach.seats < trip.booked:
        reason = f"{trip.booked} booked on {trip.id}"
        found.append(claim.disagree("vehicle_id", coach.id, f"{coach.seats} seats", "seats", reason))
    if coach.id != trip.vehicle_id or driver.id not in trip.signed_driver_ids:
        ready = facts.case.at + timedelta(seconds=facts.world.policy.charter_sign_filing_delay_s)
        if departure < ready:
            reason = "leaves before a new charter sign can be filed"
            found.append(claim.disagree("departure_shift_s", departure, ready, "sign", reason))
    return found


def cover_duty(
    facts: Facts,
    claim: Claim,
    driver: DriverRow,
    trip: TripRow,
    derived: CoverFacts,
    rescues: Mapping[str, RescueFacts],
    taken_away: frozenset[str],
    deadhead_m: float,
    as_timetabled: bool = False,
) -> list[Disagreement]:
    """The driver's whole duty with the cover (and a rescue of the same driver in the plan), and the
    shift over the whole task (§7, §8), in snow as long as the trip really runs; a trip its own crew
    keeps (``as_timetabled``) is the timetable's, not the plan's, and is judged as timetabled."""
    policy = facts.world.policy
    earlier = [i for r in rescues.values() if r.rescue.driver_id == driver.id for i in r.intervals]
    assert derived.task is not None
    start, end = derived.task
    # in snow the trip runs longer than its timetable, with the rests that needs (§8)
    pieces = list(derived.intervals) if as_timetabled else snowbound(facts, trip, start, end, derived.intervals)
    log = facts.base_log(driver.id, taken_away) + earlier + pieces
    length = facts.trip_length_m(trip)
    overnight = overnight_applies(policy, None if length is None else length + deadhead_m, commuter=False)
    found = [
        claim.disagree("driver_id", driver.id, finding.rule, finding.rule, finding.reason)
        for finding in time_findings(log, policy, overnight)
    ]
    shift = shift_finding(driver, start, max(end, pieces[-1].end))
    if shift is not None:
        found.append(claim.disagree("driver_id", driver.id, "off shift", "shift", shift.reason))
    return found


def snowbound(
    facts: Facts, trip: TripRow, start: datetime, end: datetime, timetabled: tuple[Interval, ...]
) -> list[Interval]:
    """A cover ``[start, end]`` (empty run, then the trip as timetabled: ``timetabled``) as it really runs
    under the case's conditions (§8): each leg driven from its stop at the timetable's time takes what
    the conditions add over clear weather longer, and a drive that long is broken by a rest of
    ``min_rest`` after each ``day_continuous_max`` of driving. The oracle's legs are a few seconds
    shorter, so that where the builder and the oracle route a hair apart it does not call a cover
    illegal that is not."""
    added_s = snow_added_s(facts, trip) - SLACK_S * len(trip.stops)
    if added_s <= 0:
        return list(timetabled)
    policy, pieces = facts.world.policy, []
    moment, left_s = start, seconds(end - start) + added_s
    while left_s > 0:
        drive_s = min(left_s, policy.day_continuous_max_s)
        pieces.append(Interval(moment, moment + timedelta(seconds=drive_s), "drive", True))
        moment, left_s = pieces[-1].end, left_s - drive_s
        if left_s > 0:
            pieces.append(Interval(moment, moment + timedelta(seconds=policy.min_rest_s), "rest", True))
            moment = pieces[-1].end
    return pieces


def snow_added_s(facts: Facts, trip: TripRow) -> int:
    """Seconds the case's conditions add to ``trip``'s legs over clear weather, each leg from its stop
    at the timetable's time; 0 in clear weather or where a leg is cut off (judged elsewhere)."""
    preset = facts.router.preset
    if all(w == "clear" for _, w in preset.weather) and not (preset.closed_edges or preset.closed_entrances):
        return 0
    added_s = 0
    for here, there in zip(trip.stops, trip.stops[1:]):
        origin, destination, at = facts.place(here.node_id), facts.place(there.node_id), to_s(here.planned)
        now, before = facts.router.fastest(origin, destination, at), facts.clear_router.fastest(origin, destination, at)
        if now is None or before is None:
            return 0
        added_s += max(0, now.seconds - before.seconds)
    return added_s
