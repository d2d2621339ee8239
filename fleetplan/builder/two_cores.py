"""A large build's independent work shared with a forked child, on the other core.

Every stranded group's rescue options, and every trip task's covers, are worked out from the build's
context alone. On a large fleet they are most of a build (on the 1,000-coach benchmark some 1.2 of
1.5 s), and the other core is idle while they run: the solver has not started. So a child forked
from this process, which sees the context as it is, shares the items with it: each takes the next
item number from a pipe of tickets when it is free (items differ in cost: fixed halves were
lopsided), and the child sends back, item by item, what it made and what it recorded in the context
(rejections, late and overtime options). The parent puts the items back in their order and records
each rejection once, where its first item would have, as :meth:`BuildContext.reject` does: the
instance is the same as a build in one process.

A small build is not shared (the fork and the transfer cost more than they save), nor is one in a
process with other threads running (a child of a threaded process could wait forever on a lock
another thread held at the fork: the desk's web process dispatches in worker processes of one thread
each), nor where ``os.fork`` is missing. A child that fails, sends nothing readable or takes far
longer than the parent's own items costs only time: the parent works its items out itself.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fleetplan.builder.context import BuildContext
from fleetplan.instance import RescueOption

Item = TypeVar("Item")
Made = TypeVar("Made")

# Below this much work the other core is not worth a fork, measured as candidate crews × items (groups
# or trip tasks). A fork, the pickling and the merge cost a few milliseconds; on a generated 100-coach
# fleet with 3 incidents (work 648 and 8,424) the build took 0.106 s against 0.138 s in one process,
# on 500 coaches with 10 (11,200 and 144,480) 0.50 s against 0.64 s. The desk's builds on the default
# corridor stay far below (70 in the median, 400 at most for 40 seeded incidents, alone or four at
# once): under load its other core is busy with another report.
MIN_WORK = 5_000
# How long the parent waits for the child once its own items are done, beyond as long again as they
# took: the two sides' items cost about the same, so a child this late is stuck, not slow.
CHILD_GRACE_S = 2.0
TICKET_BYTES = 4
MAX_TICKETS = 4_096  # their numbers fit in a pipe's buffer (16 KiB at the least) before anyone reads
_CAN_FORK = hasattr(os, "fork")


@dataclass(frozen=True)
class _Done(Generic[Made]):
    """One item's work: what it made and what it recorded in the context meanwhile."""

    made: tuple[Made, ...]
    rejections: tuple[tuple[Any, ...], ...]  # (candidate, code, said, group_id): Rejection without names
    late: tuple[RescueOption, ...]
    overtime: tuple[RescueOption, ...]


def made_on_two_cores(
    ctx: BuildContext, items: Sequence[Item], make: Callable[[Item], Iterable[Made]], work: int
) -> tuple[Made, ...]:
    """``make(item)`` for every item, concatenated in order; shared with a forked child when ``work``
    (the caller's measure of it) is :data:`MIN_WORK` or more."""
    if work < MIN_WORK or len(items) < 2 or len(items) > MAX_TICKETS or not _CAN_FORK or not _single_threaded():
        return _made_here(items, make)
    recorded = ctx.recorded_so_far()
    tickets = _tickets(len(items))
    reading, writing = os.pipe()
    try:
        child = os.fork()
    except OSError:  # no process to be had (a limit, memory): the build on one core
        for pipe_end in (tickets, reading, writing):
            os.close(pipe_end)
        return _made_here(items, make)
    if child == 0:  # the child: the items it draws, down the pipe; never returns
        os.close(reading)
        _child(ctx, items, make, tickets, writing)
    os.close(writing)
    sent: dict[int, _Done[Made]] | None = None
    try:
        started = time.monotonic()
        done = {index: _done(ctx, items[index], make) for index in _drawn(tickets)}
        sent = _received(reading, deadline=time.monotonic() + (time.monotonic() - started) + CHILD_GRACE_S)
    finally:
        os.close(reading)
        os.close(tickets)
        if sent is None:
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    if sent is None or len(done) + len(sent) < len(items):  # the child failed: its items made here,
        ctx.forget_since(recorded)  # from the context as it was at the fork, as the child would have
        sent = {index: _done(ctx, items[index], make) for index in range(len(items)) if index not in done}
    in_order = [done[index] if index in done else sent[index] for index in range(len(items))]
    ctx.forget_since(recorded)  # the parent's own records, put back below in the items' order
    for each in in_order:
        for candidate, code, said, group_id in each.rejections:
            ctx.reject(candidate, code, said, group_id)
        ctx.late_options.extend(each.late)
        ctx.overtime_options.extend(each.overtime)
    return tuple(made for each in in_order for made in each.made)


def _made_here(items: Sequence[Item], make: Callable[[Item], Iterable[Made]]) -> tuple[Made, ...]:
    return tuple(made for item in items for made in make(item))


def _tickets(count: int) -> int:
    """A pipe holding the item numbers 0 … count-1, closed for writing: the reading end, which both
    processes draw from (a read of a few bytes from a pipe is atomic: each number goes to one)."""
    reading, writing = os.pipe()
    os.write(writing, b"".join(index.to_bytes(TICKET_BYTES, "little") for index in range(count)))
    os.close(writing)
    return reading


def _drawn(tickets: int) -> Iterator[int]:
    """The item numbers this process draws, one at a time, until none is left."""
    while ticket := os.read(tickets, TICKET_BYTES):
        yield int.from_bytes(ticket, "little")


def _single_threaded() -> bool:
    """Whether this process runs no other Python thread (a fork copies only the calling one)."""
    return threading.active_count() == 1


def _done(ctx: BuildContext, item: Item, make: Callable[[Item], Iterable[Made]]) -> _Done[Made]:
    marks = (len(ctx.rejections), len(ctx.late_options), len(ctx.overtime_options))
    made = tuple(make(item))
    return _Done(
        made,
        tuple((r.candidate, r.code, r.said, r.group_id) for r in ctx.rejections[marks[0] :]),
        tuple(ctx.late_options[marks[1] :]),
        tuple(ctx.overtime_options[marks[2] :]),
    )


def _child(
    ctx: BuildContext, items: Sequence[Item], make: Callable[[Item], Iterable[Made]], tickets: int, writing: int
) -> None:
    status = 1
    try:
        done = {index: _done(ctx, items[index], make) for index in _drawn(tickets)}
        with os.fdopen(writing, "wb") as pipe:
            pickle.dump(done, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    finally:
        os._exit(status)  # no exit handlers, no flushing of buffers: they are the parent's


def _received(reading: int, deadline: float) -> dict | None:
    """The child's items, or None when it sent nothing whole by ``deadline`` (``time.monotonic``)."""
    chunks = []
    while True:
        ready, _, _ = select.select([reading], [], [], max(deadline - time.monotonic(), 0.0))
        if not ready:
            return None
        chunk = os.read(reading, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # a child that died mid-way: a truncated pickle
        return None
