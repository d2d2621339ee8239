"""Driver legality: may this driver take this coach for this drive, and if not, why and until when.

Rules (DESIGN §2.2; the numbers live in :class:`fleetplan.model.DrivingPolicy`, whose defaults are
the regulations):

- ``continuous_day``: ≤4 h continuous driving by day (规范 Art. 38; 实施条例 Art. 62(7)).
- ``continuous_night``: ≤2 h continuous driving at night, 22:00–06:00 (规范 Art. 38).
- ``rest_too_short``: a break under 20 min does not end continuous driving (规范 Art. 38).
- ``daily_8h``: ≤8 h driving in any 24 h; ``weekly_44h``: ≤44 h in any 7 days (规范 Art. 38).
- ``overnight_stop``: no driving 02:00–05:00 unless the trip is exempt, a policy switch
  (规范 2018; 交运规〔2023〕2号 Art. 32).
- ``double_booked``: the drive overlaps an interval of the driver's duty log.
- ``licence_class``: A1 for a coach ≥6 m long or with ≥20 occupants (驾驶证规定 Art. 11).
- ``probation``: not in the first 12 months of the licence (驾驶证规定 Art. 77).
- ``age``: at most 60 years old (驾驶证规定 Art. 14).
- ``qualification``: a valid passenger-transport qualification certificate (道路运输条例 Art. 9).

(规范 = 道路旅客运输企业安全管理规范 2018; 实施条例 = 道路交通安全法实施条例; 驾驶证规定 =
机动车驾驶证申领和使用规定.)

Conventions chosen here, where the texts leave room (all conservative):

- **Continuous driving** is the driving time since the end of the last *rest* of at least
  ``min_rest_s``. A rest is time the log marks ``rest`` or does not cover at all (off duty);
  consecutive rest intervals and gaps add up. ``other`` duty (loading, paperwork) is work, not a
  rest: it interrupts a rest and does not end continuous driving, but it is not driving either, so
  it does not add to the driving total. Breaks shorter than ``min_rest_s`` do not end it.
- **Night**: a stretch that runs partly at night is judged pro rata, ``day_s / 4 h + night_s / 2 h
  ≤ 1``: pure day driving gets 4 h, pure night driving 2 h, and a mix never more than either share
  allows (the stricter reading of "2 h at night" without letting a day stretch end at 22:00 sharp).
- **Rolling windows**: every 24 h (7 days) window that overlaps the drive, not calendar days.
- **02:00–05:00**: the stop applies to the trip the drive belongs to; relay (接驳) is not modelled.
  A trip whose distance is unknown is not exempt under the distance rules.
- Time is counted in whole seconds on naive China-local datetimes (:mod:`fleetplan.units`).

The helpers :func:`licence_allows`, :func:`personal_eligibility`, :func:`driving_state` and
:func:`violations_at` are cheap (pure Python over sorted intervals); :func:`check_drive` adds the
earliest legal start and the remaining driving, which cost a search.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from fleetplan.errors import InvalidValueError
from fleetplan.model import (
    Activity,
    Driver,
    DrivingPolicy,
    DutyInterval,
    LicenceClass,
    OvernightRule,
    Vehicle,
    require,
)
from fleetplan.units import DAY, HOUR, KM, MINUTE, format_hhmm, seconds_since_midnight

WINDOW_24H_S = DAY
WINDOW_7D_S = 7 * DAY
SEARCH_HORIZON_S = 8 * DAY  # 7-day window + one day of clock: beyond it past driving no longer matters
A1_MIN_LENGTH_M = 6.0  # 驾驶证规定 Art. 11: large passenger vehicle from 6 m …
A1_MIN_OCCUPANTS = 20  # … or from 20 occupants, the driver included
DRIVER_SEATS = 1
SHORT_TRIP_M = 100 * KM  # 2018 exemption from the 02:00–05:00 stop
COMMUTER_TRIP_M = 200 * KM  # 交运规〔2023〕2号 Art. 32 exemption

_EPOCH = datetime(2000, 1, 1)  # a midnight, so that a timestamp modulo DAY is the clock time
_DEFAULT_POLICY = DrivingPolicy()
_BUSY = (Activity.DRIVE, Activity.OTHER)
_ONE_SECOND = timedelta(seconds=1)


class RuleCode(StrEnum):
    """Stable codes of the rules; the dispatcher's rejection reasons are keyed on them."""

    CONTINUOUS_DAY = "continuous_day"
    CONTINUOUS_NIGHT = "continuous_night"
    REST_TOO_SHORT = "rest_too_short"
    DAILY_8H = "daily_8h"
    WEEKLY_44H = "weekly_44h"
    OVERNIGHT_STOP = "overnight_stop"
    DOUBLE_BOOKED = "double_booked"
    LICENCE_CLASS = "licence_class"
    PROBATION = "probation"
    AGE = "age"
    QUALIFICATION = "qualification"


# Personal rules cannot be fixed by waiting; the others are time rules.
PERSONAL_RULES = frozenset({RuleCode.LICENCE_CLASS, RuleCode.PROBATION, RuleCode.AGE, RuleCode.QUALIFICATION})
TIME_RULES = frozenset(RuleCode) - PERSONAL_RULES

_ART38 = "道路旅客运输企业安全管理规范 (2018) Art. 38"
SOURCES: dict[RuleCode, str] = {
    RuleCode.CONTINUOUS_DAY: f"{_ART38}; 道路交通安全法实施条例 Art. 62(7)",
    RuleCode.CONTINUOUS_NIGHT: _ART38,
    RuleCode.REST_TOO_SHORT: f"{_ART38}; 道路交通安全法实施条例 Art. 62(7)",
    RuleCode.DAILY_8H: _ART38,
    RuleCode.WEEKLY_44H: _ART38,
    RuleCode.OVERNIGHT_STOP: "道路旅客运输企业安全管理规范 (2018); 交运规〔2023〕2号 Art. 32",
    RuleCode.DOUBLE_BOOKED: "duty log",
    RuleCode.LICENCE_CLASS: "机动车驾驶证申领和使用规定 Art. 11",
    RuleCode.PROBATION: "机动车驾驶证申领和使用规定 Art. 77",
    RuleCode.AGE: "机动车驾驶证申领和使用规定 Art. 14",
    RuleCode.QUALIFICATION: "道路运输条例 Art. 9",
}
_ORDER = {code: index for index, code in enumerate(RuleCode)}


# --------------------------------------------------------------------------- public value types
@dataclass(frozen=True)
class Violation:
    """One broken rule: a stable ``code``, a message for the dispatcher and the rule's source."""

    code: RuleCode
    message: str
    source: str = ""

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProposedDrive:
    """A drive a driver might take: from ``start`` for ``duration_s`` seconds.

    ``distance_m`` and ``commuter`` describe the passenger trip the drive belongs to and only
    matter for the 02:00–05:00 exemptions (``None``: distance unknown, never exempt by distance).
    The night share is not passed in: it follows from the clock (22:00–06:00 by default, the
    policy's ``night_start``/``night_end`` in :func:`check_drive`), see :attr:`night_s`.
    """

    start: datetime
    duration_s: int
    distance_m: float | None = None
    commuter: bool = False

    def __post_init__(self) -> None:
        require(self.start.tzinfo is None, "start", "must be a naive China-local datetime")
        require(int(self.duration_s) == self.duration_s and self.duration_s > 0, "duration_s",
                f"{self.duration_s} must be a positive whole number of seconds")
        object.__setattr__(self, "duration_s", int(self.duration_s))
        require(self.distance_m is None or self.distance_m >= 0, "distance_m", f"{self.distance_m} is negative")

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)

    @property
    def night_s(self) -> int:
        """Seconds of the drive inside the regulation's night, 22:00–06:00."""
        return night_seconds(self.start, self.end)

    @property
    def night_share(self) -> float:
        """Share of the drive at night (22:00–06:00), 0–1."""
        return self.night_s / self.duration_s

    def starting(self, start: datetime) -> ProposedDrive:
        """The same drive started at ``start``."""
        return replace(self, start=start)


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


@dataclass(frozen=True)
class DriveVerdict:
    """Whether a proposed drive is legal, why not, and what would be.

    ``earliest_legal_start`` is the smallest start at or after the proposed one at which the same
    drive is legal (the proposed start itself when legal); ``None`` when waiting cannot fix it
    (licence, probation, age, qualification) or nothing is legal within :data:`SEARCH_HORIZON_S`.
    ``remaining_*_s`` are, rule by rule, the longest drive from the proposed start that the rule
    allows given the log (clock-aware: less at night), whatever the proposed duration.
    """

    legal: bool
    violations: tuple[Violation, ...]
    earliest_legal_start: datetime | None
    remaining_continuous_s: int
    remaining_24h_s: int
    remaining_7d_s: int

    @property
    def codes(self) -> frozenset[RuleCode]:
        return frozenset(v.code for v in self.violations)

    def explain(self) -> str:
        """All reasons in one line, or ``"legal"``."""
        return "; ".join(v.message for v in self.violations) or "legal"


# --------------------------------------------------------------------------- formatting
def format_duration(duration_s: int) -> str:
    """``16200`` → ``"4 h 30 min"``; seconds are shown only when not whole minutes."""
    sign = "-" if duration_s < 0 else ""
    hours, rest = divmod(abs(int(duration_s)), HOUR)
    mins, secs = divmod(rest, MINUTE)
    parts = [f"{hours} h"] * bool(hours) + [f"{mins} min"] * bool(mins)
    if secs or not parts:
        parts.append(f"{secs} s")
    return sign + " ".join(parts)


def _rest_label(policy: DrivingPolicy) -> str:
    return format_duration(policy.min_rest_s).replace(" ", "-")  # "20-min"


def _clock(stamp: int) -> str:
    return f"{_datetime(stamp):%Y-%m-%d %H:%M}"


def _span(start: time, end: time) -> str:
    return f"{format_hhmm(start)}–{format_hhmm(end)}"


def _km(distance_m: float) -> str:
    return f"{distance_m / KM:g} km"


# --------------------------------------------------------------------------- clock arithmetic
def _stamp(moment: datetime) -> int:
    """Whole seconds since :data:`_EPOCH`; the clock time is ``stamp % DAY``."""
    if moment.tzinfo is not None:
        raise InvalidValueError("datetime", f"{moment} must be naive China-local time")
    return (moment - _EPOCH) // _ONE_SECOND


def _datetime(stamp: int) -> datetime:
    return _EPOCH + timedelta(seconds=stamp)


def _daily_overlap_s(start: int, end: int, from_sod: int, to_sod: int) -> int:
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


def _daily_marks(start: int, end: int, sods: Iterable[int]) -> Iterator[int]:
    """Every ``day + sod`` in ``[start, end]``."""
    sods = tuple(sods)
    day = (start // DAY) * DAY
    while day <= end:
        for sod in sods:
            if start <= day + sod <= end:
                yield day + sod
        day += DAY


def night_seconds(start: datetime, end: datetime, policy: DrivingPolicy = _DEFAULT_POLICY) -> int:
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
    return _daily_overlap_s(_stamp(start), _stamp(end), seconds_since_midnight(policy.night_start),
                            seconds_since_midnight(policy.night_end))


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------- personal rules
def required_licence(vehicle: Vehicle) -> LicenceClass:
    """A1 for a large passenger vehicle (length ≥6 m or ≥20 occupants incl. the driver), else B1."""
    occupants = vehicle.seats + DRIVER_SEATS
    large = vehicle.length_m >= A1_MIN_LENGTH_M or occupants >= A1_MIN_OCCUPANTS
    return LicenceClass.A1 if large else LicenceClass.B1


_COVERS = {LicenceClass.A1: {LicenceClass.A1, LicenceClass.B1}, LicenceClass.B1: {LicenceClass.B1}}


def licence_allows(driver: Driver, vehicle: Vehicle) -> Violation | None:
    """Check the driver's licence class against the coach (驾驶证规定 Art. 11).

    Parameters
    ----------
    driver, vehicle
        The candidate pair; occupants are ``vehicle.seats`` plus the driver.

    Returns
    -------
    Violation or None
        A ``licence_class`` violation, or ``None`` when the licence covers the coach.
    """
    needed = required_licence(vehicle)
    if needed in _COVERS[driver.licence_class]:
        return None
    occupants = vehicle.seats + DRIVER_SEATS
    why = []
    if vehicle.length_m >= A1_MIN_LENGTH_M:
        why.append(f"{vehicle.length_m:g} m long (≥{A1_MIN_LENGTH_M:g} m)")
    if occupants >= A1_MIN_OCCUPANTS:
        why.append(f"{occupants} occupants with the driver (≥{A1_MIN_OCCUPANTS})")
    return Violation(RuleCode.LICENCE_CLASS,
                     f"driver {driver.id} holds a {driver.licence_class} licence; coach {vehicle.plate} is "
                     f"{' and '.join(why)} and needs {needed}",
                     SOURCES[RuleCode.LICENCE_CLASS])


def personal_eligibility(driver: Driver, vehicle: Vehicle, on: date,
                         policy: DrivingPolicy = _DEFAULT_POLICY) -> tuple[Violation, ...]:
    """Rules on the person, which no waiting within a dispatch fixes.

    Parameters
    ----------
    driver, vehicle
        The candidate pair.
    on
        The day of the drive.
    policy
        ``probation_months`` (licence issued fewer months before ``on``) and ``max_driver_age``
        (completed years; ``age > max_driver_age`` is refused, so 60 is still allowed).

    Returns
    -------
    tuple of Violation
        In the order licence class, probation, age, qualification (missing or expired); empty when
        the driver may take the coach on ``on``.
    """
    found = []
    licence = licence_allows(driver, vehicle)
    if licence is not None:
        found.append(licence)
    probation_ends = _add_months(driver.licence_issued, policy.probation_months)
    if on < probation_ends:
        found.append(Violation(
            RuleCode.PROBATION,
            f"driver {driver.id}'s licence was issued on {driver.licence_issued}: in its "
            f"{policy.probation_months}-month probation until {probation_ends - timedelta(days=1)}, "
            f"when a commercial coach may not be driven",
            SOURCES[RuleCode.PROBATION]))
    age = driver.age_years(on)
    if age > policy.max_driver_age:
        found.append(Violation(
            RuleCode.AGE,
            f"driver {driver.id} is {age} on {on} (born {driver.birth_date}); coach drivers may be at most "
            f"{policy.max_driver_age}",
            SOURCES[RuleCode.AGE]))
    if driver.qualified_until is None:
        found.append(Violation(RuleCode.QUALIFICATION,
                               f"driver {driver.id} holds no passenger-transport qualification certificate",
                               SOURCES[RuleCode.QUALIFICATION]))
    elif driver.qualified_until < on:
        found.append(Violation(RuleCode.QUALIFICATION,
                               f"driver {driver.id}'s passenger-transport qualification expired on "
                               f"{driver.qualified_until}",
                               SOURCES[RuleCode.QUALIFICATION]))
    return tuple(found)


def _personal_for_drive(driver: Driver, vehicle: Vehicle, start: int, end: int, policy: DrivingPolicy,
                        on: date | None) -> tuple[Violation, ...]:
    """Personal rules on the first and the last day of the drive (age and expiry can change at midnight)."""
    if on is not None:
        return personal_eligibility(driver, vehicle, on, policy)
    days = sorted({_datetime(start).date(), _datetime(end - 1).date()})
    found: dict[RuleCode, Violation] = {}
    for day in days:
        for violation in personal_eligibility(driver, vehicle, day, policy):
            found.setdefault(violation.code, violation)
    return tuple(sorted(found.values(), key=lambda v: _ORDER[v.code]))


# --------------------------------------------------------------------------- 02:00–05:00
def overnight_exempt(drive: ProposedDrive, policy: DrivingPolicy = _DEFAULT_POLICY) -> bool:
    """Whether the drive's trip is exempt from the 02:00–05:00 stop under ``policy.overnight_rule``.

    ``ENFORCE``: never. ``EXEMPT_SHORT_100KM``: trips of known distance ≤100 km.
    ``EXEMPT_COMMUTER_200KM``: commuter charters, and trips of known distance ≤200 km.
    """
    known = drive.distance_m is not None
    match policy.overnight_rule:
        case OvernightRule.ENFORCE:
            return False
        case OvernightRule.EXEMPT_SHORT_100KM:
            return known and drive.distance_m <= SHORT_TRIP_M
        case OvernightRule.EXEMPT_COMMUTER_200KM:
            return drive.commuter or (known and drive.distance_m <= COMMUTER_TRIP_M)
    raise InvalidValueError("overnight_rule", f"unknown rule {policy.overnight_rule!r}")


def _not_exempt_reason(drive: ProposedDrive, policy: DrivingPolicy) -> str:
    distance = "of unknown distance" if drive.distance_m is None else f"of {_km(drive.distance_m)}"
    match policy.overnight_rule:
        case OvernightRule.ENFORCE:
            return "the policy enforces the stop on every trip"
        case OvernightRule.EXEMPT_SHORT_100KM:
            return f"only trips of ≤{_km(SHORT_TRIP_M)} are exempt and this trip is {distance}"
    return (f"only commuter charters and trips of ≤{_km(COMMUTER_TRIP_M)} are exempt and this is a "
            f"non-commuter trip {distance}")


# --------------------------------------------------------------------------- the duty log
def _normalised_log(duty_log: Iterable[DutyInterval], driver_id: str | None) -> list[DutyInterval]:
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
class _Stretch:
    """The continuous-driving stretch that would contain a drive."""

    day_s: int
    night_s: int
    excess: int  # day_s·night_max + night_s·day_max − day_max·night_max; > 0 breaks the rule
    gap_before_s: int | None  # break between the previous duty and the drive
    gap_after_s: int | None  # break between the drive and the next duty


class _Timeline:
    """A driver's log as sorted integer timestamps with the prefix sums the rules need."""

    def __init__(self, log: Sequence[DutyInterval], policy: DrivingPolicy) -> None:
        self.policy = policy
        self.min_rest_s = policy.min_rest_s
        self.night_sod = (seconds_since_midnight(policy.night_start), seconds_since_midnight(policy.night_end))
        self.stop_sod = (seconds_since_midnight(policy.overnight_stop_start),
                         seconds_since_midnight(policy.overnight_stop_end))
        self.weight_day = policy.night_continuous_max_s  # day seconds weigh night_max …
        self.weight_night = policy.day_continuous_max_s  # … night seconds day_max: pro rata in integers
        self.budget = policy.day_continuous_max_s * policy.night_continuous_max_s
        self.log = tuple(log)
        self.starts = [_stamp(i.start) for i in log]
        self.ends = [_stamp(i.end) for i in log]
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
        return _daily_overlap_s(start, end, *self.night_sod)

    def stop_s(self, start: int, end: int) -> int:
        return _daily_overlap_s(start, end, *self.stop_sod)

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

    def stretch(self, start: int, end: int) -> _Stretch:
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
        return _Stretch(
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
            for k in range(bisect_left(self.drive_ends, low_a + window_s),
                           bisect_right(self.drive_ends, high_a + window_s))
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
                rested_since = _datetime(self.busy_ends[k])
        return DrivingState(
            continuous_s=continuous,
            driven_24h_s=self.driven_between(moment - WINDOW_24H_S, moment),
            driven_7d_s=self.driven_between(moment - WINDOW_7D_S, moment),
            rested_since=rested_since,
            continuous_night_s=night,
        )


def driving_state(duty_log: Iterable[DutyInterval], at: datetime,
                  policy: DrivingPolicy = _DEFAULT_POLICY) -> DrivingState:
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
    return _Timeline(_normalised_log(duty_log, None), policy).state_at(_stamp(at))


# --------------------------------------------------------------------------- time rules at one start
@dataclass(frozen=True)
class _Check:
    """Everything about one check that does not depend on the start time."""

    timeline: _Timeline
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

        Between two consecutive :meth:`breakpoints` every amount is linear in ``start``.
        """
        end = start + self.duration_s
        timeline, policy = self.timeline, self.policy
        found = {("overlap",): timeline.overlap_s(start, end),
                 ("continuous",): timeline.stretch(start, end).excess}
        if self.overnight_applies:
            found[("overnight",)] = timeline.stop_s(start, end)
        for tag, window_s, limit_s in (("24h", WINDOW_24H_S, policy.max_driving_24h_s),
                                       ("7d", WINDOW_7D_S, policy.max_driving_7d_s)):
            for key, _, driving in timeline.windows(start, end, window_s):
                found[(tag, *key)] = driving - limit_s
        return found

    def legal_at(self, start: int) -> bool:
        return all(amount <= 0 for amount in self.amounts(start).values())

    def violations(self, start: int) -> list[Violation]:
        end = start + self.duration_s
        found = self._double_booking(start, end) + self._continuous(start, end)
        found += self._windows(start, end)
        found += self._overnight(start, end)
        return found

    # ------------------------------------------------------------------ messages
    def _double_booking(self, start: int, end: int) -> list[Violation]:
        timeline = self.timeline
        hits = timeline.overlapping(start, end)
        if not hits:
            return []
        shown = ", ".join(f"{timeline.log[k].activity} {_clock(timeline.starts[k])}–"
                          f"{format_hhmm(_datetime(timeline.ends[k]))}" for k in hits[:3])
        more = f" and {len(hits) - 3} more" if len(hits) > 3 else ""
        message = (f"the drive {_clock(start)}–{format_hhmm(_datetime(end))} overlaps the driver's logged "
                   f"{shown}{more}")
        return [Violation(RuleCode.DOUBLE_BOOKED, message, SOURCES[RuleCode.DOUBLE_BOOKED])]

    def _continuous(self, start: int, end: int) -> list[Violation]:
        stretch, policy = self.timeline.stretch(start, end), self.policy
        if stretch.excess <= 0:
            return []
        total, rest = stretch.day_s + stretch.night_s, _rest_label(policy)
        night_span = _span(policy.night_start, policy.night_end)
        if stretch.night_s == 0:
            code = RuleCode.CONTINUOUS_DAY
            message = (f"would drive {format_duration(total)} without a {rest} rest; "
                       f"limit {format_duration(policy.day_continuous_max_s)} by day")
        elif stretch.day_s == 0:
            code = RuleCode.CONTINUOUS_NIGHT
            message = (f"would drive {format_duration(total)} at night ({night_span}) without a {rest} rest; "
                       f"limit {format_duration(policy.night_continuous_max_s)} at night")
        else:
            code = RuleCode.CONTINUOUS_NIGHT
            ratio = (stretch.excess + self.timeline.budget) / self.timeline.budget
            message = (f"would drive {format_duration(total)} without a {rest} rest, "
                       f"{format_duration(stretch.night_s)} of it at night ({night_span}); limit "
                       f"{format_duration(policy.day_continuous_max_s)} by day and "
                       f"{format_duration(policy.night_continuous_max_s)} at night, pro rata: "
                       f"{format_duration(stretch.day_s)} / {format_duration(policy.day_continuous_max_s)} + "
                       f"{format_duration(stretch.night_s)} / {format_duration(policy.night_continuous_max_s)} "
                       f"= {ratio:.2f} > 1")
        found = [Violation(code, message, SOURCES[code])]
        gaps = ((stretch.gap_before_s, "before"), (stretch.gap_after_s, "after"))
        short = [(gap, where) for gap, where in gaps if gap is not None and 0 < gap < policy.min_rest_s]
        for gap, where in short:
            found.append(Violation(
                RuleCode.REST_TOO_SHORT,
                f"the {format_duration(gap)} break {where} the drive is shorter than the {rest} rest that "
                f"ends continuous driving",
                SOURCES[RuleCode.REST_TOO_SHORT]))
        return found

    def _windows(self, start: int, end: int) -> list[Violation]:
        found = []
        for code, window_s, limit_s, label in (
                (RuleCode.DAILY_8H, WINDOW_24H_S, self.policy.max_driving_24h_s, "24 h"),
                (RuleCode.WEEKLY_44H, WINDOW_7D_S, self.policy.max_driving_7d_s, "7 days")):
            driving, a = self.timeline.busiest_window(start, end, window_s)
            if driving > limit_s:
                found.append(Violation(
                    code,
                    f"would drive {format_duration(driving)} in the {label} from {_clock(a)} to "
                    f"{_clock(a + window_s)}; limit {format_duration(limit_s)} in any {label}",
                    SOURCES[code]))
        return found

    def _overnight(self, start: int, end: int) -> list[Violation]:
        if not self.overnight_applies or self.timeline.stop_s(start, end) == 0:
            return []
        policy = self.policy
        return [Violation(
            RuleCode.OVERNIGHT_STOP,
            f"the drive {_clock(start)}–{format_hhmm(_datetime(end))} runs "
            f"{format_duration(self.timeline.stop_s(start, end))} into the "
            f"{_span(policy.overnight_stop_start, policy.overnight_stop_end)} stop for coaches; "
            f"{_not_exempt_reason(self.drive, policy)}",
            SOURCES[RuleCode.OVERNIGHT_STOP])]

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
                marks.update((moment + window_s, moment - window_s,
                              moment + window_s - d, moment - window_s - d))
        sods = list(timeline.night_sod)
        if self.overnight_applies:
            sods += timeline.stop_sod
        if midnights:  # personal rules are judged on the first and last day of the drive
            sods.append(0)
            marks.update(m - d + 1 for m in _daily_marks(low, high + d, [0]))
        for mark in _daily_marks(low, high + d, sods):
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


# --------------------------------------------------------------------------- earliest legal start
def _first_legal_in(check: _Check, low: int, high: int) -> int | None:
    """The first legal start in ``[low, high]``, where every amount is linear (no breakpoint inside).

    Each constraint ``amount(low) + slope·(t − low) ≤ 0`` is a half-line in ``t``; their intersection
    is an interval whose left end is the answer.
    """
    if low > high:
        return None
    first = check.amounts(low)
    if all(amount <= 0 for amount in first.values()):
        return low
    if low == high:
        return None
    second = check.amounts(low + 1)
    if first.keys() != second.keys():  # cannot happen with complete breakpoints; stay safe
        return None
    left, right = low, high
    for key, amount in first.items():
        slope = second[key] - amount
        if slope > 0:
            right = min(right, low + (-amount) // slope)
        elif slope < 0:
            left = max(left, low - (-amount // -slope))  # low + ceil(amount / −slope)
        elif amount > 0:
            return None
    if left <= right and check.legal_at(left):
        return left
    return None


def _earliest_legal_start(check: _Check, start: int, personal_ok: Callable[[int], bool] | None,
                          horizon_s: int) -> int | None:
    policy, d = check.policy, check.duration_s
    if d > min(policy.day_continuous_max_s, policy.max_driving_24h_s, policy.max_driving_7d_s):
        return None  # too long for any start
    last = start + horizon_s
    marks = check.breakpoints(start, last, midnights=personal_ok is not None)
    moment = start
    while moment <= last:
        if personal_ok is not None and not personal_ok(moment):
            return None  # age and qualification only get worse with time, probation was over at the start
        if check.legal_at(moment):
            return moment
        skip = check.skip_to(moment)
        if skip > moment:
            moment = skip
            continue
        following = bisect_right(marks, moment)
        next_mark = marks[following] if following < len(marks) else last + 1
        found = _first_legal_in(check, moment + 1, min(next_mark, last + 1) - 1)
        if found is not None:
            return found
        moment = next_mark
    return None


def _longest_allowed(allowed: Callable[[int], bool], upper_s: int) -> int:
    """The largest duration in ``[0, upper_s]`` that ``allowed`` accepts (monotone: longer is worse)."""
    if allowed(upper_s):
        return upper_s
    low, high = 0, upper_s
    while high - low > 1:
        middle = (low + high) // 2
        if allowed(middle):
            low = middle
        else:
            high = middle
    return low


# --------------------------------------------------------------------------- public checks
def _prepare(driver: Driver, duty_log: Iterable[DutyInterval], drive: ProposedDrive,
             policy: DrivingPolicy) -> _Check:
    timeline = _Timeline(_normalised_log(duty_log, driver.id), policy)
    return _Check(timeline, drive, overnight_applies=not overnight_exempt(drive, policy))


def violations_at(driver: Driver, duty_log: Iterable[DutyInterval], drive: ProposedDrive, vehicle: Vehicle,
                  policy: DrivingPolicy = _DEFAULT_POLICY, *, on: date | None = None) -> tuple[Violation, ...]:
    """Every rule the drive breaks, without the search of :func:`check_drive` (cheap).

    Parameters are those of :func:`check_drive`. Returns the violations, empty when legal.
    """
    check = _prepare(driver, duty_log, drive, policy)
    start = _stamp(drive.start)
    personal = _personal_for_drive(driver, vehicle, start, start + drive.duration_s, policy, on)
    return personal + tuple(check.violations(start))


def check_drive(driver: Driver, duty_log: Iterable[DutyInterval], drive: ProposedDrive, vehicle: Vehicle,
                policy: DrivingPolicy = _DEFAULT_POLICY, *, on: date | None = None,
                horizon_s: int = SEARCH_HORIZON_S) -> DriveVerdict:
    """Is the drive legal for this driver in this coach; if not, why and from when.

    Parameters
    ----------
    driver
        The candidate driver.
    duty_log
        The driver's duty intervals (past and already planned), in any order. Entries of another
        driver raise :class:`~fleetplan.errors.InvalidValueError`.
    drive
        The proposed drive; its night share follows from the clock.
    vehicle
        The coach, for the licence class.
    policy
        Limits and the 02:00–05:00 switch; defaults are the regulations.
    on
        Day for the personal rules; by default the first and the last day of the drive.
    horizon_s
        How far after the proposed start to look for a legal start.

    Returns
    -------
    DriveVerdict
        Legality, violations (personal rules first), the earliest legal start and the remaining
        continuous, 24-h and 7-day driving at the proposed start.
    """
    check = _prepare(driver, duty_log, drive, policy)
    start, d = _stamp(drive.start), drive.duration_s
    personal = _personal_for_drive(driver, vehicle, start, start + d, policy, on)
    violations = personal + tuple(check.violations(start))
    if not violations:
        earliest: datetime | None = drive.start
    elif personal:
        earliest = None
    else:
        def personal_ok(moment: int) -> bool:
            return not _personal_for_drive(driver, vehicle, moment, moment + d, policy, None)

        # With a fixed ``on`` the personal rules cannot change while waiting.
        found = _earliest_legal_start(check, start, None if on is not None else personal_ok, horizon_s)
        earliest = None if found is None else _datetime(found)
    timeline = check.timeline
    return DriveVerdict(
        legal=not violations,
        violations=violations,
        earliest_legal_start=earliest,
        remaining_continuous_s=_longest_allowed(
            lambda x: timeline.stretch(start, start + x).excess <= 0, policy.day_continuous_max_s),
        remaining_24h_s=_longest_allowed(
            lambda x: timeline.busiest_window(start, start + x, WINDOW_24H_S)[0] <= policy.max_driving_24h_s,
            policy.max_driving_24h_s),
        remaining_7d_s=_longest_allowed(
            lambda x: timeline.busiest_window(start, start + x, WINDOW_7D_S)[0] <= policy.max_driving_7d_s,
            policy.max_driving_7d_s),
    )
