"""Who comes first for a later trip, timed lazily: a large fleet has thousands of crews (and, after a
mass disruption, thousands of rescues a crew could run the trip after) and a trip wants a dozen
coaches near it, so only the few that can come first are timed at all."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from fleetplan.builder.context import BuildContext
from fleetplan.instance import TripTask
from fleetplan.network.distance import fastest_kmh, road_distance_m

# A crew's place in the queue for a trip: (departure shift s, empty running m, crew or rescue id).
Rank = tuple[int, int, str]
# (shift s, empty running m, empty running s), as :func:`fleetplan.builder.cover_timing.cover_timing` gives it
Timing = tuple[int, int, int]


class Ranked(Protocol):
    """A crew, or a rescue or route a crew could run the trip after."""

    @property
    def id(self) -> str: ...

    @property
    def vehicle_id(self) -> str: ...


T = TypeVar("T", bound=Ranked)
Entry = tuple[Rank, T, Timing | None]  # no timing: the planned crew, as the timetable has it
Timed = tuple[Rank, T, Timing]


def in_rank_order(
    ctx: BuildContext,
    task: TripTask,
    starts: Iterable[tuple[str, datetime, Sequence[T]]],
    time_item: Callable[[T], Entry[T] | None],
    kept: Sequence[Entry[T]] = (),
    wanted: Callable[[T], bool] | None = None,
) -> Iterator[Entry[T]]:
    """The items that can run ``task``, timed lazily, in rank order (``kept`` entries as they are).

    ``starts`` groups the items by the place and time they are free from, each group sorted by id.
    Items free at one place and time share a lower bound on their shift and empty running: the
    shortest road from there (all roads open) at the network's highest speed. A crew in a later
    shift sets out from its home depot, and only if it stands there (:func:`fleetplan.rules.cover_start`),
    so the place is the same and the time no earlier: the bound holds. Each group waits in the
    queue as a cursor at its bound and its next item by id; an item is timed only when its cursor
    comes first, and a timed item comes out once nothing untimed can rank before it. So items far
    from the trip, or behind enough items at the same place, are never timed. An item ``wanted``
    turns down when its cursor comes first is skipped untimed (the caller has enough coaches and
    would drop it anyway)."""
    destination = ctx.place(task.origin_node)
    fastest_mps = fastest_kmh(ctx.network) / 3.6
    order = itertools.count()
    queue: list[tuple[Rank, int, Entry[T] | None, tuple]] = [(entry[0], next(order), entry, ()) for entry in kept]
    for node, free_at, group in starts:
        metres = road_distance_m(ctx.network, node, destination)
        if metres is None:
            continue  # no road from there at all
        earliest = free_at + timedelta(seconds=metres / fastest_mps)
        bound = (max(0, int((earliest - task.departure).total_seconds())), int(metres))
        queue.append(((*bound, group[0].id), next(order), None, (bound, group, 0)))
    heapq.heapify(queue)
    while queue:
        _, _, entry, cursor = heapq.heappop(queue)
        if entry is not None:
            yield entry
            continue
        bound, group, index = cursor
        if wanted is None or wanted(group[index]):
            timed = time_item(group[index])
            if timed is not None:
                heapq.heappush(queue, (timed[0], next(order), timed, ()))
        if index + 1 < len(group):
            heapq.heappush(queue, ((*bound, group[index + 1].id), next(order), None, (bound, group, index + 1)))


def grouped_by_start(items: Iterable[tuple[T, str, datetime]]) -> list[tuple[str, datetime, tuple[T, ...]]]:
    """``(item, free node, free at)`` as :func:`in_rank_order` wants them: by place and time, each
    group sorted by id."""
    groups: dict[tuple[str, datetime], list[T]] = {}
    for item, node, free_at in items:
        groups.setdefault((node, free_at), []).append(item)
    return [
        (node, free_at, tuple(sorted(group, key=lambda item: item.id))) for (node, free_at), group in groups.items()
    ]
