"""The driver's shift: a whole task lies inside one shift, and a later shift starts at home.

The shift is the operator's roster, not a law, so it is not one of the :class:`~fleetplan.rules.values.RuleCode`
rules of :func:`~fleetplan.rules.check_drive` (which judges a drive at any clock); the builder and the
evaluator ask it of every task (docs/world-model.md §7–§8). A shift runs from ``shift_start`` to
``shift_end`` on the day it begins, past midnight when the end is earlier than the start
(:meth:`~fleetplan.model.Driver.shift_window`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from fleetplan.model import Driver
from fleetplan.phrase import Phrase, PlaceRef, phrase
from fleetplan.units import format_hhmm


@dataclass(frozen=True)
class ShiftFinding:
    """The task ``[start, end]`` does not lie inside one shift of the driver: it starts off shift
    (``window`` is ``None``) or runs past the end of the shift it starts in (``window``)."""

    driver_id: str
    shift_start: time
    shift_end: time
    start: datetime
    end: datetime
    window: tuple[datetime, datetime] | None


def shift_label(driver: Driver) -> str:
    """``"07:00–19:00"``."""
    return f"{format_hhmm(driver.shift_start)}–{format_hhmm(driver.shift_end)}"


def next_shift_start(driver: Driver, moment: datetime) -> datetime:
    """The start of the shift ``moment`` falls in, or of the next one when the driver is off shift."""
    window = driver.shift_window(moment)
    if window is not None:
        return window[0]
    today = datetime.combine(moment.date(), driver.shift_start)
    return today if today > moment else today + timedelta(days=1)


def off_shift_at(driver: Driver, moment: datetime) -> str | None:
    """Why the driver cannot start a task at ``moment`` (off shift then, the shift named), or ``None``."""
    if driver.on_shift(moment):
        return None
    return f"{driver.id} is off shift at {moment:%Y-%m-%d %H:%M} (shift {shift_label(driver)})"


def shift_finding(driver: Driver, start: datetime, end: datetime) -> ShiftFinding | None:
    """The shift finding of a task from ``start`` to ``end``, or ``None`` when it lies inside one shift."""
    if driver.on_shift_throughout(start, end):
        return None
    return ShiftFinding(driver.id, driver.shift_start, driver.shift_end, start, end, driver.shift_window(start))


def shift_message(finding: ShiftFinding) -> str:
    """The finding in words, naming the shift."""
    shift = f"{format_hhmm(finding.shift_start)}–{format_hhmm(finding.shift_end)}"
    task = f"{finding.start:%Y-%m-%d %H:%M}–{finding.end:%H:%M}"
    if finding.window is None:
        return (
            f"{finding.driver_id} is off shift at {finding.start:%Y-%m-%d %H:%M} (shift {shift}); the task runs {task}"
        )
    return f"the task {task} runs past the end of {finding.driver_id}'s shift {shift} at {finding.window[1]:%Y-%m-%d %H:%M}"


def off_shift_reason(driver: Driver, start: datetime, end: datetime) -> str | None:
    """Why the task from ``start`` to ``end`` is not inside one of the driver's shifts, or ``None``."""
    finding = shift_finding(driver, start, end)
    return None if finding is None else shift_message(finding)


@dataclass(frozen=True)
class CoverStart:
    """Where and from when a crew can set out for a trip it covers."""

    node: str
    at: datetime
    new_shift: bool  # the trip lies in a later shift, which the driver begins at the home depot


def cover_start(
    driver: Driver,
    crew_node: str,
    free_at: datetime,
    home_node: str,
    departure: datetime,
    latest: datetime,
    shift_window: Callable[[datetime], tuple[datetime, datetime] | None] | None = None,
) -> CoverStart | Phrase:
    """Where the crew (coach and driver, free at ``crew_node`` from ``free_at``) starts for a trip
    leaving at ``departure`` (at the latest ``latest``, retimed), or why it cannot (a phrase that
    :mod:`fleetplan.wording` words).

    ``shift_window`` looks up the driver's shift at a moment (default :meth:`Driver.shift_window`; a
    caller asking for thousands of crews passes one that remembers).

    In the shift the crew is in, it sets out from where it is. A trip in a later shift is driven in
    that shift, which the driver begins at the home depot (``home_node``) at its start: the coach must
    stand there too, and the empty run from there to the trip's first stop happens in that shift.
    """
    shift_window = shift_window or driver.shift_window
    window = shift_window(departure) or shift_window(latest)
    if window is not None and window == shift_window(free_at):
        return CoverStart(crew_node, free_at, new_shift=False)
    if window is not None and crew_node == home_node:
        return CoverStart(home_node, max(free_at, window[0]), new_shift=True)
    facts = {"driver": driver.id, "shift": shift_label(driver), "at": f"{departure:%Y-%m-%d %H:%M}"}
    if window is None:
        return phrase("cover.off_shift", **facts)
    return phrase("cover.next_shift", **facts, home=PlaceRef(home_node), where=PlaceRef(crew_node))
