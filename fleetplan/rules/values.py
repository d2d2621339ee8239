"""The rules' vocabulary: stable rule codes and their sources, and the values a check takes and gives.

A check first finds what is broken as numbers (a *finding*: a ``code`` and the figures, see
:class:`Finding`); :mod:`fleetplan.rules.wording` words each finding into a :class:`Violation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

from fleetplan.errors import InvalidValueError
from fleetplan.model import require
from fleetplan.rules.timeline import night_seconds


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
    RuleCode.AGE: "道路运输条例 Art. 9(2); 道路运输从业人员管理规定 Art. 9(2)",
    RuleCode.QUALIFICATION: "道路运输条例 Art. 9",
}
RULE_ORDER = {code: index for index, code in enumerate(RuleCode)}


class Finding(Protocol):
    """A broken rule as numbers, before it is worded: each finding class has its ``code``."""

    @property
    def code(self) -> RuleCode: ...


# --------------------------------------------------------------------------- public value types
@dataclass(frozen=True)
class Violation:
    """One broken rule: a stable ``code``, a message for the dispatcher and the rule's source; the
    ``finding`` it was worded from, to word it in another language (:mod:`fleetplan.wording`)."""

    code: RuleCode
    message: str
    source: str = ""
    finding: Any = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ProposedDrive:
    """A drive a driver might take: from ``start`` for ``duration_s`` seconds.

    ``distance_m`` and ``commuter`` describe the passenger trip the drive belongs to and only
    matter for the 02:00–05:00 exemptions (``None``: distance unknown, never exempt by distance).
    The night share is not passed in: it follows from the clock (22:00–06:00 by default, the
    policy's ``night_start``/``night_end`` in :func:`~fleetplan.rules.check_drive`), see :attr:`night_s`.
    """

    start: datetime
    duration_s: int
    distance_m: float | None = None
    commuter: bool = False

    def __post_init__(self) -> None:
        require(self.start.tzinfo is None, "start", "must be a naive China-local datetime")
        # 0 s is a drive too: a rescue from the node where the scene is drives nowhere
        if int(self.duration_s) != self.duration_s or self.duration_s < 0:  # the message only when it fails
            raise InvalidValueError("duration_s", f"{self.duration_s} must be a whole number of seconds, not negative")
        object.__setattr__(self, "duration_s", int(self.duration_s))
        if self.distance_m is not None and self.distance_m < 0:
            raise InvalidValueError("distance_m", f"{self.distance_m} is negative")

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)

    @property
    def night_s(self) -> int:
        """Seconds of the drive inside the regulation's night, 22:00–06:00."""
        return night_seconds(self.start, self.end)

    @property
    def night_share(self) -> float:
        """Share of the drive at night (22:00–06:00), 0–1 (0 for a drive of no length)."""
        return self.night_s / self.duration_s if self.duration_s else 0.0

    def starting(self, start: datetime) -> ProposedDrive:
        """The same drive started at ``start``."""
        return replace(self, start=start)


@dataclass(frozen=True)
class DriveVerdict:
    """Whether a proposed drive is legal, why not, and what would be.

    ``earliest_legal_start`` is the smallest start at or after the proposed one at which the same
    drive is legal (the proposed start itself when legal); ``None`` when waiting cannot fix it
    (licence, probation, age, qualification) or nothing is legal within
    :data:`~fleetplan.rules.search.SEARCH_HORIZON_S`.
    ``remaining_*_s`` are, rule by rule, the longest drive from the proposed start that the rule
    allows given the log (clock-aware: less at night), whatever the proposed duration.
    """

    legal: bool
    violations: tuple[Violation, ...]
    earliest_legal_start: datetime | None
    # rule ("continuous", "24h", "7d") → its remaining seconds, worked out when first asked: each is a
    # search over the driver's log, and a dispatch asks thousands of verdicts for their legality alone
    headroom: Callable[[str], int] = field(repr=False, compare=False)

    @cached_property
    def remaining_continuous_s(self) -> int:
        return self.headroom("continuous")

    @cached_property
    def remaining_24h_s(self) -> int:
        return self.headroom("24h")

    @cached_property
    def remaining_7d_s(self) -> int:
        return self.headroom("7d")

    @property
    def codes(self) -> frozenset[RuleCode]:
        return frozenset(v.code for v in self.violations)

    def explain(self) -> str:
        """All reasons in one line, or ``"legal"``."""
        return "; ".join(v.message for v in self.violations) or "legal"
