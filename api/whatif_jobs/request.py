"""What a what-if job asks for: its parameters, checked before the job is stored.

:func:`validate_request` makes the checks :func:`~solver.planning.whatif.run_whatif` would make, so
that a job that cannot run is refused when it is submitted rather than failing in the background.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError, UnknownIdError

from solver.planning.whatif import WhatIfScenario, staged_dataset

MAX_HTTP_REPS = 1000  # replications one HTTP job may ask for
MAX_SEED = 2**53 - 1  # exact as a JSON number (a double): in the OpenAPI bound and in JavaScript clients


@dataclass(frozen=True)
class WhatIfRequest:
    """The validated parameters of a job, as stored and as shown."""

    start: date
    end: date
    backups: tuple[tuple[str, int], ...]
    calendar: str
    reps: int
    seed: int

    def scenario(self) -> WhatIfScenario:
        """The scenario to run."""
        return WhatIfScenario(self.start, self.end, dict(self.backups), calendar=self.calendar)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "backups": dict(self.backups),
            "calendar": self.calendar,
            "reps": self.reps,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WhatIfRequest:
        return cls(
            date.fromisoformat(data["start"]),
            date.fromisoformat(data["end"]),
            tuple(sorted((site, int(count)) for site, count in data["backups"].items())),
            data["calendar"],
            int(data["reps"]),
            int(data["seed"]),
        )


def validate_request(
    start: date, end: date, backups: Mapping[str, int], calendar: str, reps: int, seed: int, corridor: Corridor
) -> WhatIfRequest:
    """Check a what-if as fully as :func:`~solver.planning.whatif.run_whatif` would, before it is stored.

    Parameters
    ----------
    start, end
        The period (inclusive).
    backups
        Site id → standby coaches placed there.
    calendar
        Weather calendar (``clear`` or ``winter``).
    reps
        Replications, 1 to :data:`MAX_HTTP_REPS`.
    seed
        Root seed, 0 to :data:`MAX_SEED`.
    corridor
        The service's corridor: the sites and standby coaches the backups are checked against.

    Returns
    -------
    WhatIfRequest

    Raises
    ------
    InvalidValueError
        Naming the field: ``end`` before ``start``, a period over a year, an unknown site or more
        backups than usable standby coaches (``backups``), an unknown ``calendar``, ``reps``, ``seed``.
    """
    _require_whole(reps, "reps", 1, MAX_HTTP_REPS)
    _require_whole(seed, "seed", 0, MAX_SEED)
    scenario = WhatIfScenario(start, end, dict(backups), calendar=calendar)
    assert isinstance(scenario.backups, tuple)  # WhatIfScenario normalises backups to (site, count) pairs
    try:
        # the same check run_whatif makes before it starts: sites exist, enough usable standby coaches and drivers
        staged_dataset(corridor.dataset, scenario.backups, scenario.start, scenario.end)
    except UnknownIdError as error:
        raise InvalidValueError("backups", str(error)) from None
    return WhatIfRequest(scenario.start, scenario.end, scenario.backups, scenario.calendar, reps, seed)


def _require_whole(value: int, field: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValueError(field, f"{value!r} is not a whole number from {low} to {high}")
