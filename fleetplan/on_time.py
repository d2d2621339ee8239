"""A quick search for on-time rescues that carry every stranded passenger: each crew, coach and
driver sent once. Finding one proves that nobody need be late or left behind, so the leading terms of
the objective are at their optimum (0) without a search; not finding one proves nothing.

The builder asks it before building rescue routes (a route can only do better than one coach per
group when someone would otherwise be late or left behind); the solver before its first stage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from fleetplan.instance import RescueOption, StrandedGroup


def on_time_rescues(
    groups: Iterable[StrandedGroup], options_by_group: Mapping[str, Sequence[RescueOption]], allow_split: bool = True
) -> dict[str, int] | None:
    """Rescue option id → passengers carrying every passenger on on-time rescues, each crew, coach
    and driver used once (one rescue per group without splitting), or None where this quick search
    finds none: the groups with the fewest on-time options first, each taking the smallest free
    coach big enough for those left, else the biggest free one. None proves nothing."""
    busy: set[tuple[str, str]] = set()  # ("crew" | "coach" | "driver", id) already sent
    rescues: dict[str, int] = {}

    def on_time(group_id: str) -> list[RescueOption]:
        return [o for o in options_by_group.get(group_id, ()) if o.late_s == 0]

    for group in sorted(groups, key=lambda g: (len(on_time(g.id)), g.id)):
        left = group.passengers
        while left > 0:
            free = [o for o in on_time(group.id) if busy.isdisjoint(_resources(o))]
            big_enough = [o for o in free if o.capacity >= left]
            if big_enough:
                option = min(big_enough, key=lambda o: (o.own_passengers > 0, o.capacity, o.id))
            elif free and allow_split:
                option = max(free, key=lambda o: (o.capacity, o.own_passengers == 0, o.id))
            else:
                return None
            rescues[option.id] = min(option.capacity, left)
            left -= rescues[option.id]
            busy |= _resources(option)
    return rescues


def _resources(option: RescueOption) -> set[tuple[str, str]]:
    return {("crew", option.crew_id), ("coach", option.vehicle_id), ("driver", option.driver_id)}
