"""The MEXCLP model of backup staging on CP-SAT (Daskin 1983) and its solve.

CP-SAT chooses integer backups per site ``x_j`` (``sum x_j = budget``), one tier switch ``near_i``
per point whose limit depends on whether a backup stands near it, and booleans ``y_ik`` (the *k*-th
cover of point *i*) to maximise ``sum_i w_i (1 - q) q**(k-1) y_ik``, scaled to integers. Adding a
backup where one already stands never changes a tier, so more backups never lower the optimum.
:func:`brute_force_staging` enumerates every split instead (tiny problems and tests).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from fleetplan.errors import InvalidValueError
from fleetplan.model import require

from solver.planning.staging.problem import (
    DEFAULT_BUSY_FRACTION,
    DemandPoint,
    StagingProblem,
    check_busy_fraction,
    expected_coverage,
)

SCALE = 1_000_000_000  # objective coefficients: expected-coverage shares in units of 1e-9


@dataclass(frozen=True)
class StagingParams:
    time_limit_s: float = 10.0
    workers: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        require(self.time_limit_s > 0, "time_limit_s", "must be positive")
        require(self.workers >= 1, "workers", "must be at least 1")


@dataclass(frozen=True)
class Staging:
    """A recommended staging: backups per site and the expected share reached within the limit."""

    sites: dict[str, int]  # every candidate site → backups to keep there (0 included)
    expected_coverage: float  # share of expected incidents reached within their limit, 0–1
    budget: int
    busy_fraction: float
    optimal: bool  # CP-SAT proved no staging does better
    coverage_bound: float  # proven upper bound on the expected coverage (= expected_coverage if optimal)
    objective_scaled: int  # the model's integer objective (coverage in units of 1e-9, rounded per term)
    point_coverage: tuple[tuple[str, float], ...] = ()  # demand point id → its expected coverage
    solve_ms: int = 0

    @property
    def backups(self) -> dict[str, int]:
        """Only the sites that get backups."""
        return {site: count for site, count in self.sites.items() if count > 0}

    def as_backups_text(self) -> str:
        """``site=N,site=N`` as the what-if command takes it."""
        return ",".join(f"{site}={count}" for site, count in self.backups.items())


@dataclass
class StagingModel:
    """A CP-SAT model of one staging problem with its variables."""

    problem: StagingProblem
    budget: int
    busy_fraction: float
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    backups: dict[str, cp_model.IntVar] = field(default_factory=dict)  # x_j
    near: dict[str, cp_model.IntVar] = field(default_factory=dict)  # a backup stands near point i
    cover: dict[str, list[tuple[cp_model.IntVar, int]]] = field(default_factory=dict)  # y_ik with its coefficient


def build_staging_model(problem: StagingProblem, budget: int, busy_fraction: float) -> StagingModel:
    """The complete MEXCLP model: backup counts, budget, tier switches, covers and objective."""
    sm = StagingModel(problem, budget, busy_fraction)
    add_backup_variables(sm)
    add_budget(sm)
    add_tier_switches(sm)
    add_cover_counts(sm)
    add_objective(sm)
    return sm


def add_backup_variables(sm: StagingModel) -> None:
    """x_j ∈ [0, min(budget, capacity_j)]."""
    for site in sm.problem.sites:
        capacity = sm.problem.capacity(site)
        upper = sm.budget if capacity is None else min(sm.budget, capacity)
        sm.backups[site] = sm.model.new_int_var(0, upper, f"x_{site}")


def add_budget(sm: StagingModel) -> None:
    """Every backup of the budget stands somewhere: Σ x_j = budget."""
    sm.model.add(sum(sm.backups.values()) == sm.budget)


def add_tier_switches(sm: StagingModel) -> None:
    """near_i ⇔ a backup stands at one of the point's near sites (switches its tier limit)."""
    for point in sm.problem.points:
        if point.covers_when_near == point.covers_when_far:
            continue  # the tier does not matter for this point
        near = sm.model.new_bool_var(f"near_{point.id}")
        standing = sum(sm.backups[site] for site in sorted(point.near_sites))
        if point.near_sites:
            sm.model.add(standing >= 1).only_enforce_if(near)
            sm.model.add(standing == 0).only_enforce_if(near.Not())
        else:
            sm.model.add(near == 0)
        sm.near[point.id] = near


def add_cover_counts(sm: StagingModel) -> None:
    """y_i1 ≥ y_i2 ≥ … and Σ_k y_ik ≤ the backups covering i under its tier."""
    one_minus_q = 1 - sm.busy_fraction
    weight_total = sm.problem.total_weight
    for point in sm.problem.points:
        depth = _max_covers(sm, point)
        terms = []
        for k in range(1, depth + 1):
            coefficient = (
                round(SCALE * point.weight / weight_total * one_minus_q * sm.busy_fraction ** (k - 1))
                if weight_total > 0
                else 0
            )
            if coefficient <= 0:
                break  # deeper covers are worth nothing at this scale (and never more than this one)
            terms.append((sm.model.new_bool_var(f"y_{point.id}_{k}"), coefficient))
        for (deeper, _), (shallower, _) in zip(terms[1:], terms):
            sm.model.add_implication(deeper, shallower)
        sm.cover[point.id] = terms
        if not terms:
            continue
        count = sum(y for y, _ in terms)
        if point.id in sm.near:
            near = sm.near[point.id]
            sm.model.add(count <= _covering(sm, point.covers_when_near)).only_enforce_if(near)
            sm.model.add(count <= _covering(sm, point.covers_when_far)).only_enforce_if(near.Not())
        else:
            sm.model.add(count <= _covering(sm, point.covers_when_far))


def _max_covers(sm: StagingModel, point: DemandPoint) -> int:
    covering = point.covers_when_near | point.covers_when_far
    capacities = (sm.problem.capacity(s) for s in covering)
    capacity = sum(sm.budget if site_capacity is None else site_capacity for site_capacity in capacities)
    return min(sm.budget, capacity)


def _covering(sm: StagingModel, sites: frozenset[str]):
    return sum(sm.backups[site] for site in sorted(sites))


def add_objective(sm: StagingModel) -> None:
    """Maximise Σ_i Σ_k w_i (1-q) q^(k-1) y_ik (scaled to integers)."""
    sm.model.maximize(sum(coefficient * y for terms in sm.cover.values() for y, coefficient in terms))


def solve_staging(
    problem: StagingProblem,
    budget: int,
    busy_fraction: float = DEFAULT_BUSY_FRACTION,
    params: StagingParams = StagingParams(),
) -> Staging:
    """The staging of ``budget`` backups with the highest expected coverage.

    Parameters
    ----------
    problem
        Sites and demand points (:func:`build_staging_problem`).
    budget
        Backups to place, ≥ 0.
    busy_fraction
        Probability that a backup is unavailable when called, in [0, 1).
    params
        CP-SAT time limit, workers and seed.

    Returns
    -------
    Staging
        ``optimal`` tells whether CP-SAT proved it; otherwise ``coverage_bound`` bounds what is possible.

    Raises
    ------
    InvalidValueError
        For a negative or non-integer budget, a busy fraction outside [0, 1), or a budget the sites
        cannot hold.
    """
    check_budget(problem, budget)
    check_busy_fraction(busy_fraction)
    started = time.perf_counter()
    sm = build_staging_model(problem, budget, busy_fraction)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = params.time_limit_s
    solver.parameters.num_workers = params.workers
    solver.parameters.random_seed = params.seed
    status = solver.solve(sm.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # x = any split of the budget is feasible
        raise InvalidValueError(
            "budget",
            f"no staging of {budget} backups found in {params.time_limit_s:g} s "
            f"({solver.status_name(status)}); allow more time",
        )
    allocation = {site: int(solver.value(var)) for site, var in sm.backups.items()}
    coverage = expected_coverage(problem, allocation, busy_fraction)
    optimal = status == cp_model.OPTIMAL
    bound = coverage if optimal else max(coverage, solver.best_objective_bound / SCALE)
    return Staging(
        sites=allocation,
        expected_coverage=coverage,
        budget=budget,
        busy_fraction=busy_fraction,
        optimal=optimal,
        coverage_bound=bound,
        objective_scaled=int(round(solver.objective_value)),
        point_coverage=tuple((p.id, 1 - busy_fraction ** p.covers(allocation)) for p in problem.points),
        solve_ms=int((time.perf_counter() - started) * 1000),
    )


def check_budget(problem: StagingProblem, budget: int) -> None:
    """Raise unless ``budget`` is a whole number ≥ 0 that the sites can hold."""
    require(isinstance(budget, int) and not isinstance(budget, bool), "budget", f"{budget!r} is not a whole number")
    require(budget >= 0, "budget", f"{budget} is negative")
    capacities = [problem.capacity(site) for site in problem.sites]
    known = [capacity for capacity in capacities if capacity is not None]
    if len(known) == len(capacities):  # every site has a capacity
        room = sum(known)
        require(budget <= room, "budget", f"{budget} backups do not fit: the sites hold at most {room}")


def coverage_curve(
    problem: StagingProblem,
    budgets: Sequence[int],
    busy_fraction: float = DEFAULT_BUSY_FRACTION,
    params: StagingParams = StagingParams(),
) -> tuple[Staging, ...]:
    """The best staging for each budget (for a coverage-against-backups plot)."""
    return tuple(solve_staging(problem, budget, busy_fraction, params) for budget in budgets)


def brute_force_staging(problem: StagingProblem, budget: int, busy_fraction: float) -> tuple[dict[str, int], float]:
    """The best allocation by enumerating every split of the budget (tiny problems and tests only)."""
    check_budget(problem, budget)
    best: tuple[dict[str, int], float] | None = None
    for split in _compositions(budget, len(problem.sites)):
        allocation = dict(zip(problem.sites, split))
        if any(problem.capacity(s) is not None and allocation[s] > problem.capacity(s) for s in problem.sites):
            continue
        value = expected_coverage(problem, allocation, busy_fraction)
        if best is None or value > best[1]:
            best = (allocation, value)
    assert best is not None  # check_budget guarantees a split fits
    return best


def _compositions(total: int, parts: int):
    """Every way to write ``total`` as an ordered sum of ``parts`` whole numbers ≥ 0."""
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        previous, split = -1, []
        for bar in bars:
            split.append(bar - previous - 1)
            previous = bar
        split.append(total + parts - 1 - previous - 1)
        yield tuple(split)
