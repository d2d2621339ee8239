"""How often coaches break down: the one breakdown-rate model of the planning apps (DESIGN §2.3, §3.3).

Breakdowns are a Poisson process in vehicle-km. The what-if draws its incident streams from it and the
backup staging weights its demand points with it, so both see the same coaches fail as often.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fleetplan.errors import require
from fleetplan.model import Vehicle


@dataclass(frozen=True)
class BreakdownRates:
    """Breakdowns per vehicle-km (E unless noted; DESIGN §2.3).

    The mean distance between failures is ``mdbf_km`` for a coach younger than ``old_age_years``;
    older coaches fail ``old_failure_factor`` times as often (DESIGN: ≥4×), and every coach
    ``winter_failure_factor`` times as often in ``winter_months``.

    Raises
    ------
    InvalidValueError
        Naming the field: a non-positive distance or age, a factor below 1, a month outside 1–12.
    """

    mdbf_km: float = 30_000.0  # DESIGN §2.3: 10,000–50,000 km for well kept highway coaches
    old_age_years: float = 10.0
    old_failure_factor: float = 4.0
    winter_failure_factor: float = 1.5
    winter_months: tuple[int, ...] = (11, 12, 1, 2, 3)  # Jilin: frost from November to March

    def __post_init__(self) -> None:
        require(self.mdbf_km > 0, "mdbf_km", f"{self.mdbf_km} must be positive")
        require(self.old_age_years > 0, "old_age_years", "must be positive")
        for name in ("old_failure_factor", "winter_failure_factor"):
            require(getattr(self, name) >= 1.0, name, f"{getattr(self, name)} must be at least 1")
        require(all(1 <= month <= 12 for month in self.winter_months), "winter_months", "months are 1–12")

    def is_winter(self, day: date) -> bool:
        return day.month in self.winter_months

    def failure_factor(self, vehicle: Vehicle, day: date) -> float:
        """How many times the base breakdown rate ``vehicle`` has on ``day`` (age and season)."""
        factor = self.old_failure_factor if vehicle.age_years(day) >= self.old_age_years else 1.0
        return factor * (self.winter_failure_factor if self.is_winter(day) else 1.0)

    def max_failure_factor(self, day: date) -> float:
        """The largest :meth:`failure_factor` of any coach on ``day`` (the thinning envelope)."""
        return self.old_failure_factor * (self.winter_failure_factor if self.is_winter(day) else 1.0)

    def failures_per_km(self, vehicle: Vehicle, day: date) -> float:
        """Expected in-service failures per km driven by ``vehicle`` on ``day``."""
        return self.failure_factor(vehicle, day) / self.mdbf_km
