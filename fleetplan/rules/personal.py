"""The personal rules: licence class, probation, age and qualification, which no waiting fixes.

Each rule broken becomes a finding with its numbers (who, which dates, which limits);
:mod:`fleetplan.rules.wording` words them.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar

from fleetplan.model import AgeReached, Driver, DrivingPolicy, LicenceClass, Vehicle
from fleetplan.rules.timeline import from_stamp
from fleetplan.rules.values import RULE_ORDER, Finding, RuleCode

DRIVERS_CACHE_SIZE = 8192  # (driver, day) pairs: a large fleet's dispatch asks about a thousand drivers

A1_MIN_LENGTH_M = 6.0  # 驾驶证规定 Art. 11: large passenger vehicle from 6 m …
A1_MIN_OCCUPANTS = 20  # … or from 20 occupants, the driver included
DRIVER_SEATS = 1


# --------------------------------------------------------------------------- findings
@dataclass(frozen=True)
class LicenceFinding:
    """The driver's licence does not cover the coach, which ``needed`` a higher class."""

    driver_id: str
    licence_class: LicenceClass
    plate: str
    length_m: float
    occupants: int  # seats plus the driver
    needed: LicenceClass
    code: ClassVar[RuleCode] = RuleCode.LICENCE_CLASS


@dataclass(frozen=True)
class ProbationFinding:
    """The licence issued on ``licence_issued`` is in its probation until the day before ``ends``; on a
    day ``on`` before ``licence_issued`` there is no licence yet at all."""

    driver_id: str
    licence_issued: date
    probation_months: int
    ends: date
    on: date | None = None

    @property
    def before_issue(self) -> bool:
        return self.on is not None and self.on < self.licence_issued

    code: ClassVar[RuleCode] = RuleCode.PROBATION


@dataclass(frozen=True)
class AgeFinding:
    """The driver is ``age`` 周岁 on ``on``, more than ``max_age``: over the limit from ``over_from``."""

    driver_id: str
    age: int
    on: date
    birth_date: date
    max_age: int
    over_from: date
    code: ClassVar[RuleCode] = RuleCode.AGE


@dataclass(frozen=True)
class QualificationFinding:
    """No qualification certificate (``qualified_until`` is ``None``) or one that expired then."""

    driver_id: str
    qualified_until: date | None
    code: ClassVar[RuleCode] = RuleCode.QUALIFICATION


# --------------------------------------------------------------------------- age
def anniversary(birth_date: date, year: int) -> date:
    """The birthday in ``year``; Feb 29 in a common year is Feb 28 (民法典 Art. 202: the month's last day)."""
    return date(year, birth_date.month, min(birth_date.day, calendar.monthrange(year, birth_date.month)[1]))


def reaches_age_on(birth_date: date, years: int, reached: AgeReached) -> date:
    """The first day on which someone born on ``birth_date`` is ``years`` 周岁."""
    birthday = anniversary(birth_date, birth_date.year + years)
    return birthday + timedelta(days=1) if reached == AgeReached.DAY_AFTER_BIRTHDAY else birthday


def age_in_zhousui(birth_date: date, on: date, reached: AgeReached) -> int:
    """Age in 周岁 on ``on``: whole years, the next one reached as ``reached`` says (the legal count,
    :attr:`~fleetplan.model.AgeReached.DAY_AFTER_BIRTHDAY`, reaches it the day after the birthday)."""
    years = on.year - birth_date.year
    return years - int(on < reaches_age_on(birth_date, years, reached))


def age_finding(driver: Driver, on: date, policy: DrivingPolicy) -> AgeFinding | None:
    """The working-age finding on ``on``: more than ``policy.max_driver_age`` 周岁 (道路运输条例 Art. 9)."""
    age = age_in_zhousui(driver.birth_date, on, policy.driver_age_reached)
    if age <= policy.max_driver_age:
        return None
    over_from = reaches_age_on(driver.birth_date, policy.max_driver_age + 1, policy.driver_age_reached)
    return AgeFinding(driver.id, age, on, driver.birth_date, policy.max_driver_age, over_from)


# --------------------------------------------------------------------------- rules
def required_licence(vehicle: Vehicle) -> LicenceClass:
    """A1 for a large passenger vehicle (length ≥6 m or ≥20 occupants incl. the driver), else B1."""
    occupants = vehicle.seats + DRIVER_SEATS
    large = vehicle.length_m >= A1_MIN_LENGTH_M or occupants >= A1_MIN_OCCUPANTS
    return LicenceClass.A1 if large else LicenceClass.B1


_COVERS = {LicenceClass.A1: {LicenceClass.A1, LicenceClass.B1}, LicenceClass.B1: {LicenceClass.B1}}


def licence_finding(driver: Driver, vehicle: Vehicle) -> LicenceFinding | None:
    """The licence-class finding, or ``None`` when the licence covers the coach (驾驶证规定 Art. 11)."""
    needed = required_licence(vehicle)
    if needed in _COVERS[driver.licence_class]:
        return None
    occupants = vehicle.seats + DRIVER_SEATS
    return LicenceFinding(driver.id, driver.licence_class, vehicle.plate, vehicle.length_m, occupants, needed)


def personal_findings(driver: Driver, vehicle: Vehicle, on: date, policy: DrivingPolicy) -> tuple[Finding, ...]:
    """The personal rules the pair breaks on day ``on``, in the order licence, probation, age, qualification.

    ``policy`` supplies ``probation_months`` (licence issued fewer months before ``on``) and
    ``max_driver_age`` with ``driver_age_reached`` (周岁, see :func:`age_in_zhousui`; more than
    ``max_driver_age`` is refused, so 60 is still allowed, up to and including the 61st birthday).
    """
    licence = licence_finding(driver, vehicle)
    return ((licence,) if licence is not None else ()) + driver_findings(driver, on, policy)


# Remembered: a dispatch asks about each driver with every coach it may take, on the first and the last
# day of every drive it checks. The findings are frozen; the driver, the day and the policy are all
# they depend on.
@functools.lru_cache(maxsize=DRIVERS_CACHE_SIZE)
def driver_findings(driver: Driver, on: date, policy: DrivingPolicy) -> tuple[Finding, ...]:
    """The personal rules of the driver alone (whatever the coach) on day ``on``: probation, age,
    qualification, in that order."""
    found: list[Finding] = []
    # counted as the law counts a period of months (民法典 Art. 201), as the ages are: the issue day is
    # not counted and the last month ends on the corresponding day, so a licence of 2025-12-09 is in
    # probation through 2026-12-09 and may drive a coach from 2026-12-10
    probation_ends = _add_months(driver.licence_issued, policy.probation_months) + timedelta(days=1)
    if on < probation_ends:
        found.append(ProbationFinding(driver.id, driver.licence_issued, policy.probation_months, probation_ends, on))
    age = age_finding(driver, on, policy)
    if age is not None:
        found.append(age)
    if driver.qualified_until is None or driver.qualified_until < on:
        found.append(QualificationFinding(driver.id, driver.qualified_until))
    return tuple(found)


def personal_for_drive(
    driver: Driver, vehicle: Vehicle, start: int, end: int, policy: DrivingPolicy, on: date | None
) -> tuple[Finding, ...]:
    """Personal rules on the first and the last day of the drive (age and expiry can change at midnight).

    ``start`` and ``end`` are stamps (:func:`~fleetplan.rules.timeline.to_stamp`); a fixed ``on``
    judges that day only.
    """
    if on is not None:
        return personal_findings(driver, vehicle, on, policy)
    days = sorted({from_stamp(start).date(), from_stamp(max(start, end - 1)).date()})  # a drive may be 0 s
    found: dict[RuleCode, Finding] = {}
    for day in days:
        for finding in personal_findings(driver, vehicle, day, policy):
            found.setdefault(finding.code, finding)
    return tuple(sorted(found.values(), key=lambda f: RULE_ORDER[f.code]))


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
