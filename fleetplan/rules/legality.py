"""The public checks: the rules' findings, worded into violations, and the earliest legal start.

These are the only functions of the package that both judge and word: the judging lives in
:mod:`~fleetplan.rules.personal`, :mod:`~fleetplan.rules.checks` and :mod:`~fleetplan.rules.search`,
the words in :mod:`~fleetplan.rules.wording`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from fleetplan.model import Driver, DrivingPolicy, DutyInterval, Vehicle
from fleetplan.rules.checks import prepare_check
from fleetplan.rules.duty import ProposedTask, task_findings
from fleetplan.rules.personal import (
    licence_finding,
    personal_findings,
    personal_for_drive,
)
from fleetplan.rules.search import (
    SEARCH_HORIZON_S,
    earliest_legal_start,
    longest_allowed,
)
from fleetplan.rules.timeline import (
    DEFAULT_POLICY,
    WINDOW_7D_S,
    WINDOW_24H_S,
    from_stamp,
    to_stamp,
)
from fleetplan.rules.values import DriveVerdict, ProposedDrive, Violation
from fleetplan.rules.wording import violation, violations


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
    finding = licence_finding(driver, vehicle)
    return None if finding is None else violation(finding)


def personal_eligibility(
    driver: Driver, vehicle: Vehicle, on: date, policy: DrivingPolicy = DEFAULT_POLICY
) -> tuple[Violation, ...]:
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
    return violations(personal_findings(driver, vehicle, on, policy))


def violations_at(
    driver: Driver,
    duty_log: Iterable[DutyInterval],
    drive: ProposedDrive,
    vehicle: Vehicle,
    policy: DrivingPolicy = DEFAULT_POLICY,
    *,
    on: date | None = None,
) -> tuple[Violation, ...]:
    """Every rule the drive breaks, without the search of :func:`check_drive` (cheap).

    Parameters are those of :func:`check_drive`. Returns the violations, empty when legal.
    """
    check = prepare_check(driver, duty_log, drive, policy)
    start = to_stamp(drive.start)
    personal = personal_for_drive(driver, vehicle, start, start + drive.duration_s, policy, on)
    return violations(personal) + violations(check.findings(start))


def task_violations(
    driver: Driver,
    duty_log: Iterable[DutyInterval],
    task: ProposedTask,
    vehicle: Vehicle,
    policy: DrivingPolicy = DEFAULT_POLICY,
) -> tuple[Violation, ...]:
    """Every rule a task of several pieces breaks (a rescue: drive, duty at the scene, rest, drive).

    Parameters
    ----------
    driver, vehicle
        The candidate pair.
    duty_log
        The driver's duty intervals, in any order (entries of another driver raise).
    task
        The pieces, in order; drives of no length break nothing.
    policy
        Limits and switches; defaults are the regulations.

    Returns
    -------
    tuple of Violation
        Personal rules first, then each piece's time rules in order; empty when the task is legal.
    """
    return violations(task_findings(driver, duty_log, task, vehicle, policy))


def cover_violations(
    driver: Driver,
    duty_log: Iterable[DutyInterval],
    cover: ProposedTask,
    vehicle: Vehicle,
    policy: DrivingPolicy = DEFAULT_POLICY,
) -> tuple[Violation, ...]:
    """Every rule a trip cover (:func:`~fleetplan.rules.duty.cover_task`) breaks: as one drive when it
    is one (the cheaper check, as a timetabled cover always was), else piece by piece."""
    if len(cover.pieces) == 1:
        (drive,) = cover.pieces
        return violations_at(
            driver, duty_log, ProposedDrive(drive.start, drive.duration_s, cover.distance_m), vehicle, policy
        )
    return task_violations(driver, duty_log, cover, vehicle, policy)


def check_drive(
    driver: Driver,
    duty_log: Iterable[DutyInterval],
    drive: ProposedDrive,
    vehicle: Vehicle,
    policy: DrivingPolicy = DEFAULT_POLICY,
    *,
    on: date | None = None,
    horizon_s: int = SEARCH_HORIZON_S,
) -> DriveVerdict:
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
    check = prepare_check(driver, duty_log, drive, policy)
    start, d = to_stamp(drive.start), drive.duration_s
    personal = personal_for_drive(driver, vehicle, start, start + d, policy, on)
    found = violations(personal) + violations(check.findings(start))
    if not found:
        earliest: datetime | None = drive.start
    elif personal:
        earliest = None
    else:

        def personal_ok(moment: int) -> bool:
            return not personal_for_drive(driver, vehicle, moment, moment + d, policy, None)

        # With a fixed ``on`` the personal rules cannot change while waiting.
        legal_start = earliest_legal_start(check, start, None if on is not None else personal_ok, horizon_s)
        earliest = None if legal_start is None else from_stamp(legal_start)
    timeline = check.timeline
    headroom = {
        "continuous": (lambda x: timeline.stretch(start, start + x).excess <= 0, policy.day_continuous_max_s),
        "24h": (
            lambda x: timeline.busiest_window(start, start + x, WINDOW_24H_S)[0] <= policy.max_driving_24h_s,
            policy.max_driving_24h_s,
        ),
        "7d": (
            lambda x: timeline.busiest_window(start, start + x, WINDOW_7D_S)[0] <= policy.max_driving_7d_s,
            policy.max_driving_7d_s,
        ),
    }
    return DriveVerdict(
        legal=not found,
        violations=found,
        earliest_legal_start=earliest,
        headroom=lambda rule: longest_allowed(*headroom[rule]),
    )
