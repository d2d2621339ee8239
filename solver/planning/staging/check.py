"""The simulation check of a staging: the what-if Monte Carlo over the real dispatch path with the
recommended backups, its share reached within the limit against the model's expected coverage, and
why they differ when they do."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from fleetplan.corridor import Corridor
from fleetplan.model import require
from fleetplan.timetable import first_timetable_day

from solver.planning.staging.model import Staging
from solver.planning.staging.problem import StagingProblem


@dataclass(frozen=True)
class SimulationCheck:
    """The staging's expected coverage against the share the what-if simulation reaches within the limit.

    Only incidents on the way (city, near-backup and corridor tiers) are compared: the staging model
    has no pre-departure failures (their limit runs from the scheduled departure, not the report).
    """

    expected: float
    simulated: float | None  # None when the simulation produced no incident the model covers
    ci_low: float | None
    ci_high: float | None
    incidents: int
    reps: int
    days: int
    within: bool
    explanation: str
    breakdown_factor: float = 1.0
    result: Any = field(default=None, repr=False, compare=False)  # the solver.planning.whatif.WhatIfResult


def check_by_simulation(
    corridor: Corridor,
    staging: Staging,
    problem: StagingProblem | None = None,
    *,
    reps: int = 3,
    days: int = 7,
    seed: int = 0,
    start: date | None = None,
    calendar: str = "clear",
    engine: str = "local",
    breakdown_factor: float = 1.0,
    progress=None,
) -> SimulationCheck:
    """Run the what-if simulation with the staging's backups and compare it with the expected coverage.

    Parameters
    ----------
    corridor
        Dataset and network the staging was built on.
    staging
        The staging to check (its ``sites`` become the what-if's backups).
    problem
        The staging problem, for the explanation (the busy fraction the simulation implies).
    reps, days, seed
        Replications, length of the simulated period from ``start`` (default: the timetable's first
        day), root seed.
    calendar
        What-if weather calendar; ``clear`` matches a staging built on clear conditions.
    engine
        What-if engine (``local``, ``processes`` or ``dask``).
    breakdown_factor
        Breakdowns this many times as frequent as the what-if's default rate (its mean distance
        between failures divided by it), for more incidents per simulated day. The share reached
        depends on where and when incidents happen, not on how many, as long as rescues rarely
        overlap; keep it low enough for that (a rescue takes a backup away for 2–4 hours).
    progress
        Called with (replications done, replications in all).

    Returns
    -------
    SimulationCheck
        With an explanation of the difference whenever the expected coverage lies outside the
        simulated share's 95 % interval.
    """
    from solver.planning.whatif import IncidentRates, WhatIfScenario, run_whatif, share_with_ci

    require(isinstance(days, int) and days >= 1, "days", f"{days!r} must be a whole number ≥ 1")
    require(breakdown_factor >= 1, "breakdown_factor", f"{breakdown_factor} must be at least 1")
    first_day = start or first_timetable_day(corridor.dataset)
    rates = IncidentRates()
    breakdowns = replace(rates.breakdowns, mdbf_km=rates.breakdowns.mdbf_km / breakdown_factor)
    rates = replace(rates, breakdowns=breakdowns)
    scenario = WhatIfScenario(
        first_day, first_day + timedelta(days=days - 1), staging.backups, calendar=calendar, rates=rates
    )
    result = run_whatif(scenario, reps, seed, engine, progress=progress, corridor=corridor)
    skipped = corridor.dataset.tier_policy.pre_departure.name
    per_rep = [[o for o in replication.outcomes if o.tier != skipped] for replication in result.replications]
    share, low, high = share_with_ci(
        [sum(o.reached_within_limit for o in rep) for rep in per_rep], [len(rep) for rep in per_rep]
    )
    incidents = sum(len(rep) for rep in per_rep)
    # share_with_ci gives the share and both bounds together, or none of them
    within = share is not None and low is not None and high is not None and low <= staging.expected_coverage <= high
    explanation = "" if within else _explain(staging, share, incidents, per_rep)
    return SimulationCheck(
        staging.expected_coverage,
        share,
        low,
        high,
        incidents,
        reps,
        days,
        within,
        explanation,
        breakdown_factor,
        result,
    )


def _explain(staging: Staging, share: float | None, incidents: int, per_rep) -> str:
    if share is None:
        return (
            "the simulation produced no incident on the way (breakdowns are rare: about one a week on this "
            "timetable); run more replications or a longer period"
        )
    reasons = []
    if share > staging.expected_coverage:
        reasons.append(
            "the simulated dispatch also sends idle in-service coaches (the staff coaches waiting at the "
            "Siping campus by day, coaches between their runs) and passing coaches with free seats, which "
            "the staging model does not count"
        )
        reasons.append(
            f"the busy fraction {staging.busy_fraction:.0%} is an assumption: in the simulation the "
            f"backups are rarely busy (their drivers are on shift all service hours)"
        )
    else:
        reasons.append(
            "in the simulation a backup also needs a legal driver with hours left, the charter sign is "
            "filed before boarding, and rescuers stay busy until they are back at their site"
        )
        reasons.append(
            "the staging model measures each 10-km stretch at its middle and takes each demand point's "
            "time band at the leg's departure; a scene at the far end of a stretch, or in a congested "
            "band, may miss a limit the model counts as met"
        )
    missed = [o for rep in per_rep for o in rep if not o.reached_within_limit]
    if missed:
        tiers = sorted({o.tier for o in missed})
        reasons.append(
            f"{len(missed)} of {incidents} simulated incidents missed their limit (tiers {', '.join(tiers)})"
        )
    return "; ".join(reasons)


def simulation_check_text(check: SimulationCheck) -> str:
    """Both numbers, the interval and, when they disagree, why."""
    if check.simulated is None:
        line = f"Simulation check ({check.reps} reps × {check.days} days): no incident on the way was simulated"
    else:
        line = (
            f"Simulation check ({check.reps} reps × {check.days} days, {check.incidents} incidents on the way): "
            f"expected {check.expected:.1%}, simulated {check.simulated:.1%} "
            f"(95% CI {check.ci_low:.1%}–{check.ci_high:.1%}) — "
            f"{'expected coverage within the interval' if check.within else 'OUTSIDE the interval'}"
        )
    return line + (f"\n  why: {check.explanation}" if check.explanation else "")


def simulation_check_view(check: SimulationCheck) -> dict[str, Any]:
    return {
        "expected_coverage": check.expected,
        "simulated_coverage": check.simulated,
        "ci_low": check.ci_low,
        "ci_high": check.ci_high,
        "incidents": check.incidents,
        "reps": check.reps,
        "days": check.days,
        "within_interval": check.within,
        "explanation": check.explanation,
    }
