"""The wording of violations: every message the rules show to a dispatcher, from a finding's numbers.

The checks find what is broken as numbers (:mod:`fleetplan.rules.personal`,
:mod:`fleetplan.rules.checks`); :func:`violation` words a finding into a
:class:`~fleetplan.rules.values.Violation` with its message and the rule's source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import time, timedelta
from typing import Any

from fleetplan.model import DrivingPolicy, OvernightRule
from fleetplan.rules.checks import (
    COMMUTER_TRIP_M,
    SHORT_TRIP_M,
    ContinuousFinding,
    DoubleBookingFinding,
    OvernightFinding,
    ShortRestFinding,
    WindowFinding,
)
from fleetplan.rules.personal import (
    A1_MIN_LENGTH_M,
    A1_MIN_OCCUPANTS,
    AgeFinding,
    LicenceFinding,
    ProbationFinding,
    QualificationFinding,
)
from fleetplan.rules.timeline import from_stamp
from fleetplan.rules.values import SOURCES, Finding, ProposedDrive, RuleCode, Violation
from fleetplan.units import HOUR, KM, MINUTE, format_hhmm

_WINDOW_LABELS = {RuleCode.DAILY_8H: "24 h", RuleCode.WEEKLY_44H: "7 days"}
_WHAT = {"other": "duty at the scene", "rest": "rest at the scene"}


def format_duration(duration_s: int) -> str:
    """``16200`` → ``"4 h 30 min"``; seconds are shown only when not whole minutes."""
    sign = "-" if duration_s < 0 else ""
    hours, rest = divmod(abs(int(duration_s)), HOUR)
    mins, secs = divmod(rest, MINUTE)
    parts = [f"{hours} h"] * bool(hours) + [f"{mins} min"] * bool(mins)
    if secs or not parts:
        parts.append(f"{secs} s")
    return sign + " ".join(parts)


def violation(finding: Finding) -> Violation:
    """The finding as a :class:`~fleetplan.rules.values.Violation`: code, message and source."""
    return Violation(finding.code, _MESSAGES[type(finding)](finding), SOURCES[finding.code], finding)


def violations(findings: Iterable[Finding]) -> tuple[Violation, ...]:
    """:func:`violation` of each finding, in order."""
    return tuple(violation(finding) for finding in findings)


def _rest_label(policy: DrivingPolicy) -> str:
    return format_duration(policy.min_rest_s).replace(" ", "-")  # "20-min"


def _clock(stamp: int) -> str:
    return f"{from_stamp(stamp):%Y-%m-%d %H:%M}"


def _span(start: time, end: time) -> str:
    return f"{format_hhmm(start)}–{format_hhmm(end)}"


def _km(distance_m: float) -> str:
    return f"{distance_m / KM:g} km"


# --------------------------------------------------------------------------- personal rules
def _licence(finding: LicenceFinding) -> str:
    why = []
    if finding.length_m >= A1_MIN_LENGTH_M:
        why.append(f"{finding.length_m:g} m long (≥{A1_MIN_LENGTH_M:g} m)")
    if finding.occupants >= A1_MIN_OCCUPANTS:
        why.append(f"{finding.occupants} occupants with the driver (≥{A1_MIN_OCCUPANTS})")
    return (
        f"driver {finding.driver_id} holds a {finding.licence_class} licence; coach {finding.plate} is "
        f"{' and '.join(why)} and needs {finding.needed}"
    )


def _probation(finding: ProbationFinding) -> str:
    if finding.before_issue:
        return (
            f"driver {finding.driver_id} has no licence yet on {finding.on}: it is issued on "
            f"{finding.licence_issued}, then in its {finding.probation_months}-month probation until "
            f"{finding.ends - timedelta(days=1)}"
        )
    return (
        f"driver {finding.driver_id}'s licence was issued on {finding.licence_issued}: in its "
        f"{finding.probation_months}-month probation until {finding.ends - timedelta(days=1)}, "
        f"when a commercial coach may not be driven"
    )


def _age(finding: AgeFinding) -> str:
    return (
        f"driver {finding.driver_id} is {finding.age} on {finding.on} (born {finding.birth_date}; over "
        f"{finding.max_age} in full years from {finding.over_from}); passenger-coach drivers may be at most "
        f"{finding.max_age} in full years"
    )


def _qualification(finding: QualificationFinding) -> str:
    if finding.qualified_until is None:
        return f"driver {finding.driver_id} holds no passenger-transport qualification certificate"
    return f"driver {finding.driver_id}'s passenger-transport qualification was valid until {finding.qualified_until}"


# --------------------------------------------------------------------------- time rules
def _double_booking(finding: DoubleBookingFinding) -> str:
    logged = finding.logged
    shown = ", ".join(
        f"{activity} {_clock(start)}–{format_hhmm(from_stamp(end))}" for activity, start, end in logged[:3]
    )
    more = f" and {len(logged) - 3} more" if len(logged) > 3 else ""
    return (
        f"the {_WHAT.get(finding.what, finding.what)} {_clock(finding.start)}–{format_hhmm(from_stamp(finding.end))} "
        f"overlaps the driver's "
        f"logged {shown}{more}"
    )


def _continuous(finding: ContinuousFinding) -> str:
    stretch, policy = finding.stretch, finding.policy
    total, rest = stretch.day_s + stretch.night_s, _rest_label(policy)
    night_span = _span(policy.night_start, policy.night_end)
    if stretch.night_s == 0:
        return (
            f"would drive {format_duration(total)} without a {rest} rest; "
            f"limit {format_duration(policy.day_continuous_max_s)} by day"
        )
    if stretch.day_s == 0:
        return (
            f"would drive {format_duration(total)} at night ({night_span}) without a {rest} rest; "
            f"limit {format_duration(policy.night_continuous_max_s)} at night"
        )
    return (
        f"would drive {format_duration(total)} without a {rest} rest, "
        f"{format_duration(stretch.night_s)} of it at night ({night_span}); limit "
        f"{format_duration(policy.day_continuous_max_s)} by day and "
        f"{format_duration(policy.night_continuous_max_s)} at night, pro rata: "
        f"{format_duration(stretch.day_s)} / {format_duration(policy.day_continuous_max_s)} + "
        f"{format_duration(stretch.night_s)} / {format_duration(policy.night_continuous_max_s)} "
        f"= {finding.ratio:.2f} > 1"
    )


def _short_rest(finding: ShortRestFinding) -> str:
    return (
        f"the {format_duration(finding.gap_s)} break {finding.where} the drive is shorter than the "
        f"{_rest_label(finding.policy)} rest that ends continuous driving"
    )


def _window(finding: WindowFinding) -> str:
    label, a = _WINDOW_LABELS[finding.code], finding.window_start
    return (
        f"would drive {format_duration(finding.driving_s)} in the {label} from {_clock(a)} to "
        f"{_clock(a + finding.window_s)}; limit {format_duration(finding.limit_s)} in any {label}"
    )


def _overnight(finding: OvernightFinding) -> str:
    policy = finding.policy
    return (
        f"the drive {_clock(finding.start)}–{format_hhmm(from_stamp(finding.end))} runs "
        f"{format_duration(finding.stop_s)} into the "
        f"{_span(policy.overnight_stop_start, policy.overnight_stop_end)} stop for coaches; "
        f"{_not_exempt_reason(finding.drive, policy)}"
    )


def _not_exempt_reason(drive: ProposedDrive, policy: DrivingPolicy) -> str:
    distance = "of unknown distance" if drive.distance_m is None else f"of {_km(drive.distance_m)}"
    match policy.overnight_rule:
        case OvernightRule.ENFORCE:
            return "the policy enforces the stop on every trip"
        case OvernightRule.EXEMPT_SHORT_100KM:
            return f"only trips of ≤{_km(SHORT_TRIP_M)} are exempt and this trip is {distance}"
    return (
        f"only commuter charters and trips of ≤{_km(COMMUTER_TRIP_M)} are exempt and this is a "
        f"non-commuter trip {distance}"
    )


_MESSAGES: dict[type, Callable[[Any], str]] = {
    LicenceFinding: _licence,
    ProbationFinding: _probation,
    AgeFinding: _age,
    QualificationFinding: _qualification,
    DoubleBookingFinding: _double_booking,
    ContinuousFinding: _continuous,
    ShortRestFinding: _short_rest,
    WindowFinding: _window,
    OvernightFinding: _overnight,
}
