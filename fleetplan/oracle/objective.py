"""The objective terms the oracle recounts beyond ``passengers_not_reached``, ``trips_uncovered`` and
``trips_recrewed`` (:mod:`~fleetplan.oracle.check`): ``late_penalty``, ``passenger_delay_min``,
``trips_retimed_min``, ``deadhead_km``, ``coverage_lost`` and ``rescue_coaches``, by the rules of
docs/world-model.md §9, from the oracle's own tiers, timetable, fleet and routes.

Every term is a whole number and compared exactly, except ``deadhead_km``: the oracle's routes may
differ from the engine's by a few metres, so each task's empty running is compared within 1 % or
100 m before it is rounded to whole kilometres, and the claim must lie in the range that allows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.oracle.case import Claim, Disagreement
from fleetplan.oracle.check_cover import CoverFacts
from fleetplan.oracle.check_passing import passing_window, stops_delay_s
from fleetplan.oracle.deadlines import tier_verdict
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.places import Place
from fleetplan.oracle.rescue_common import RescueFacts, seconds
from fleetplan.oracle.speed import to_s
from fleetplan.oracle.world import StopRow, TierRule, Tiers
from fleetplan.plan import Plan

# §9: a passenger no coach takes costs as much as one reached this late, so that leaving a group
# behind is never cheaper than reaching it late (the first term counts them as not reached already).
UNREACHED_LATENESS_S = 6 * 3600
# §9: the empty running of each task may differ from the oracle's by 1 % or 100 m, whichever is more,
# before it is rounded to whole kilometres (routes of equal time may differ a little in length).
DEADHEAD_SHARE = 0.01
DEADHEAD_FLOOR_M = 100.0


@dataclass(frozen=True)
class Term:
    """The oracle's value of one term and the range of values it accepts (``low`` ≤ claim ≤ ``high``);
    ``low == high == value`` for a term the plan's own times fix exactly."""

    value: int
    low: int
    high: int
    reason: str

    @classmethod
    def exact(cls, value: int, reason: str) -> Term:
        return cls(value, value, value, reason)

    def accepts(self, claimed: int) -> bool:
        return self.low <= claimed <= self.high

    def shown(self) -> str:
        return str(self.value) if self.low == self.high else f"{self.value} ({self.low}..{self.high})"


def other_terms(
    facts: Facts, claim: Claim, plan: Plan, rescues: list[RescueFacts], covers: list[CoverFacts]
) -> list[Disagreement]:
    """A disagreement for each of the six terms whose claimed value the oracle's range excludes; a term
    an older plan lacks is not judged."""
    terms: dict[str, Term | None] = {
        "late_penalty": late_penalty(facts, rescues),
        "passenger_delay_min": passenger_delay_min(facts, rescues),
        "trips_retimed_min": trips_retimed_min(plan),
        "deadhead_km": deadhead_km(facts, rescues, covers),
        "coverage_lost": coverage_lost(facts, plan),
        "rescue_coaches": rescue_coaches(plan),
    }
    found = []
    for name, term in terms.items():
        claimed = getattr(plan.objective, name, None)
        if term is not None and claimed is not None and not term.accepts(claimed):
            found.append(claim.disagree(f"objective.{name}", claimed, term.shown(), "objective", term.reason))
    return found


# --------------------------------------------------------------------------- minutes and lateness
def started_min(duration_s: int) -> int:
    """Whole minutes, a started minute counting as one; 0 for no time or less (§5, §9)."""
    return -(-max(duration_s, 0) // 60)


def penalty_per_passenger(tiers: Tiers, rule: TierRule, late_s: int) -> int:
    """The tier's weight per started minute late, doubled for the minutes past the escalation (§5)."""
    late_min = started_min(late_s)
    base_min = min(late_min, tiers.escalation_after_s // 60)
    return rule.late_penalty_per_min * (base_min + 2 * (late_min - base_min))


def tier_rule(tiers: Tiers, name: str) -> TierRule:
    return next(
        rule for rule in (tiers.city, tiers.near_backup, tiers.corridor, tiers.pre_departure) if rule.name == name
    )


def scene_arrival(r: RescueFacts) -> datetime:
    """The arrival the lateness counts from: the plan's, unless the oracle's earliest is later (the same
    reading as ``passengers_not_reached``)."""
    return max(r.rescue.scene_arrival, r.scene_earliest or r.rescue.scene_arrival)


# --------------------------------------------------------------------------- late_penalty
def late_penalty(facts: Facts, rescues: list[RescueFacts]) -> Term:
    """Each rescued passenger by the lateness of their coach at the scene past the incident's deadline,
    each passenger no coach takes as :data:`UNREACHED_LATENESS_S` late, both at the incident's tier."""
    tiers = facts.world.tiers
    total = 0
    carried: Counter[str] = Counter()
    for incident in facts.case.incidents:
        verdict = tier_verdict(facts, incident)
        rule = tier_rule(tiers, verdict.tier)
        for r in (r for r in rescues if r.incident is incident):
            late_s = seconds(scene_arrival(r) - verdict.deadline)
            total += r.rescue.passengers * penalty_per_passenger(tiers, rule, late_s)
            carried[incident.id] += r.rescue.passengers
        left = max(0, incident.passengers - carried[incident.id])
        total += left * penalty_per_passenger(tiers, rule, UNREACHED_LATENESS_S)
    return Term.exact(total, "lateness at the scene by the oracle's tiers and deadlines, unreached as 6 h late")


# --------------------------------------------------------------------------- passenger_delay_min
def passenger_delay_min(facts: Facts, rescues: list[RescueFacts]) -> Term | None:
    """Rescued passengers' started minutes past the failed trip's planned time at their delivery stop,
    plus, for a passing coach, its own booked passengers' started minutes its stop adds at its last stop.
    None (not judged) when the oracle cannot follow a passing coach's course: its rescue's checks say why."""
    total = 0
    for r in rescues:
        if r.incident is None:
            continue
        planned = planned_at_delivery(facts, r)
        if planned is not None:
            total += r.rescue.passengers * started_min(seconds(r.rescue.destination_arrival - planned))
        if r.passing_trip is not None:
            own = route_own_delay_min(r) if r.passing_route else own_passengers_delay_min(facts, r)
            if own is None:
                return None
            total += own
    return Term.exact(total, "passengers' started minutes past the timetable at the stops they reach")


def planned_at_delivery(facts: Facts, r: RescueFacts) -> datetime | None:
    """The failed trip's planned time at the stop the rescue delivers to (its last stop when the stop is
    not one still ahead); None for passengers of no trip, who have no planned arrival."""
    assert r.incident is not None
    trip = facts.failed_trip(r.incident)
    if trip is None:
        return None
    stop = r.delivery_stop or r.rescue.destination_node or trip.stops[-1].node_id
    ahead = {s.node_id: s.planned for s in reversed(facts.remaining_stops(r.incident))}
    return ahead.get(stop, trip.arrival)


def own_passengers_delay_min(facts: Facts, r: RescueFacts) -> int | None:
    """Passenger-minutes a passing coach's stop costs its own booked passengers: the started minutes of
    its lateness at its trip's last stop leaving the scene after boarding and the dwell, less its
    lateness had it driven on at its scene arrival (a coach running early absorbs the stop; a delay of
    the conditions is theirs either way). None when the oracle cannot follow its course."""
    trip, rescue = r.passing_trip, r.rescue
    assert trip is not None
    course = passing_course(facts, r)
    if course is None:
        return None
    scene, ahead = course
    leave = rescue.boarding_at + timedelta(seconds=facts.case.passing_dwell_s)
    found = stops_delay_s(facts, trip, ahead, (scene, rescue.scene_arrival), (scene, leave))
    return None if found is None else trip.booked * started_min(found[0])


def route_own_delay_min(r: RescueFacts) -> int | None:
    """What a passing coach's route costs its own booked passengers: the started minutes of the lateness
    all its stops add at its last stop (:mod:`~fleetplan.oracle.check_passing_route`)."""
    assert r.passing_trip is not None
    return None if r.route_own_delay_s is None else r.passing_trip.booked * started_min(r.route_own_delay_s)


def passing_course(facts: Facts, r: RescueFacts) -> tuple[Place, tuple[StopRow, ...]] | None:
    """The side of the scene the passing coach passes (the one whose window opens at the oracle's
    earliest passing time) and its own stops after it."""
    assert r.passing_trip is not None and r.incident is not None
    for side in sides_of(facts.place(r.incident.location)):
        window = passing_window(facts, r.passing_trip, side)
        if window is not None and (r.scene_earliest is None or window[0] == r.scene_earliest):
            return side, r.passing_trip.stops[window[3] + 1 :]
    return None


# --------------------------------------------------------------------------- the trip and fleet terms
def trips_retimed_min(plan: Plan) -> Term:
    """The started minutes each covered trip leaves after its timetabled departure."""
    total = sum(started_min(cover.departure_shift_s) for cover in plan.trip_covers)
    return Term.exact(total, "started minutes the covered trips leave late")


def rescue_coaches(plan: Plan) -> Term:
    """The coaches the plan sends to a scene, passing ones included, each counted once."""
    return Term.exact(len({r.vehicle_id for r in plan.rescues}), "coaches sent to the scenes")


def coverage_lost(facts: Facts, plan: Plan) -> Term:
    """Depot cities that had a standby coach usable at the decision and whose usable standby coaches
    the plan all takes (for a rescue or a cover)."""
    used = {r.vehicle_id for r in plan.rescues} | {c.vehicle_id for c in plan.trip_covers}
    lost = sum(1 for coaches in usable_standby_by_depot(facts).values() if coaches and coaches <= used)
    return Term.exact(lost, "depot cities left without a usable standby coach")


def usable_standby_by_depot(facts: Facts) -> dict[str, set[str]]:
    """Depot id → the standby coaches standing at it at the decision that could be sent: not failed,
    not unavailable, permit valid that day, not on a trip (the standing backups of §5, by depot)."""
    case = facts.case
    depots = {site.node_id: site.id for site in facts.world.sites if site.kind == "depot"}
    found: dict[str, set[str]] = {depot: set() for depot in depots.values()}
    for coach in facts.world.coaches:
        if (
            coach.status != "standby"
            or coach.id in case.failed
            or coach.id in case.unavailable
            or coach.permit_valid_until < case.at.date()
            or facts.coach_trip_at(coach.id, case.at) is not None
        ):
            continue
        depot = depots.get(facts.coach_node_at(coach.id, case.at))
        if depot is not None:
            found[depot].add(coach.id)
    return found


# --------------------------------------------------------------------------- deadhead_km
def deadhead_km(facts: Facts, rescues: list[RescueFacts], covers: list[CoverFacts]) -> Term:
    """The empty running of every rescue and cover, each rounded to whole kilometres: a standing crew
    from where it stands to the scene, a passing coach none, a cover from where its crew sets out to
    the trip's first stop (none for a trip its own crew keeps). A task the oracle could not route
    counts as claimed (its own check says why)."""
    ranges = [rescue_deadhead(facts, r) for r in rescues] + [cover_deadhead(c) for c in covers]
    low = sum(km_range(options)[0] for options in ranges)
    high = sum(km_range(options)[1] for options in ranges)
    value = sum(round(options[0] / 1000) for options in ranges)
    return Term(value, low, high, "empty running by the oracle's routes, ±1 % or 100 m per task")


def km_range(options: Iterable[float]) -> tuple[int, int]:
    """The whole kilometres a task's empty running may round to, given the oracle's metres (one or more
    equally valid readings) and the tolerance."""
    lows, highs = [], []
    for metres in options:
        band = max(DEADHEAD_FLOOR_M, DEADHEAD_SHARE * metres)
        lows.append(round(max(0.0, metres - band) / 1000))
        highs.append(round((metres + band) / 1000))
    return min(lows), max(highs)


def rescue_deadhead(facts: Facts, r: RescueFacts) -> tuple[float, ...]:
    """The oracle's metres of a rescue's empty running: 0 for a passing coach, else the earliest route
    from where the coach stands to the side of the scene the oracle's earliest arrival was found on."""
    rescue = r.rescue
    if r.empty_m is not None:  # derived by the route's own check
        return r.empty_m
    if r.passing_trip is not None or rescue.passing_trip_id is not None:
        return (0.0,)
    if r.incident is None or r.scene_earliest is None:
        return (float(rescue.deadhead_m),)
    start = facts.place(facts.coach_node_at(rescue.vehicle_id, facts.case.at))
    scene = facts.place(r.incident.location)
    routes = [facts.router.fastest(start, side, to_s(rescue.depart_at)) for side in sides_of(scene)]
    lengths = [
        float(route.length_m)
        for route in routes
        if route is not None and rescue.depart_at + timedelta(seconds=route.seconds) == r.scene_earliest
    ]
    return tuple(lengths) or (float(rescue.deadhead_m),)


def sides_of(scene: Place) -> list[Place]:
    """The scene and, for a ``lat,lon`` whose carriageway is ambiguous (§4), the other side."""
    return [scene] + ([scene.other_side] if scene.other_side is not None else [])


def cover_deadhead(c: CoverFacts) -> tuple[float, ...]:
    """The metres the oracle accepts for a cover's empty running (as soon as the crew is free, or as
    late as it may set out), or the claim when the oracle could not derive it."""
    return c.deadhead_m or (float(c.cover.deadhead_m),)
