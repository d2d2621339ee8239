"""Timeline arithmetic of the driving rules: clock stamps, daily periods and a driver's duty log.

Everything here is whole seconds on integer stamps (seconds since a midnight, :func:`to_stamp`), with
no wording: the checks (:mod:`fleetplan.rules.checks`) and the search
(:mod:`fleetplan.rules.search`) build on :class:`Timeline`, and :mod:`fleetplan.rules.wording`
turns their numbers into text.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fleetplan.errors import InvalidValueError
from fleetplan.model import Activity, DrivingPolicy, DutyInterval
from fleetplan.units import DAY, seconds_since_midnight

WINDOW_24H_S = DAY
WINDOW_7D_S = 7 * DAY
TIMELINE_CACHE_SIZE = 4096  # logs: a build times each candidate driver's log many times over

DEFAULT_POLICY = DrivingPolicy()
_EPOCH = datetime(2000, 1, 1)  # a midnight, so that a timestamp modulo DAY is the clock time
_BUSY = (Activity.DRIVE, Activity.OTHER)
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class DrivingState:
    """A driver's driving totals at a moment, from the log before it.

    ``continuous_s`` (of which ``continuous_night_s`` at night) is driving since the last rest of at
    least ``min_rest_s``; ``driven_24h_s`` and ``driven_7d_s`` are driving in the 24 h and 7 days
    before the moment; ``rested_since`` is when the current break began (the end of the last drive
    or other duty), ``None`` while on duty or if the log shows no duty before the moment.
    """

    continuous_s: int
    driven_24h_s: int
    driven_7d_s: int
    rested_since: datetime | None
    continuous_night_s: int = 0

    def driving_left_s(self, policy: DrivingPolicy) -> int:
        """Driving still allowed under the 24-hour and 7-day limits, whichever is tighter (the
        continuous-driving rule depends on the drive, so it is checked with it)."""
        return int(
            max(0, min(policy.max_driving_24h_s - self.driven_24h_s, policy.max_driving_7d_s - self.driven_7d_s))
        )


# --------------------------------------------------------------------------- clock arithmetic
def to_stamp(moment: datetime) -> int:
    """Whole seconds since :data:`_EPOCH`; the clock time is ``stamp % DAY``."""
    if moment.tzinfo is not None:
        raise InvalidValueError("datetime", f"{moment} must be naive China-local time")
    return (moment - _EPOCH) // _ONE_SECOND


def from_stamp(stamp: int) -> datetime:
    """The datetime of a stamp of :func:`to_stamp`."""
    return _EPOCH + timedelta(seconds=stamp)


def daily_overlap_s(start: int, end: int, from_sod: int, to_sod: int) -> int:
    """Seconds of ``[start, end)`` inside the daily period ``from_sod``–``to_sod`` (may wrap midnight)."""
    if from_sod == to_sod or end <= start:
        return 0
    length = (to_sod - from_sod) % DAY
    total = 0
    day = (start // DAY - 1) * DAY  # the previous day's period may run past midnight into ours
    while day + from_sod < end:
        total += max(0, min(end, day + from_sod + length) - max(start, day + from_sod))
        day += DAY
    return total


def daily_marks(start: int, end: int, sods: Iterable[int]) -> Iterator[int]:
    """Every ``day + sod`` in ``[start, end]``."""
    sods = tuple(sods)
    day = (start // DAY) * DAY
    while day <= end:
        for sod in sods:
            if start <= day + sod <= end:
                yield day + sod
        day += DAY


def night_seconds(start: datetime, end: datetime, policy: DrivingPolicy = DEFAULT_POLICY) -> int:
    """Seconds of ``[start, end)`` at night (``policy.night_start``–``night_end``, 22:00–06:00).

    Parameters
    ----------
    start, end
        Naive China-local datetimes.
    policy
        Supplies the night period.

    Returns
    -------
    int
        Night seconds, 0 when ``end <= start``.
    """
    return daily_overlap_s(
        to_stamp(start),
        to_stamp(end),
        seconds_since_midnight(policy.night_start),
        seconds_since_midnight(policy.night_end),
    )


# --------------------------------------------------------------------------- the duty log
def normalised_log(duty_log: Iterable[DutyInterval], driver_id: str | None) -> list[DutyInterval]:
    """The log sorted, of one driver, without overlaps.

    Overlapping entries (a history interval and a trip's driving, say) are resolved for safety:
    where entries overlap, driving wins over other duty, which wins over rest.
    """
    log = sorted(duty_log, key=lambda i: (i.start, i.end))
    owners = {interval.driver_id for interval in log}
    if driver_id is not None:
        owners.discard(driver_id)
    if len(owners) > (0 if driver_id is not None else 1):
        raise InvalidValueError("duty_log", f"holds intervals of other drivers: {', '.join(sorted(owners))}")
    if all(prev.end <= cur.start for prev, cur in zip(log, log[1:])):
        return log
    return _resolve_overlaps(log)


_PRECEDENCE = {Activity.DRIVE: 2, Activity.OTHER: 1, Activity.REST: 0}


def _resolve_overlaps(log: list[DutyInterval]) -> list[DutyInterval]:
    cuts = sorted({moment for interval in log for moment in (interval.start, interval.end)})
    pieces: list[DutyInterval] = []
    for left, right in zip(cuts, cuts[1:]):
        covering = [i for i in log if i.start <= left and i.end >= right]
        if not covering:
            continue
        activity = max((i.activity for i in covering), key=_PRECEDENCE.__getitem__)
        if pieces and pieces[-1].end == left and pieces[-1].activity == activity:
            pieces[-1] = replace(pieces[-1], end=right)
        else:
            pieces.append(DutyInterval(covering[0].driver_id, left, right, activity))
    return pieces


@dataclass(frozen=True)
class Stretch:
    """The continuous-driving stretch that would contain a drive."""

    day_s: int
    night_s: int
    excess: int  # day_s·night_max + night_s·day_max − day_max·night_max; > 0 breaks the rule
    gap_before_s: int | None  # break between the previous duty and the drive
    gap_after_s: int | None  # break between the drive and the next duty


class Timeline:
    """A driver's log as sorted integer timestamps with the prefix sums the rules need.

    Read-only once built: :func:`timeline_of` shares one between every check of the same log."""

    def __init__(self, log: Sequence[DutyInterval], policy: DrivingPolicy) -> None:
        self.policy = policy
        self.min_rest_s = policy.min_rest_s
        self.night_sod = (seconds_since_midnight(policy.night_start), seconds_since_midnight(policy.night_end))
        self.stop_sod = (
            seconds_since_midnight(policy.overnight_stop_start),
            seconds_since_midnight(policy.overnight_stop_end),
        )
        self.weight_day = policy.night_continuous_max_s  # day seconds weigh night_max …
        self.weight_night = policy.day_continuous_max_s  # … night seconds day_max: pro rata in integers
        self.budget = policy.day_continuous_max_s * policy.night_continuous_max_s
        self.log = tuple(log)
        self.starts = [to_stamp(i.start) for i in log]
        self.ends = [to_stamp(i.end) for i in log]
        busy = [k for k, i in enumerate(log) if i.activity in _BUSY]
        self.busy_starts = [self.starts[k] for k in busy]
        self.busy_ends = [self.ends[k] for k in busy]
        self.busy_is_drive = [log[k].activity == Activity.DRIVE for k in busy]
        self.day_prefix, self.night_prefix = [0], [0]
        for k, is_drive in zip(busy, self.busy_is_drive):  # other duty adds no driving to the prefix sums
            night = self.night_s(self.starts[k], self.ends[k]) if is_drive else 0
            day = self.ends[k] - self.starts[k] - night if is_drive else 0
            self.day_prefix.append(self.day_prefix[-1] + day)
            self.night_prefix.append(self.night_prefix[-1] + night)
        self.stretch_first, self.stretch_last = self._logged_stretches()
        drives = [k for k, i in enumerate(log) if i.activity == Activity.DRIVE]
        self.drive_starts = [self.starts[k] for k in drives]
        self.drive_ends = [self.ends[k] for k in drives]
        self.drive_prefix = [0]
        for k in drives:
            self.drive_prefix.append(self.drive_prefix[-1] + self.ends[k] - self.starts[k])

    def _logged_stretches(self) -> tuple[list[int], list[int]]:
        """For each busy interval, the first and last busy interval of its logged stretch."""
        count = len(self.busy_starts)
        first, last = list(range(count)), list(range(count))
        for k in range(1, count):
            if self.busy_starts[k] - self.busy_ends[k - 1] < self.min_rest_s:
                first[k] = first[k - 1]
        for k in range(count - 2, -1, -1):
            if self.busy_starts[k + 1] - self.busy_ends[k] < self.min_rest_s:
                last[k] = last[k + 1]
        return first, last

    # ------------------------------------------------------------------ primitives
    def night_s(self, start: int, end: int) -> int:
        return daily_overlap_s(start, end, *self.night_sod)

    def stop_s(self, start: int, end: int) -> int:
        return daily_overlap_s(start, end, *self.stop_sod)

    def driven_before(self, moment: int) -> int:
        """Total logged driving before ``moment``."""
        k = bisect_right(self.drive_starts, moment) - 1
        if k < 0:
            return 0
        return self.drive_prefix[k] + min(moment, self.drive_ends[k]) - self.drive_starts[k]

    def driven_between(self, start: int, end: int) -> int:
        return self.driven_before(end) - self.driven_before(start)

    def overlapping(self, start: int, end: int) -> list[int]:
        """Indices of logged intervals (any activity) that overlap ``[start, end)``."""
        found = []
        k = bisect_right(self.ends, start)  # ends are sorted too: the log has no overlaps
        while k < len(self.starts) and self.starts[k] < end:
            found.append(k)
            k += 1
        return found

    def overlap_s(self, start: int, end: int) -> int:
        return sum(min(end, self.ends[k]) - max(start, self.starts[k]) for k in self.overlapping(start, end))

    def stretch(self, start: int, end: int) -> Stretch:
        """The drive ``[start, end)`` together with every logged duty it is not separated from by a rest."""
        night = self.night_s(start, end)
        day = end - start - night
        reach = self.min_rest_s
        low = bisect_right(self.busy_ends, start - reach)  # first duty ending less than a rest before
        high = bisect_left(self.busy_starts, end + reach) - 1  # last duty starting less than a rest after
        if low <= high:
            first, last = self.stretch_first[low], self.stretch_last[high]
            day += self.day_prefix[last + 1] - self.day_prefix[first]
            night += self.night_prefix[last + 1] - self.night_prefix[first]
        before = bisect_right(self.busy_ends, start) - 1
        after = bisect_left(self.busy_starts, end)
        return Stretch(
            day_s=day,
            night_s=night,
            excess=day * self.weight_day + night * self.weight_night - self.budget,
            gap_before_s=start - self.busy_ends[before] if before >= 0 else None,
            gap_after_s=self.busy_starts[after] - end if after < len(self.busy_starts) else None,
        )

    def windows(self, start: int, end: int, window_s: int) -> Iterator[tuple[tuple, int, int]]:
        """``(key, window_start, driving)`` for every window of ``window_s`` that may hold the maximum.

        Driving in ``[a, a + window_s)`` with the drive added is piecewise linear in ``a``; its maxima
        over the windows overlapping the drive lie where ``a`` is a drive start, ``a + window_s`` a
        drive end, or at the ends of the range ``[start − window_s, end]``. Keys name each
        candidate so that the search can follow one window as the start moves.
        """
        low_a, high_a = start - window_s, end
        candidates: list[tuple[tuple, int]] = [
            (("s", k), self.drive_starts[k])
            for k in range(bisect_left(self.drive_starts, low_a), bisect_right(self.drive_starts, high_a))
        ]
        candidates += [
            (("e", k), self.drive_ends[k] - window_s)
            for k in range(
                bisect_left(self.drive_ends, low_a + window_s), bisect_right(self.drive_ends, high_a + window_s)
            )
        ]
        candidates += [(("from",), low_a), (("start",), start), (("end-w",), end - window_s), (("end",), end)]
        for key, a in candidates:
            own = max(0, min(end, a + window_s) - max(start, a))
            yield key, a, self.driven_between(a, a + window_s) + own

    def busiest_window(self, start: int, end: int, window_s: int) -> tuple[int, int]:
        """``(driving, window_start)`` of the busiest window of ``window_s`` overlapping the drive."""
        return max((driving, a) for _, a, driving in self.windows(start, end, window_s))

    # ------------------------------------------------------------------ state before a moment
    def state_at(self, moment: int) -> DrivingState:
        k = bisect_left(self.busy_starts, moment) - 1  # last duty that began before the moment
        continuous = night = 0
        rested_since = None
        if k >= 0:
            busy_now = self.busy_ends[k] > moment
            if busy_now or moment - self.busy_ends[k] < self.min_rest_s:
                first = self.stretch_first[k]
                day_total = self.day_prefix[k + 1] - self.day_prefix[first]
                night = self.night_prefix[k + 1] - self.night_prefix[first]
                if busy_now:  # only the part of the current interval before the moment
                    cut_start, cut_end = moment, self.busy_ends[k]
                    if self.busy_is_drive[k]:
                        cut_night = self.night_s(cut_start, cut_end)
                        night -= cut_night
                        day_total -= cut_end - cut_start - cut_night
                continuous = day_total + night
            if not busy_now:
                rested_since = from_stamp(self.busy_ends[k])
        return DrivingState(
            continuous_s=continuous,
            driven_24h_s=self.driven_between(moment - WINDOW_24H_S, moment),
            driven_7d_s=self.driven_between(moment - WINDOW_7D_S, moment),
            rested_since=rested_since,
            continuous_night_s=night,
        )


def driving_state(
    duty_log: Iterable[DutyInterval], at: datetime, policy: DrivingPolicy = DEFAULT_POLICY
) -> DrivingState:
    """A driver's continuous, 24-h and 7-day driving at ``at``, from the log entries before it.

    Parameters
    ----------
    duty_log
        One driver's intervals, in any order; parts after ``at`` are ignored.
    at
        The moment (naive China-local).
    policy
        Supplies ``min_rest_s`` and the night period.

    Returns
    -------
    DrivingState
    """
    return timeline_of(duty_log, None, policy).state_at(to_stamp(at))


def driving_states(
    duty_log: Iterable[DutyInterval], policy: DrivingPolicy = DEFAULT_POLICY
) -> Callable[[datetime], DrivingState]:
    """:func:`driving_state` of one log at many moments: the log is read once, each moment is a look-up."""
    timeline = timeline_of(duty_log, None, policy)
    return lambda at: timeline.state_at(to_stamp(at))


def timeline_of(duty_log: Iterable[DutyInterval], driver_id: str | None, policy: DrivingPolicy) -> Timeline:
    """The :class:`Timeline` of one driver's log, normalised (:func:`normalised_log`; ``driver_id``
    as there). The same log gives the same timeline: a dispatch checks one driver's log once per
    timing and task it tries, so the timelines are kept (the last :data:`TIMELINE_CACHE_SIZE` logs)."""
    return _timeline(tuple(duty_log), driver_id, policy)


@functools.lru_cache(maxsize=TIMELINE_CACHE_SIZE)
def _timeline(duty_log: tuple[DutyInterval, ...], driver_id: str | None, policy: DrivingPolicy) -> Timeline:
    return Timeline(normalised_log(duty_log, driver_id), policy)
