"""A plan in words: what it does (one phrase per decision) and why an alternative ranks below the first.

Both are read off the plan and its instance; :mod:`solver.dispatch` words its plans with them in
English, and the views word the same plans in Chinese.
"""

from __future__ import annotations

from collections import defaultdict

from fleetplan.instance import Instance, StrandedGroup
from fleetplan.phrase import Joined, Phrase, PlaceRef, TierRef, phrase, where_of
from fleetplan.plan import Objective, Plan, Rescue
from fleetplan.units import ceil_minutes, format_hhmm
from fleetplan.wording.templates import TEMPLATES


def explanation(instance: Instance, plan: Plan) -> tuple[Phrase, ...]:
    """The plan's decisions as phrases: each rescue, the passengers no coach takes, each re-covered
    trip and each trip left uncovered (``plan.nothing`` when there are none)."""
    lines = [rescue_line(instance, rescue) for rescue in plan.rescues]
    lines += not_reached_lines(instance, plan)
    for cover in (c for c in plan.trip_covers if not c.keeps_timetable):  # a kept trip changes nothing
        shift_min = ceil_minutes(cover.departure_shift_s)  # as the objective counts it: a started minute
        shift = phrase("plan.retimed", min=shift_min) if cover.departure_shift_s else phrase("plan.on_time")
        lines.append(
            phrase("plan.cover", trip=cover.trip_id, vehicle=cover.vehicle_id, driver=cover.driver_id, shift=shift)
        )
    lines += [phrase("plan.uncovered", trip=trip_id) for trip_id in plan.uncovered_trip_ids]
    return tuple(lines) or (phrase("plan.nothing"),)


def rescue_line(instance: Instance, rescue: Rescue) -> Phrase:
    """Who goes from where, when at the scene against the limit, and whom they take where by when."""
    group = instance.group(rescue.group_id)
    eta_min = ceil_minutes((rescue.scene_arrival - group.reported_at).total_seconds())  # as the lateness
    return phrase(
        "plan.rescue",
        vehicle=rescue.vehicle_id,
        driver=rescue.driver_id,
        source=source_words(instance, rescue),
        at=format_hhmm(rescue.scene_arrival),
        eta=eta_min,
        limit=limit_words(group),
        tier=TierRef(group.tier),
        lateness=lateness_words(group, rescue),
        taken=rescue.passengers,
        total=group.passengers,
        destination=PlaceRef(rescue.destination_node or group.destination_node),
        arrival=format_hhmm(rescue.destination_arrival),
        rests=rest_words(rescue),
    )


def source_words(instance: Instance, rescue: Rescue) -> Phrase:
    """A passing coach; a coach from where it stands; or, on a route, from there by way of the scenes
    it collects other groups at first."""
    if rescue.passing_trip_id is not None:
        return phrase("plan.passing")
    route = next((r for r in instance.route_options if r.id == rescue.route_id), None)
    if route is None:
        return phrase("plan.from", origin=PlaceRef(rescue.origin_node))
    before = [v.group_id for v in route.visits[: route.group_ids.index(rescue.group_id)]]
    if not before:
        return phrase("plan.from", origin=PlaceRef(rescue.origin_node))
    via = tuple(scene_ref(instance.group(group_id)) for group_id in before)
    return phrase("plan.via", origin=PlaceRef(rescue.origin_node), via=Joined(via, "and"))


def scene_ref(group: StrandedGroup):
    """The scene as a fact the wording names: its place, or the text as reported."""
    return where_of(group.scene) if group.scene is not None else group.scene_text


def rest_words(rescue: Rescue) -> Phrase | None:
    """The driver's rests the plan schedules, for the dispatcher who has to tell the crew."""
    words = []
    if rescue.rest_at_scene_s:
        words.append(phrase("plan.rest_scene", min=rescue.rest_at_scene_s // 60))
    if rescue.rest_on_way_at is not None:
        place, at = PlaceRef(rescue.rest_on_way_node), format_hhmm(rescue.rest_on_way_at)
        words.append(phrase("plan.rest_way", min=rescue.rest_on_way_s // 60, place=place, at=at))
    return phrase("plan.rests", rests=Joined(tuple(words), "and")) if words else None


def limit_words(group: StrandedGroup) -> Phrase:
    """The limit as it counts: from the report, or before a departure from the scheduled departure
    (``16 min`` after a 06:29 report is within a limit that ends 15 min after a 06:55 departure)."""
    if group.tier == "pre_departure":
        return phrase("plan.limit_pre", deadline=format_hhmm(group.deadline), min=group.limit_s // 60)
    return phrase("plan.limit", min=group.limit_s // 60)


def lateness_words(group: StrandedGroup, rescue: Rescue) -> Phrase:
    """``within the limit`` or ``N min late`` (started minutes after the group's deadline)."""
    late_min = ceil_minutes((rescue.scene_arrival - group.deadline).total_seconds())
    return phrase("plan.late", min=late_min) if late_min else phrase("plan.in_time")


def not_reached_lines(instance: Instance, plan: Plan) -> list[Phrase]:
    """Passengers no coach of the plan takes: not reached, as against reached late."""
    carried: dict[str, int] = defaultdict(int)
    for rescue in plan.rescues:
        carried[rescue.group_id] += rescue.passengers
    return [
        phrase(
            "plan.not_reached",
            left=group.passengers - carried[group.id],
            total=group.passengers,
            incident=group.incident_id,
        )
        for group in instance.groups
        if carried[group.id] < group.passengers
    ]


def why_below_phrase(first: Plan, alternative: Plan) -> Phrase | None:
    """:func:`why_below` as a phrase, to word in any language (None: it does not rank below)."""
    for name in Objective.term_names():
        more = getattr(alternative.objective, name) - getattr(first.objective, name)
        if more > 0:
            return phrase(f"below.{name}", n=more)
        if more < 0:  # better on a leading term: it does not rank below (a search cut short)
            return None
    coaches = {vehicle for vehicle, _ in first.rescue_crews()} == {v for v, _ in alternative.rescue_crews()}
    return phrase("below.another_driver" if coaches else "below.another_coach")


assert all(f"below.{name}" in TEMPLATES["en"] for name in Objective.term_names())
