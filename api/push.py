"""Pushed updates for the dispatch desk (issue 17): one watcher per service process, fanned out to
every open desk as server-sent events.

A desk that polls every few seconds sees a new incident, an alert or a moved coach seconds late and
loads the service with requests that mostly find nothing new. Here one task per process looks at the
records every ``push_every_s`` while at least one desk listens: a few maxima of append-only tables
tell what changed (new entries, alerts raised or closed, closures, status changes, bookings) and
the positions stored since the last look are the coaches that moved. Only what changed is sent, as
whole lists for the small topics and as single coaches for positions. Several processes on one
database each watch it, so a change made through any of them reaches every desk.

A desk that falls behind (its queue full) is dropped; its client reconnects and gets the full state
again, which is also what every new connection gets first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from fleetplan.positions import Position

from api.desk import run_blocking
from api.positions_log import PositionLog
from api.records.schema import (
    alerts,
    bookings,
    closure_lifts,
    closures,
    entries,
    positions,
    vehicle_status_changes,
)

logger = logging.getLogger(__name__)

QUEUE_EVENTS = 500  # a desk this far behind is dropped and reconnects to the full state
TOPICS = ("incidents", "alerts", "closures", "fleet")


@dataclass(frozen=True)
class Event:
    """One server-sent event: its name and its JSON-able data."""

    name: str
    data: Any


@dataclass(frozen=True)
class Marks:
    """Per topic, numbers that grow whenever the topic changes (append-only tables and their closings)."""

    incidents: tuple[int, ...]
    alerts: tuple[int, ...]
    closures: tuple[int, ...]
    fleet: tuple[int, ...]

    def changed(self, before: Marks | None) -> list[str]:
        """The topics whose marks differ from ``before`` (all of them when there was none)."""
        return [topic for topic in TOPICS if before is None or getattr(self, topic) != getattr(before, topic)]


def read_marks(engine: Engine) -> Marks:
    """The change marks of every topic, in one round trip."""
    scalar = lambda expression: select(expression).scalar_subquery()  # noqa: E731
    query = select(
        scalar(func.coalesce(func.max(entries.c.id), 0)),
        scalar(func.coalesce(func.max(alerts.c.id), 0)),
        scalar(func.count(alerts.c.closed_at)),
        scalar(func.coalesce(func.max(closures.c.id), 0)),
        scalar(func.count(closure_lifts.c.closure_id)),
        scalar(func.coalesce(func.max(vehicle_status_changes.c.id), 0)),
        scalar(func.coalesce(func.max(bookings.c.id), 0)),
        scalar(func.count(bookings.c.released_at)),
        scalar(func.coalesce(func.max(positions.c.id), 0)),
    )
    with engine.connect() as connection:
        row = connection.execute(query).one()
    (entry, alert, alert_closed, closure, lift, status, booking, released, _position) = (int(v) for v in row)
    # bookings move with incident entries, but a coach's status moves the fleet on its own
    return Marks((entry,), (alert, alert_closed), (closure, lift), (status, booking, released, entry))


def last_position_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(positions.c.id), 0))).scalar_one())


@dataclass(frozen=True)
class Sources:
    """How the hub builds each topic's payload (blocking calls, run in a worker thread).

    ``topic`` maps a topic name to the function building its whole list; ``position`` turns a fix (and
    the coach's fix before it, if known) into the desk's row; ``latest`` is every coach's latest fixes.
    """

    engine: Engine
    positions: PositionLog
    topic: dict[str, Callable[[], Any]]
    position: Callable[[Position, Position | None], dict[str, Any]]
    clock: Callable[[], datetime]
    hello: Callable[[], dict[str, Any]]


@dataclass
class _Watch:
    """What the watcher saw last (touched only by the one watcher task at a time)."""

    marks: Marks | None = None
    position_id: int = 0
    last_fix: dict[str, Position] = field(default_factory=dict)


class PushHub:
    """Fan-out of the desk's live topics to server-sent-event subscribers.

    Parameters
    ----------
    sources
        Where the payloads come from.
    every_s
        How often the records are looked at while anyone listens.
    ping_s
        How often a ``ping`` (the ``hello`` data again) is sent: it keeps idle connections open through
        proxies and the desks' clocks in step with the service's.
    """

    def __init__(self, sources: Sources, every_s: float, ping_s: float = 15.0) -> None:
        self.sources = sources
        self.every_s = every_s
        self.ping_s = ping_s
        self._queues: set[asyncio.Queue[Event | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._watch = _Watch()

    @property
    def listeners(self) -> int:
        return len(self._queues)

    async def events(self) -> AsyncIterator[Event]:
        """The full state, then every change, until the caller stops (or falls too far behind)."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_EVENTS)
        self._queues.add(queue)
        try:
            # the positions stored from here on reach this listener as moves: none falls between
            # the snapshot and the watcher's first look
            if not self._watch.position_id:
                self._watch.position_id = await run_blocking(last_position_id, self.sources.engine)
            self._ensure_watching()
            for event in await run_blocking(self.snapshot):
                yield event
            while True:
                queued = await queue.get()
                if queued is None:  # dropped for falling behind: the client reconnects
                    return
                yield queued
        finally:
            self._queues.discard(queue)

    def snapshot(self) -> list[Event]:
        """Everything a desk shows, as of now (blocking)."""
        events = [Event("hello", self.sources.hello())]
        events += [Event(topic, build()) for topic, build in self.sources.topic.items()]
        rows = [
            self.sources.position(fixes[0], fixes[1] if len(fixes) > 1 else None)
            for fixes in self.sources.positions.latest().values()
        ]
        events.append(Event("positions", {"full": True, "rows": rows}))
        return events

    def changes(self) -> list[Event]:
        """What changed since the last look (blocking; one caller at a time: the watcher)."""
        watch = self._watch
        marks = read_marks(self.sources.engine)
        # the first look sends every topic: a desk's snapshot may have been read just before it
        events = [Event(topic, self.sources.topic[topic]()) for topic in marks.changed(watch.marks)]
        watch.marks = marks
        events += self._moved()
        return events

    def _moved(self) -> list[Event]:
        watch = self._watch
        # fixes taken more than an hour before now are a terminal's backlog: not where a coach is
        since = self.sources.clock() - timedelta(hours=1)
        watch.position_id, fixes = self.sources.positions.stored_after(watch.position_id, since)
        newest: dict[str, Position] = {}
        for fix in fixes:
            held = newest.get(fix.vehicle_id)
            if held is None or fix.at >= held.at:
                newest[fix.vehicle_id] = fix
        rows = []
        for vehicle_id, fix in newest.items():
            before = watch.last_fix.get(vehicle_id)
            if before is not None and fix.at < before.at:
                continue  # a late fix from the past: the coach is where its newer one put it
            rows.append(self.sources.position(fix, before))
            watch.last_fix[vehicle_id] = fix
        return [Event("positions", {"full": False, "rows": rows})] if rows else []

    def _ensure_watching(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch_loop())

    async def _watch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        pinged = loop.time()
        while self._queues:
            try:
                events = await run_blocking(self.changes)
                if loop.time() - pinged >= self.ping_s:
                    events.append(Event("ping", self.sources.hello()))
                    pinged = loop.time()
            except Exception:  # the database may be away for a moment; the desks keep their state
                logger.exception("push: looking for changes failed")
                events = []
            for event in events:
                self._publish(event)
            await asyncio.sleep(self.every_s)
        self._watch = _Watch()  # nobody listens: the next listener starts from the full state

    def _publish(self, event: Event) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._queues.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)

    async def stop(self) -> None:
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._queues.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
