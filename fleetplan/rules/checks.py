"""The time rules at one start: how far each is broken (for the search) and what is broken (findings).

A :class:`Check` holds everything about one drive that does not depend on its start; for a start it
gives the amount by which each constraint is broken (:meth:`Check.amounts`, linear between
:meth:`Check.breakpoints`) and the findings with their numbers (:meth:`Check.findings`), which
:mod:`fleetplan.rules.wording` words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from fleetplan.errors import InvalidValueError
from fleetplan.model import Activity, Driver, DrivingPolicy, DutyInterval, OvernightRule
from fleetplan.rules.timeline import (
    DEFAULT_POLICY,
    WINDOW_7D_S,
    WINDOW_24H_S,
    Stretch,
    Timeline,
    daily_marks,
    timeline_of,
)
from fleetplan.rules.values import Finding, ProposedDrive, RuleCode
from fleetplan.units import DAY, KM

SHORT_TRIP_M = 100 * KM  # 2018 exemption from the 02:00–05:00 stop
COMMUTER_TRIP_M = 200 * KM  # 交运规〔2023〕2号 Art. 32 exemption


# --------------------------------------------------------------------------- findings
@dataclass(frozen=True)
class DoubleBookingFinding:
    """The drive ``[start, end)`` overlaps the ``logged`` intervals, each ``(activity, start, end)``.

    Times are stamps (:func:`~fleetplan.rules.timeline.to_stamp`); ``what`` names the proposed duty
    (a drive, or the ``other`` duty or ``rest`` of a task).
    """

    start: int
    end: int
    logged: tuple[tuple[Activity, int, int], ...]
    what: str = "drive"
    code: ClassVar[RuleCode] = RuleCode.DOUBLE_BOOKED


@dataclass(frozen=True)
class ContinuousFinding:
    """Continuous driving over the limit: the ``stretch`` that holds the drive, against ``policy``.

    ``budget`` is ``day_max · night_max``, the scale of the stretch's integer ``excess``. By day
    only the code is ``continuous_day``, with any night driving ``continuous_night``.
    """

    stretch: Stretch
    budget: int
    policy: DrivingPolicy

    @property
    def code(self) -> RuleCode:
        return RuleCode.CONTINUOUS_DAY if self.stretch.night_s == 0 else RuleCode.CONTINUOUS_NIGHT

    @property
    def ratio(self) -> float:
        """``day_s / day_max + night_s / night_max``, more than 1."""
        return (self.stretch.excess + self.budget) / self.budget


@dataclass(frozen=True)
class ShortRestFinding:
    """A break of ``gap_s`` ``where`` (``"before"`` or ``"after"``) the drive, shorter than ``policy.min_rest_s``."""

    gap_s: int
    where: str
    policy: DrivingPolicy
    code: ClassVar[RuleCode] = RuleCode.REST_TOO_SHORT


@dataclass(frozen=True)
class WindowFinding:
    """``driving_s`` in the window of ``window_s`` from ``window_start`` (a stamp), over ``limit_s``."""

    code: RuleCode  # daily_8h or weekly_44h
    driving_s: int
    window_start: int
    window_s: int
    limit_s: int


@dataclass(frozen=True)
class OvernightFinding:
    """The drive ``[start, end)`` (stamps) runs ``stop_s`` into the 02:00–05:00 stop and is not exempt."""

    start: int
    end: int
    stop_s: int
    drive: ProposedDrive
    policy: DrivingPolicy
    code: ClassVar[RuleCode] = RuleCode.OVERNIGHT_STOP


# --------------------------------------------------------------------------- 02:00–05:00
def overnight_exempt(drive: ProposedDrive, policy: DrivingPolicy = DEFAULT_POLICY) -> bool:
    """Whether the drive's trip is exempt from the 02:00–05:00 stop under ``policy.overnight_rule``.

    ``ENFORCE``: never. ``EXEMPT_SHORT_100KM``: trips of known distance ≤100 km.
    ``EXEMPT_COMMUTER_200KM``: commuter charters, and trips of known distance ≤200 km.
    """
    distance_m = drive.distance_m  # None: unknown distance
    match policy.overnight_rule:
        case OvernightRule.ENFORCE:
            return False
        case OvernightRule.EXEMPT_SHORT_100KM:
            return distance_m is not None and distance_m <= SHORT_TRIP_M
        case OvernightRule.EXEMPT_COMMUTER_200KM:
            return drive.commuter or (distance_m is not None and distance_m <= COMMUTER_TRIP_M)
    raise InvalidValueError("overnight_rule", f"unknown rule {policy.overnight_rule!r}")


# --------------------------------------------------------------------------- time rules at one start
@dataclass(frozen=True)
class Check:
    """Everything about one check that does not depend on the start time."""

    timeline: Timeline
    drive: ProposedDrive
    overnight_applies: bool

    @property
    def policy(self) -> DrivingPolicy:
        return self.timeline.policy

    @property
    def duration_s(self) -> int:
        return self.drive.duration_s

    def amounts(self, start: int) -> dict[tuple, int]:
        """How far each time constraint is broken at ``start`` (> 0 broken), keyed per constraint.

        Between two consecutive :meth:`breakpoints` every amount is linear in ``start``. A drive of
        no length breaks nothing: it adds no driving, and what the log held before is not its doing.
        """
        if self.duration_s == 0:
            return {}
        end = start + self.duration_s
        timeline, policy = self.timeline, self.policy
        found = {("overlap",): timeline.overlap_s(start, end), ("continuous",): timeline.stretch(start, end).excess}
        if self.overnight_applies:
            found[("overnight",)] = timeline.stop_s(start, end)
        for tag, window_s, limit_s in (
            ("24h", WINDOW_24H_S, policy.max_driving_24h_s),
            ("7d", WINDOW_7D_S, policy.max_driving_7d_s),
        ):
            for key, _, driving in timeline.windows(start, end, window_s):
                found[(tag, *key)] = driving - limit_s
        return found

    def legal_at(self, start: int) -> bool:
        return all(amount <= 0 for amount in self.amounts(start).values())

    def findings(self, start: int) -> list[Finding]:
        """The time rules the drive breaks when it starts at ``start``, as numbers (none for 0 s)."""
        if self.duration_s == 0:
            return []
        end = start + self.duration_s
        found = self._double_booking(start, end) + self._continuous(start, end)
        found += self._windows(start, end)
        found += self._overnight(start, end)
        return found

    # ------------------------------------------------------------------ findings
    def _double_booking(self, start: int, end: int) -> list[Finding]:
        timeline = self.timeline
        hits = timeline.overlapping(start, end)
        if not hits:
            return []
        logged = tuple((timeline.log[k].activity, timeline.starts[k], timeline.ends[k]) for k in hits)
        return [DoubleBookingFinding(start, end, logged)]

    def _continuous(self, start: int, end: int) -> list[Finding]:
        stretch, policy = self.timeline.stretch(start, end), self.policy
        if stretch.excess <= 0:
            return []
        found: list[Finding] = [ContinuousFinding(stretch, self.timeline.budget, policy)]
        gaps = ((stretch.gap_before_s, "before"), (stretch.gap_after_s, "after"))
        short = [(gap, where) for gap, where in gaps if gap is not None and 0 < gap < policy.min_rest_s]
        for gap, where in short:
            found.append(ShortRestFinding(gap, where, policy))
        return found

    def _windows(self, start: int, end: int) -> list[Finding]:
        found: list[Finding] = []
        for code, window_s, limit_s in (
            (RuleCode.DAILY_8H, WINDOW_24H_S, self.policy.max_driving_24h_s),
            (RuleCode.WEEKLY_44H, WINDOW_7D_S, self.policy.max_driving_7d_s),
        ):
            # Every window the drive falls in lies inside [start − window, end + window): when all the
            # driving logged there and the drive itself stay within the limit, none can break it (most
            # checks of a dispatch end here; the busiest window is searched only when it might).
            if self.timeline.driven_between(start - window_s, end + window_s) + end - start <= limit_s:
                continue
            driving, a = self.timeline.busiest_window(start, end, window_s)
            if driving > limit_s:
                found.append(WindowFinding(code, driving, a, window_s, limit_s))
        return found

    def _overnight(self, start: int, end: int) -> list[Finding]:
        if not self.overnight_applies or self.timeline.stop_s(start, end) == 0:
            return []
        return [OvernightFinding(start, end, self.timeline.stop_s(start, end), self.drive, self.policy)]

    # ------------------------------------------------------------------ search support
    def breakpoints(self, low: int, high: int, midnights: bool) -> list[int]:
        """Starts in ``(low, high]`` where some amount of :meth:`amounts` may change slope or jump."""
        timeline, d, rest = self.timeline, self.duration_s, self.min_rest_s
        marks: set[int] = set()
        for moment in (*timeline.starts, *timeline.ends):  # overlap with the log
            marks.update((moment, moment - d))
        marks.update(moment + rest for moment in timeline.busy_ends)  # a rest completes …
        marks.update(moment - d - rest for moment in timeline.busy_starts)  # … or is cut short
        for moment in (*timeline.drive_starts, *timeline.drive_ends):  # windows sweep over drives
            for window_s in (WINDOW_24H_S, WINDOW_7D_S):
                marks.update((moment + window_s, moment - window_s, moment + window_s - d, moment - window_s - d))
        sods = list(timeline.night_sod)
        if self.overnight_applies:
            sods += timeline.stop_sod
        if midnights:  # personal rules are judged on the first and last day of the drive
            sods.append(0)
            marks.update(m - d + 1 for m in daily_marks(low, high + d, [0]))
        for mark in daily_marks(low, high + d, sods):
            marks.update((mark, mark - d))
        return sorted(m for m in marks if low < m <= high)

    @property
    def min_rest_s(self) -> int:
        return self.policy.min_rest_s

    def skip_to(self, start: int) -> int:
        """A later start before which nothing can be legal, for the rules where that is plain.

        A drive overlapping a logged interval overlaps it until it starts at that interval's end;
        one running into a 02:00–05:00 stop runs into it until it starts when the stop ends.
        """
        end = start + self.duration_s
        target = max((self.timeline.ends[k] for k in self.timeline.overlapping(start, end)), default=start)
        if self.overnight_applies and self.timeline.stop_s(start, end) > 0:
            stop_start, stop_end = self.timeline.stop_sod
            length = (stop_end - stop_start) % DAY
            day = (start // DAY - 1) * DAY
            while day + stop_start < end:
                if day + stop_start + length > start:
                    target = max(target, day + stop_start + length)
                    break
                day += DAY
        return target


def prepare_check(
    driver: Driver, duty_log: Iterable[DutyInterval], drive: ProposedDrive, policy: DrivingPolicy
) -> Check:
    """The :class:`Check` of ``drive`` against the driver's log (normalised; other drivers' entries raise)."""
    timeline = timeline_of(duty_log, driver.id, policy)
    return Check(timeline, drive, overnight_applies=not overnight_exempt(drive, policy))
