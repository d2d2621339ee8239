"""Response-time tiers (响应时限分级) and what lateness costs: the one home of both.

An incident before its trip's departure is ``pre_departure`` (the replacement must leave within the
limit after the scheduled departure); otherwise it is ``city`` within ``city_radius_m`` by road of a
depot, ``near_backup`` within ``near_backup_radius_m`` by road of a standing backup, and ``corridor``
elsewhere
(DESIGN §2.3 defaults, configurable in ``tiers.toml``). Lateness beyond the limit costs per started
minute, doubled past the escalation point, as service contracts fine per extra hour.

The instance builder, the evaluator, backup staging and the KPIs all classify with
:func:`classify` / :func:`tier_at` and price lateness with :func:`late_penalty`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetplan.errors import InvalidValueError, require, require_id
from fleetplan.units import ceil_minutes

# Passengers nobody reaches count as this late in the lateness term, so that leaving a group behind is
# never cheaper than reaching it late (the first objective term already counts them as not reached).
UNREACHED_LATENESS_S = 6 * 3600


@dataclass(frozen=True)
class Tier:
    """One response-time tier. ``limit_s`` is counted from the incident report, except for
    pre-departure failures where it is the delay allowed after the scheduled departure."""

    name: str
    limit_s: int
    late_penalty_per_min: int  # weight per minute late, escalating with the tier's importance
    description: str = ""

    def __post_init__(self) -> None:
        require_id(self.name, "name")
        require(self.limit_s > 0, "limit_s", f"{self.limit_s} must be positive")
        require(self.late_penalty_per_min >= 0, "late_penalty_per_min", "must not be negative")


@dataclass(frozen=True)
class TierPolicy:
    """The four tiers and the radii that choose among them (see the module docstring)."""

    city: Tier
    near_backup: Tier
    corridor: Tier
    pre_departure: Tier
    city_radius_m: int = 15_000
    near_backup_radius_m: int = 50_000
    escalation_after_s: int = 30 * 60  # lateness beyond this costs double per minute

    def __post_init__(self) -> None:
        require(self.city_radius_m > 0, "city_radius_m", "must be positive")
        require(
            self.near_backup_radius_m >= self.city_radius_m,
            "near_backup_radius_m",
            "must be at least city_radius_m",
        )

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return (self.city, self.near_backup, self.corridor, self.pre_departure)

    def tier_named(self, name: str) -> Tier:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise InvalidValueError("tier", f"no tier named {name!r}")

    def late_penalty(self, tier: Tier, late_s: int) -> int:
        """See :func:`late_penalty`."""
        return late_penalty(self, tier, late_s)


# --------------------------------------------------------------------------- which tier
def in_city(policy: TierPolicy, depot_distance_m: float | None) -> bool:
    """Whether a scene ``depot_distance_m`` by road from the nearest depot lies in a depot city."""
    return depot_distance_m is not None and depot_distance_m <= policy.city_radius_m


def near_backup(policy: TierPolicy, backup_distance_m: float | None) -> bool:
    """Whether a backup ``backup_distance_m`` by road from the scene counts as near it."""
    return backup_distance_m is not None and backup_distance_m <= policy.near_backup_radius_m


def tier_at(policy: TierPolicy, depot_distance_m: float | None, backup_distance_m: float | None) -> Tier:
    """The tier of an incident on the way: city, near a standing backup, or corridor.

    Parameters
    ----------
    policy
        The tiers and radii.
    depot_distance_m
        Road distance from the nearest depot (a service base) to the scene, None if none reaches it.
    backup_distance_m
        Road distance from the nearest standing backup coach to the scene, None if there is none.

    Distances are by road on the directed network (:func:`fleetplan.network.distance.road_distance_m`):
    the service plan's radii mean the drive a backup makes, on the right carriageway.
    """
    if in_city(policy, depot_distance_m):
        return policy.city
    if near_backup(policy, backup_distance_m):
        return policy.near_backup
    return policy.corridor


def is_pre_departure(reported_at: datetime, scheduled_departure: datetime | None) -> bool:
    """A failure reported before its trip was due to leave (the coach does not start)."""
    return scheduled_departure is not None and reported_at <= scheduled_departure


def classify(
    policy: TierPolicy,
    reported_at: datetime,
    scheduled_departure: datetime | None,
    depot_distance_m: float | None,
    backup_distance_m: float | None,
) -> tuple[Tier, datetime]:
    """The tier of an incident and the deadline by which its passengers must be reached.

    Parameters
    ----------
    policy
        The tiers and radii.
    reported_at
        When the incident was reported.
    scheduled_departure
        The planned departure of the incident's trip, if it has one.
    depot_distance_m, backup_distance_m
        As for :func:`tier_at`.

    Returns
    -------
    (Tier, datetime)
        Pre-departure: the replacement must leave by the scheduled departure plus the limit; otherwise
        the scene must be reached by the report time plus the limit.
    """
    if is_pre_departure(reported_at, scheduled_departure):
        assert scheduled_departure is not None
        return policy.pre_departure, scheduled_departure + timedelta(seconds=policy.pre_departure.limit_s)
    tier = tier_at(policy, depot_distance_m, backup_distance_m)
    return tier, reported_at + timedelta(seconds=tier.limit_s)


# --------------------------------------------------------------------------- what lateness costs
def late_penalty(policy: TierPolicy, tier: Tier, late_s: int) -> int:
    """Escalating lateness penalty per passenger: per started minute late, doubled past the escalation point."""
    if late_s <= 0:
        return 0
    late_min = ceil_minutes(late_s)
    base_min = min(late_min, policy.escalation_after_s // 60)
    return tier.late_penalty_per_min * (base_min + 2 * (late_min - base_min))


def unreached_penalty(policy: TierPolicy, tier: Tier) -> int:
    """The lateness penalty of a passenger nobody reaches (see :data:`UNREACHED_LATENESS_S`)."""
    return late_penalty(policy, tier, UNREACHED_LATENESS_S)
