"""The checks of a whole plan: passengers per group, double bookings, unavailable resources, and every
trip at stake covered or declared uncovered (no crew's own trip lost silently)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fleetplan.errors import FleetplanError
from fleetplan.evaluate.facts import Facts
from fleetplan.plan import Plan, Rescue, TripCover
from fleetplan.problems import Problem, ProblemCode, problem


# ------------------------------------------------------------------ whole-plan checks
def group_totals(facts: Facts, plan: Plan) -> list[Problem]:
    carried: Counter[str] = Counter()
    for rescue in plan.rescues:
        carried[rescue.group_id] += rescue.passengers
    return [
        problem(
            ProblemCode.OVER_CARRIED,
            f"group {g.id}",
            f"{carried[g.id]} passengers carried but only {g.passengers} are stranded",
            carried=carried[g.id],
            stranded=g.passengers,
        )
        for g in facts.instance.groups
        if carried[g.id] > g.passengers
    ]


def double_bookings(facts: Facts, plan: Plan) -> list[Problem]:
    problems = []
    items: tuple[Rescue, ...] | tuple[TripCover, ...]
    # a route's parts are one booking of its coach and driver
    bookings = tuple({r.route_id or r.option_id: r for r in plan.rescues}.values())
    for label, items in (("rescues", bookings), ("trip covers", plan.trip_covers)):
        for attribute in ("vehicle_id", "driver_id"):
            counts = Counter(getattr(item, attribute) for item in items)
            problems += [
                Problem(
                    ProblemCode.DOUBLE_BOOKED,
                    key,
                    f"{attribute.removesuffix('_id')} {key} is booked {n} times in {label}",
                    (("times", n),),
                )
                for key, n in counts.items()
                if n > 1
            ]
    rescue_crews = {r.vehicle_id: r.driver_id for r in plan.rescues}
    rescue_drivers = {r.driver_id: r.vehicle_id for r in plan.rescues}
    for cover in plan.trip_covers:
        if cover.vehicle_id in rescue_crews and rescue_crews[cover.vehicle_id] != cover.driver_id:
            problems.append(
                Problem(
                    ProblemCode.CREW_SPLIT,
                    cover.vehicle_id,
                    f"coach {cover.vehicle_id} rescues with {rescue_crews[cover.vehicle_id]} but "
                    f"covers {cover.trip_id} with {cover.driver_id}",
                )
            )
        if cover.driver_id in rescue_drivers and rescue_drivers[cover.driver_id] != cover.vehicle_id:
            problems.append(
                Problem(
                    ProblemCode.CREW_SPLIT,
                    cover.driver_id,
                    f"driver {cover.driver_id} rescues in {rescue_drivers[cover.driver_id]} but "
                    f"covers {cover.trip_id} in {cover.vehicle_id}",
                )
            )
    return problems


def unavailable_used(facts: Facts, plan: Plan) -> list[Problem]:
    used = (
        [r.vehicle_id for r in plan.rescues]
        + [r.driver_id for r in plan.rescues]
        + [c.vehicle_id for c in plan.trip_covers]
        + [c.driver_id for c in plan.trip_covers]
    )
    return [
        Problem(
            ProblemCode.UNAVAILABLE_USED,
            resource,
            f"{resource} is used but unavailable: {facts.instance.unavailable[resource]}",
        )
        for resource in dict.fromkeys(used)
        if resource in facts.instance.unavailable
    ]


def trip_accounting(facts: Facts, plan: Plan) -> list[Problem]:
    """Every trip needing a crew is covered or declared uncovered, and no pulled crew's own trip
    disappears silently."""
    covered = Counter(c.trip_id for c in plan.trip_covers)
    declared = set(plan.uncovered_trip_ids)
    problems = [
        Problem(ProblemCode.TRIP_COVERED_TWICE, f"trip {t}", f"trip {t} is covered {n} times", (("times", n),))
        for t, n in covered.items()
        if n > 1
    ]
    problems += [
        Problem(ProblemCode.TRIP_COVERED_AND_UNCOVERED, f"trip {t}", f"trip {t} is both covered and declared uncovered")
        for t in declared & set(covered)
    ]
    at_stake = {t.trip_id for t in facts.instance.trip_tasks}
    problems += [
        Problem(ProblemCode.TRIP_UNACCOUNTED, f"trip {t}", f"trip {t} is neither covered nor declared uncovered")
        for t in sorted(at_stake - set(covered) - declared)
    ]
    for rescue in plan.rescues:
        for attribute, resource in (("vehicle_id", rescue.vehicle_id), ("driver_id", rescue.driver_id)):
            later = facts.next_trip_of(attribute, resource)
            if later and later.id not in covered and later.id not in declared and not facts.passing_rescue(rescue):
                problems.append(
                    Problem(
                        ProblemCode.TRIP_LOST_TO_RESCUE,
                        f"trip {later.id}",
                        f"trip {later.id} loses {resource} to the rescue and is neither "
                        f"re-covered nor declared uncovered",
                    )
                )
    rescuers = {r.vehicle_id for r in plan.rescues}
    for cover in plan.trip_covers:
        if cover.vehicle_id not in rescuers:
            problems += _own_trips_kept(facts, cover, set(covered) | declared)
    return problems


def _own_trips_kept(facts: Facts, cover: TripCover, accounted: set[str]) -> list[Problem]:
    """A crew taken for another trip must still make its own next trip, unless that trip is
    re-covered or declared uncovered."""
    problems = []
    trip = facts.dataset.trip(cover.trip_id)
    back_from = trip.arrival + timedelta(seconds=cover.departure_shift_s)
    for attribute, resource in (("vehicle_id", cover.vehicle_id), ("driver_id", cover.driver_id)):
        own = facts.next_trip_of(attribute, resource, besides=trip.id)
        if own is None or own.id in accounted:
            continue
        try:
            back_s, _ = facts.route_s(cover.vehicle_id, trip.destination, own.origin, back_from)
        except FleetplanError as error:
            problems.append(
                problem(
                    ProblemCode.OWN_TRIP_LOST,
                    f"trip {own.id}",
                    f"{resource} covers {trip.id} and cannot come back: {error}",
                )
            )
            continue
        if back_from + timedelta(seconds=back_s) > own.departure:
            problems.append(
                Problem(
                    ProblemCode.OWN_TRIP_LOST,
                    f"trip {own.id}",
                    f"trip {own.id} loses {resource}, which covers {trip.id} and is back at "
                    f"{own.origin} only at {back_from + timedelta(seconds=back_s):%H:%M}",
                    (("back_at", back_from + timedelta(seconds=back_s)), ("departure", own.departure)),
                )
            )
    return problems
