"""The oracle's own duty arithmetic (world-model §7), deliberately plain: lists and loops over intervals.

A driver's log is a list of :class:`Interval` (``drive``, ``other`` = on duty not driving, ``rest``);
the plan's intervals are marked ``new``. The time rules are judged where the plan changes something:
the continuous-driving stretches and the 24-hour / 7-day windows that hold a new interval, and the
new drives for the 02:00–05:00 rule. The person (licence, probation, age, qualification) is judged
on every day of the task, and the shift over the whole task.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fleetplan.oracle.world import Coach, DriverRow, Policy

BUSY = ("drive", "other")
WINDOW_24H_S = 24 * 3600
WINDOW_7D_S = 7 * 24 * 3600
A1_MIN_LENGTH_M = 6.0  # world-model §7: A1 for a coach of length ≥ 6 m …
A1_MIN_OCCUPANTS = 20  # … or ≥ 20 people on board, the driver counted (乘坐人数); B1 below
SHORT_TRIP_M = 100_000  # exempt_short_100km
COMMUTER_TRIP_M = 200_000  # exempt_commuter_200km


@dataclass(frozen=True)
class Interval:
    """A stretch of a driver's time; ``new`` when the plan adds it."""

    start: datetime
    end: datetime
    activity: str  # drive, other, rest
    new: bool = False

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class Finding:
    """A rule the duty breaks: ``rule`` is a stable code, ``reason`` one line with the numbers."""

    rule: str  # continuous, 24h, 7d, overnight, double_booked, shift, licence, probation, age, qualification
    reason: str


# --------------------------------------------------------------------------- clock arithmetic
def overlap_s(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> int:
    return max(0, int((min(a_end, b_end) - max(a_start, b_start)).total_seconds()))


def at_clock(day: date, sod: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(seconds=sod)


def daily_overlap_s(start: datetime, end: datetime, from_sod: int, to_sod: int) -> int:
    """Seconds of ``[start, end)`` inside the daily window ``from``–``to`` (wrapping midnight when
    ``to`` is earlier): one window per calendar day, the day before included."""
    total = 0
    day = start.date() - timedelta(days=1)
    while day <= end.date():
        window_start = at_clock(day, from_sod)
        window_end = at_clock(day + timedelta(days=1 if to_sod <= from_sod else 0), to_sod)
        total += overlap_s(start, end, window_start, window_end)
        day += timedelta(days=1)
    return total


def night_s(start: datetime, end: datetime, policy: Policy) -> int:
    return daily_overlap_s(start, end, policy.night_start_sod, policy.night_end_sod)


# --------------------------------------------------------------------------- the time rules
def stretches(log: Iterable[Interval], min_rest_s: int) -> list[list[Interval]]:
    """Busy intervals in order, grouped: a break shorter than ``min_rest_s`` does not end a stretch."""
    busy = sorted((i for i in log if i.activity in BUSY), key=lambda i: (i.start, i.end))
    groups: list[list[Interval]] = []
    last_end: datetime | None = None
    for interval in busy:
        if last_end is None or (interval.start - last_end).total_seconds() >= min_rest_s:
            groups.append([])
        groups[-1].append(interval)
        last_end = interval.end if last_end is None else max(last_end, interval.end)
    return groups


def continuous_findings(log: Sequence[Interval], policy: Policy) -> list[Finding]:
    """Per stretch holding a new interval: day/day_max + night/night_max ≤ 1 (in whole seconds)."""
    found = []
    for stretch in stretches(log, policy.min_rest_s):
        if not any(i.new for i in stretch):
            continue
        drives = [i for i in stretch if i.activity == "drive"]
        night = sum(night_s(i.start, i.end, policy) for i in drives)
        day = sum(i.seconds for i in drives) - night
        used = day * policy.night_continuous_max_s + night * policy.day_continuous_max_s
        budget = policy.day_continuous_max_s * policy.night_continuous_max_s
        if used > budget:
            found.append(
                Finding(
                    "continuous",
                    f"{day // 60} min by day and {night // 60} min at night without a {policy.min_rest_s // 60}-min "
                    f"rest from {stretch[0].start:%m-%d %H:%M} ({used / budget:.2f} of the limit)",
                )
            )
    return found


def window_findings(log: Sequence[Interval], window_s: int, limit_s: int, rule: str) -> list[Finding]:
    """The busiest window of ``window_s`` holding new driving, if over ``limit_s``: windows start at
    every drive's start and end at every drive's end (the maximum lies at one of those). Counted in
    whole seconds from the first drive: a week's log has a few hundred candidate windows."""
    drives = [i for i in log if i.activity == "drive"]
    if not any(d.new for d in drives):
        return []
    origin = min(d.start for d in drives)
    spans = [(_seconds(d.start, origin), _seconds(d.end, origin), d.new) for d in drives]
    new = [(a, b) for a, b, is_new in spans if is_new]
    # every window looked at holds new driving, so it lies within a window of the new driving's ends:
    # when all the driving there is within the limit, no window is over it
    around = (min(a for a, _ in new) - window_s, max(b for _, b in new) + window_s)
    if sum(_overlap(a, b, *around) for a, b, _ in spans) <= limit_s:
        return []
    worst: tuple[int, int] | None = None
    for start in sorted({a for a, _, _ in spans} | {b - window_s for _, b, _ in spans}):
        end = start + window_s
        if not any(_overlap(a, b, start, end) for a, b in new):
            continue
        driven = sum(_overlap(a, b, start, end) for a, b, _ in spans)
        if driven > limit_s and (worst is None or driven > worst[0]):
            worst = (driven, start)
    if worst is None:
        return []
    driven, start = worst
    at = origin + timedelta(seconds=start)
    return [Finding(rule, f"{driven / 3600:.2f} h driving from {at:%m-%d %H:%M} (limit {limit_s / 3600:g} h)")]


def _seconds(moment: datetime, origin: datetime) -> int:
    return int((moment - origin).total_seconds())


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def overnight_applies(policy: Policy, distance_m: float | None, commuter: bool) -> bool:
    """Whether the 02:00–05:00 stop binds a drive of a task ``distance_m`` long (None: unknown)."""
    if policy.overnight_rule == "enforce":
        return True
    if policy.overnight_rule == "exempt_short_100km":
        return distance_m is None or distance_m > SHORT_TRIP_M
    return not commuter and (distance_m is None or distance_m > COMMUTER_TRIP_M)


def overnight_findings(log: Sequence[Interval], policy: Policy) -> list[Finding]:
    start, end = policy.overnight_stop_start_sod, policy.overnight_stop_end_sod
    found = []
    for drive in (i for i in log if i.new and i.activity == "drive"):
        inside = daily_overlap_s(drive.start, drive.end, start, end)
        if inside:
            reason = f"drives {inside // 60} min inside the {_hhmm(start)}–{_hhmm(end)} stop from {drive.start:%H:%M}"
            found.append(Finding("overnight", reason))
    return found


def double_bookings(log: Sequence[Interval]) -> list[Finding]:
    """A new piece overlapping duty: a new drive or other duty over any busy interval, a new rest over
    logged duty (world-model §7: every piece that is not a drive may not overlap logged duty). Only
    pairs holding a new piece are looked at, each once, in log order."""
    found = []
    for k, first in enumerate(log):
        for second in log[k + 1 :]:
            if not (first.new or second.new):
                continue
            busy = first.activity in BUSY or second.activity in BUSY
            if busy and overlap_s(first.start, first.end, second.start, second.end):
                found.append(
                    Finding(
                        "double_booked",
                        f"{first.activity} {first.start:%m-%d %H:%M}–{first.end:%H:%M} overlaps "
                        f"{second.activity} {second.start:%m-%d %H:%M}–{second.end:%H:%M}",
                    )
                )
    return found


def time_findings(log: Sequence[Interval], policy: Policy, overnight: bool) -> list[Finding]:
    """Every time rule the log breaks where it holds new intervals."""
    found = double_bookings(log) + continuous_findings(log, policy)
    found += window_findings(log, WINDOW_24H_S, policy.max_driving_24h_s, "24h")
    found += window_findings(log, WINDOW_7D_S, policy.max_driving_7d_s, "7d")
    if overnight:
        found += overnight_findings(log, policy)
    return found


def hours_left_s(log: Sequence[Interval], at: datetime, policy: Policy) -> int:
    """Driving still allowed at ``at`` under the 24-hour and 7-day limits, whichever is tighter."""
    drives = [i for i in log if i.activity == "drive"]
    day = sum(overlap_s(d.start, d.end, at - timedelta(seconds=WINDOW_24H_S), at) for d in drives)
    week = sum(overlap_s(d.start, d.end, at - timedelta(seconds=WINDOW_7D_S), at) for d in drives)
    return max(0, min(policy.max_driving_24h_s - day, policy.max_driving_7d_s - week))


# --------------------------------------------------------------------------- shift and person
def shift_window(driver: DriverRow, moment: datetime) -> tuple[datetime, datetime] | None:
    """The shift ``moment`` falls in: ``[day + shift_start, day + shift_end)`` for its day or the day
    before, the end on the next day when it is not after the start (equal: round the clock)."""
    for day in (moment.date(), moment.date() - timedelta(days=1)):
        opens = at_clock(day, driver.shift_start_sod)
        closes = at_clock(day, driver.shift_end_sod)
        if closes <= opens:
            closes += timedelta(days=1)
        if opens <= moment < closes:
            return opens, closes
    return None


def shift_finding(driver: DriverRow, start: datetime, end: datetime) -> Finding | None:
    """The whole task ``[start, end]`` lies in the shift its start falls in (world-model §7)."""
    window = shift_window(driver, start)
    if window is not None and end <= window[1]:
        return None
    hours = f"{_hhmm(driver.shift_start_sod)}–{_hhmm(driver.shift_end_sod)}"
    task = f"{start:%m-%d %H:%M}–{end:%m-%d %H:%M}"
    return Finding("shift", f"{driver.id}'s shift {hours} does not hold the task {task}")


def _hhmm(sod: int) -> str:
    return f"{sod // 3600:02d}:{sod % 3600 // 60:02d}"


def required_licence(coach: Coach) -> str:
    occupants = coach.seats + 1  # the passenger seats and the driver
    return "A1" if coach.length_m >= A1_MIN_LENGTH_M or occupants >= A1_MIN_OCCUPANTS else "B1"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def anniversary(birth: date, year: int) -> date:
    """The birthday in ``year``; 29 February falls on 28 February in a common year (民法典 Art. 202)."""
    return date(year, birth.month, min(birth.day, calendar.monthrange(year, birth.month)[1]))


def age_on(birth: date, day: date, reached: str = "day_after_birthday") -> int:
    """Completed years (周岁) on ``day``: a year is complete on the birthday itself (``on_birthday``)
    or, as the law counts periods, from the day after it (``day_after_birthday``)."""
    birthday = anniversary(birth, day.year)
    before = day <= birthday if reached == "day_after_birthday" else day < birthday
    return day.year - birth.year - int(before)


def days_of(start: datetime, end: datetime) -> list[date]:
    last = max(start, end - timedelta(seconds=1)).date()
    days, day = [], start.date()
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def personal_findings(driver: DriverRow, coach: Coach, start: datetime, end: datetime, policy: Policy) -> list[Finding]:
    """Licence class, probation, age and qualification on every day of ``[start, end)``."""
    found = []
    needed = required_licence(coach)
    if needed == "A1" and driver.licence_class != "A1":
        found.append(Finding("licence", f"{driver.id} holds {driver.licence_class}; {coach.id} needs A1"))
    probation_ends = add_months(driver.licence_issued, policy.probation_months) + timedelta(days=1)  # 民法典 Art. 201
    seen = set()
    for day in days_of(start, end):
        if day < probation_ends and "probation" not in seen:
            seen.add("probation")
            found.append(Finding("probation", f"{driver.id}'s licence is in probation until {probation_ends}"))
        age = age_on(driver.birth_date, day, policy.driver_age_reached)
        if age > policy.max_driver_age and "age" not in seen:
            seen.add("age")
            found.append(Finding("age", f"{driver.id} is {age} on {day}, above {policy.max_driver_age}"))
        if (driver.qualified_until is None or driver.qualified_until < day) and "qualification" not in seen:
            seen.add("qualification")
            found.append(Finding("qualification", f"{driver.id}'s qualification is not valid on {day}"))
    return found
