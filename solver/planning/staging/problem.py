"""The staging problem: candidate sites and demand points, and how a staging scores on it.

A point covered by ``k`` backups is reached within its limit with probability ``1 - q**k`` when each
backup is busy with probability ``q`` (the busy fraction); :func:`expected_coverage` is MEXCLP's
objective as a share of the expected incidents. :func:`parse_backups` reads an allocation ``site=N,…``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.model import require
from fleetplan.network import TimeBand

DEFAULT_BUSY_FRACTION = 0.15  # E: crew off shift or resting, coach on another duty, plus rescue workload


@dataclass(frozen=True)
class DemandPoint:
    """Where and when incidents are expected, and which sites reach it within its limit.

    ``weight`` is the expected number of incidents there in the timetable period. Sites cover the
    point under one of two limits: ``covers_when_near`` applies when a backup stands at one of
    ``near_sites`` (always, for a point in a depot city, whose ``near_sites`` are all sites), and
    ``covers_when_far`` otherwise.
    """

    id: str
    location: str  # a location text the network resolves
    band: TimeBand
    weight: float
    near_sites: frozenset[str]
    covers_when_near: frozenset[str]
    covers_when_far: frozenset[str]
    lat: float = 0.0
    lon: float = 0.0
    city: bool = False  # inside a depot city (city tier)
    response_s: tuple[tuple[str, int], ...] = ()  # site → turnout + travel seconds (reachable sites)

    def __post_init__(self) -> None:
        require(self.id.strip() != "", "id", "must be a non-empty id")
        require(math.isfinite(self.weight) and self.weight >= 0, "weight", f"{self.weight} must be ≥ 0")

    def covers(self, allocation: Mapping[str, int]) -> int:
        """How many of the backups in ``allocation`` (site → count) reach this point within its limit."""
        near = any(allocation.get(site, 0) > 0 for site in self.near_sites)
        covering = self.covers_when_near if near else self.covers_when_far
        return sum(allocation.get(site, 0) for site in covering)


@dataclass(frozen=True)
class StagingProblem:
    """Candidate sites, demand points and (optionally) how many backups each site can hold."""

    sites: tuple[str, ...]
    points: tuple[DemandPoint, ...]
    site_capacity: tuple[tuple[str, int], ...] = ()  # site → most backups it holds; unlisted: no limit
    description: str = ""

    def __post_init__(self) -> None:
        require(len(self.sites) > 0, "sites", "at least one candidate site is needed")
        require(len(set(self.sites)) == len(self.sites), "sites", "a site is listed twice")
        require(len({p.id for p in self.points}) == len(self.points), "points", "a demand point id is listed twice")
        known = set(self.sites)
        for point in self.points:
            unknown = (point.near_sites | point.covers_when_near | point.covers_when_far) - known
            if unknown:
                raise UnknownIdError("staging site", sorted(unknown)[0], list(self.sites))
        for site, capacity in self.site_capacity:
            if site not in known:
                raise UnknownIdError("staging site", site, list(self.sites))
            require(capacity >= 0, "site_capacity", f"{site}: {capacity} is negative")

    @property
    def total_weight(self) -> float:
        return sum(point.weight for point in self.points)

    def capacity(self, site: str) -> int | None:
        return dict(self.site_capacity).get(site)

    def for_band(self, band: TimeBand | str) -> StagingProblem:
        """The same problem with only the demand of one time band (a staging for that shift)."""
        band = TimeBand(band)
        points = tuple(p for p in self.points if p.band == band)
        if not points:
            raise InvalidValueError(
                "band",
                f"no demand in band {band.value}; bands with demand: "
                f"{', '.join(sorted({p.band.value for p in self.points}))}",
            )
        return replace(self, points=points, description=f"{self.description} ({band.value} only)".strip())


def expected_coverage(problem: StagingProblem, allocation: Mapping[str, int], busy_fraction: float) -> float:
    """Expected share of incidents reached within the limit with ``allocation`` (site → backups).

    A point covered by ``k`` backups is reached with probability ``1 - busy_fraction**k``.
    """
    check_busy_fraction(busy_fraction)
    check_allocation(problem, allocation)
    total = problem.total_weight
    if total <= 0:
        return 0.0
    return sum(point.weight * (1 - busy_fraction ** point.covers(allocation)) for point in problem.points) / total


def check_allocation(problem: StagingProblem, allocation: Mapping[str, int]) -> None:
    """Raise if ``allocation`` names a site the problem lacks or a count that is not a whole number ≥ 0."""
    for site, count in allocation.items():
        if site not in problem.sites:
            raise UnknownIdError("staging site", site, list(problem.sites))
        require(isinstance(count, int) and count >= 0, "backups", f"{site}={count} must be a whole number ≥ 0")


def check_busy_fraction(busy_fraction: float) -> None:
    """Raise :class:`InvalidValueError` unless 0 ≤ ``busy_fraction`` < 1."""
    require(
        isinstance(busy_fraction, (int, float)) and 0 <= busy_fraction < 1,
        "busy_fraction",
        f"{busy_fraction} must be at least 0 and below 1",
    )


def workload_busy_fraction(problem: StagingProblem, budget: int, period_s: int, service_s: int = 4 * 3600) -> float:
    """The busy fraction from rescue workload alone: incidents × service time / (backups × period).

    In the default data this is well under 1 %; the default busy fraction is larger because a backup
    is also unavailable while its crew is off shift or resting or the coach is on another duty.
    """
    require(budget >= 1, "budget", "at least one backup is needed for a busy fraction")
    require(period_s > 0, "period_s", "must be positive")
    return min(0.99, problem.total_weight * service_s / (budget * period_s))


def parse_backups(text: str, known_sites: Sequence[str]) -> dict[str, int]:
    """Read ``site=N[,site=N…]``.

    Raises
    ------
    InvalidValueError, UnknownIdError
        For a malformed entry, a negative or non-integer count, a site listed twice, or an unknown site.
    """
    allocation: dict[str, int] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        site, sep, count_text = entry.partition("=")
        site = site.strip()
        require(bool(sep) and bool(site), "backups", f"{entry!r} is not SITE=N")
        try:
            count = int(count_text)
        except ValueError:
            raise InvalidValueError("backups", f"{entry!r}: {count_text.strip()!r} is not a whole number") from None
        require(count >= 0, "backups", f"{entry!r}: the count is negative")
        require(site not in allocation, "backups", f"{site} is listed twice")
        if site not in known_sites:
            raise UnknownIdError("staging site", site, list(known_sites))
        allocation[site] = count
    return allocation
