"""What one replication records, and the KPIs per response tier across replications.

The share of incidents reached within their limit is a ratio of two random counts per replication
(incidents reached, incidents), so its 95 % interval is the ratio estimator's over replications as
clusters: ``R = Σ r_i / Σ n_i`` with variance ``Σ (r_i − R n_i)² / (m (m−1) n̄²)``. When that gives
no spread (fewer than two replications with incidents, or every replication at the same share) the
Wilson score interval of the pooled counts is used instead, so a run where every incident was reached
still shows how little that proves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from solver.planning.whatif.scenario import WhatIfScenario

Z_95 = 1.959963984540054
ALL_TIERS = "all"


@dataclass(frozen=True)
class IncidentOutcome:
    """One simulated incident and how the dispatch answered it.

    ``response_s`` runs from the report until the last coach carrying its passengers is at the scene
    (None unless every passenger is carried); ``reached_within_limit`` means every passenger was
    reached by the tier's deadline (for a pre-departure failure: a replacement leaving within the
    limit after the scheduled departure). ``passenger_delay_min`` is passenger-minutes of arrival after
    the planned arrival; ``trips_lost`` the later trips the plan could not cover.
    """

    incident_id: str
    kind: str
    at: datetime
    trip_id: str
    vehicle_id: str
    location: str
    tier: str
    limit_s: int
    passengers: int
    carried: int
    reached_within_limit: bool
    response_s: int | None
    passenger_delay_min: float
    trips_lost: int
    status: str  # the solve's status, or "error" when no instance could be built
    evaluator_problems: int = 0
    rescue_vehicles: tuple[str, ...] = ()  # the coaches that carried its passengers
    note: str = ""
    reached_in_time: int = 0  # passengers whose coach was at the scene by the deadline
    planned_with: int = 1  # incidents planned together with it, itself included (a blizzard's wave)


@dataclass(frozen=True)
class ReplicationResult:
    """Everything one replication produced; equal seeds give equal results."""

    seed: int
    outcomes: tuple[IncidentOutcome, ...]
    trips_planned: int
    trips_lost_no_substitute: int  # later days' trips of coaches still in the workshop, no standby free
    substitutions: int  # days a standby coach stood in for a coach in the workshop
    vehicle_km: float
    weather_days: tuple[tuple[str, int], ...]
    closure_hours: float
    solves_not_optimal: int
    wall_capped_solves: int = 0


@dataclass(frozen=True)
class TierKpis:
    """KPIs of one tier (or ``all``) across replications; None where nothing was observed."""

    tier: str
    incidents: int
    incidents_per_rep: float
    reached_within_limit: float | None
    ci_low: float | None
    ci_high: float | None
    response_mean_min: float | None
    response_p50_min: float | None
    response_p90_min: float | None
    passenger_delay_mean_min: float | None  # per carried passenger, at the destination
    trips_lost: int
    trips_lost_per_rep: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WhatIfResult:
    """A what-if run: the scenario, its seed, the KPIs per tier and every replication."""

    scenario: WhatIfScenario
    seed: int
    tiers: tuple[TierKpis, ...]
    replications: tuple[ReplicationResult, ...] = field(repr=False)

    @property
    def reps(self) -> int:
        return len(self.replications)

    def tier(self, name: str) -> TierKpis:
        return next(kpis for kpis in self.tiers if kpis.tier == name)

    def summary(self) -> dict[str, Any]:
        """Run-wide figures: incidents by kind, trips, substitutions, weather, solver statistics."""
        reps = max(self.reps, 1)
        kinds: dict[str, int] = {}
        for replication in self.replications:
            for outcome in replication.outcomes:
                kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
        outcomes = [o for r in self.replications for o in r.outcomes]
        return {
            "reps": self.reps,
            "seed": self.seed,
            "incidents": len(outcomes),
            "incidents_by_kind_per_rep": {kind: round(count / reps, 3) for kind, count in sorted(kinds.items())},
            "trips_planned_per_rep": round(sum(r.trips_planned for r in self.replications) / reps, 1),
            "trips_lost_no_substitute_per_rep": round(
                sum(r.trips_lost_no_substitute for r in self.replications) / reps, 3
            ),
            "substitutions_per_rep": round(sum(r.substitutions for r in self.replications) / reps, 3),
            "vehicle_km_per_rep": round(sum(r.vehicle_km for r in self.replications) / reps, 1),
            "closure_hours_per_rep": round(sum(r.closure_hours for r in self.replications) / reps, 2),
            "solves_not_optimal": sum(r.solves_not_optimal for r in self.replications),
            "wall_capped_solves": sum(r.wall_capped_solves for r in self.replications),
            "evaluator_problems": sum(o.evaluator_problems for o in outcomes),
            "dispatch_errors": sum(1 for o in outcomes if o.status == "error"),
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        scenario = self.scenario
        return {
            "scenario": {
                "from": scenario.start.isoformat(),
                "to": scenario.end.isoformat(),
                "backups": scenario.backup_counts,
                "calendar": scenario.calendar,
                "solve_budget_s": scenario.solve_budget_s,
            },
            "summary": self.summary(),
            "kpis": [kpis.as_dict() for kpis in self.tiers],
        }


def aggregate(
    scenario: WhatIfScenario, seed: int, replications: Sequence[ReplicationResult], tier_names: Sequence[str]
) -> WhatIfResult:
    """KPIs per tier (in ``tier_names`` order, then ``all``) from replications in replication order.

    Parameters
    ----------
    scenario, seed
        What was run.
    replications
        One result per replication, in replication order (the aggregation is order-independent, but
        keeping the order makes the result identical on every engine).
    tier_names
        The tiers of the dataset's policy.

    Returns
    -------
    WhatIfResult
    """
    rows = [tier_kpis(name, replications, lambda o, name=name: o.tier == name) for name in tier_names]
    rows.append(
        tier_kpis(
            ALL_TIERS, replications, lambda o: True, extra_lost=sum(r.trips_lost_no_substitute for r in replications)
        )
    )
    return WhatIfResult(scenario, seed, tuple(rows), tuple(replications))


def tier_kpis(name: str, replications: Sequence[ReplicationResult], belongs, extra_lost: int = 0) -> TierKpis:
    """The KPIs of the outcomes ``belongs`` selects."""
    per_rep = [[o for o in r.outcomes if belongs(o)] for r in replications]
    outcomes = [o for rep in per_rep for o in rep]
    reached = [sum(o.reached_within_limit for o in rep) for rep in per_rep]
    totals = [len(rep) for rep in per_rep]
    share, low, high = share_with_ci(reached, totals)
    responses_min = [o.response_s / 60 for o in outcomes if o.response_s is not None]
    carried = sum(o.carried for o in outcomes)
    reps = max(len(replications), 1)
    lost = sum(o.trips_lost for o in outcomes) + extra_lost
    return TierKpis(
        tier=name,
        incidents=len(outcomes),
        incidents_per_rep=round(len(outcomes) / reps, 4),
        reached_within_limit=_round(share),
        ci_low=_round(low),
        ci_high=_round(high),
        response_mean_min=_round(float(np.mean(responses_min)) if responses_min else None, 2),
        response_p50_min=_round(float(np.percentile(responses_min, 50)) if responses_min else None, 2),
        response_p90_min=_round(float(np.percentile(responses_min, 90)) if responses_min else None, 2),
        passenger_delay_mean_min=_round(sum(o.passenger_delay_min for o in outcomes) / carried if carried else None, 2),
        trips_lost=lost,
        trips_lost_per_rep=round(lost / reps, 4),
    )


def share_with_ci(
    successes: Sequence[int], totals: Sequence[int], z: float = Z_95
) -> tuple[float | None, float | None, float | None]:
    """Share ``Σ successes / Σ totals`` and its interval (see the module docstring); Nones if no trials.

    Examples
    --------
    >>> share_with_ci([3, 4], [4, 4])[0]
    0.875
    """
    pooled_n = sum(totals)
    if pooled_n == 0:
        return None, None, None
    share = sum(successes) / pooled_n
    m = len(totals)
    variance = 0.0
    if m >= 2:
        mean_n = pooled_n / m
        variance = sum((s - share * n) ** 2 for s, n in zip(successes, totals)) / (m * (m - 1) * mean_n**2)
    if variance <= 0.0:
        low, high = wilson_interval(sum(successes), pooled_n, z)
    else:
        half = z * math.sqrt(variance)
        low, high = share - half, share + half
    return share, max(0.0, low), min(1.0, high)


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a binomial share."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # exact at the ends, where rounding would leave 0.9999… above a share of 1
    return (0.0 if successes == 0 else low), (1.0 if successes == trials else high)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
