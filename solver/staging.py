"""Backup staging: where to keep how many backup coaches (DESIGN §3.3, issue 5 §2).

A maximum expected covering location model (MEXCLP, Daskin 1983) solved with CP-SAT:

- **demand points** are where incidents happen, weighted by their expected rate: G1 kilometre bins in
  both directions and points along the streets and national roads the timetable drives, each with the
  vehicle-km driven there divided by the mean distance between failures (older coaches fail more);
- **candidate sites** are the dataset's depots and service areas;
- site *j* **covers** point *i* if a backup standing at *j* reaches *i* within *i*'s tier limit
  (turnout plus the network's travel time under the conditions, at the time band of *i*'s demand);
- each backup is **busy** with probability *q*, independently, so a point covered by *k* backups is
  reached within the limit with probability ``1 - q**k``; CP-SAT chooses integer backups per site
  ``x_j`` (``sum x_j = budget``) and booleans ``y_ik`` (the *k*-th cover of *i*) to maximise
  ``sum_i w_i (1 - q) q**(k-1) y_ik``, scaled to integers.

The tier of a point follows the dispatch rule (:func:`fleetplan.build_instance.tier_at`): inside a
depot city's radius the city limit; elsewhere the near-backup limit when a backup stands within the
near-backup radius, else the corridor limit. Which of the last two applies depends on the staging, so
the model switches it with one boolean per point. Adding a backup where one already stands never
changes a tier, so more backups never lower the optimum.

Time bands: demand is kept per time band (morning peak, day, evening peak, night) and covered with
that band's travel times; one staging serves all bands (the same backups all day). A staging per band
(time-of-day shifts) is :meth:`StagingProblem.for_band` solved on its own.

The simulation check (:func:`check_by_simulation`) runs the what-if Monte Carlo over the real dispatch
path with the recommended backups and compares its share reached within the limit with the model's.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time as clock_time, timedelta
from typing import Any

from ortools.sat.python import cp_model

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError, NoRouteError, UnknownIdError
from fleetplan.geo import haversine_m, interpolate
from fleetplan.model import Conditions, Dataset, RoadClass, SiteKind, TierPolicy, Vehicle, VehicleClass, require
from fleetplan.network import Direction, RoadNetwork, TimeBand, TravelTimes, time_band
from fleetplan.operations import OperationsPolicy

DEFAULT_BUSY_FRACTION = 0.15  # E: crew off shift or resting, coach on another duty, plus rescue workload
DEFAULT_MDBF_KM = 30_000.0  # E: as the what-if's IncidentRates (DESIGN §2.3: 10,000–50,000 km)
OLD_COACH_YEARS = 10.0  # E: from this age a coach fails more often
OLD_COACH_FACTOR = 4.0  # DESIGN §2.3: older coaches fail ≥4× more often
DEFAULT_SPACING_KM = 10.0
SCALE = 1_000_000_000  # objective coefficients: expected-coverage shares in units of 1e-9

# a clock time inside each band, to cost travel in that band
BAND_CLOCK = {
    TimeBand.NIGHT: clock_time(23, 0),
    TimeBand.MORNING_PEAK: clock_time(8, 0),
    TimeBand.DAY: clock_time(12, 0),
    TimeBand.EVENING_PEAK: clock_time(18, 0),
}


# --------------------------------------------------------------------------- the problem
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
            raise InvalidValueError("band", f"no demand in band {band.value}; bands with demand: "
                                            f"{', '.join(sorted({p.band.value for p in self.points}))}")
        return replace(self, points=points, description=f"{self.description} ({band.value} only)".strip())


# --------------------------------------------------------------------------- building it from the corridor
@dataclass(frozen=True)
class DemandSettings:
    """How demand points are sampled and weighted (E unless cited)."""

    spacing_km: float = DEFAULT_SPACING_KM  # G1 bins and pieces of other roads
    mdbf_km: float = DEFAULT_MDBF_KM
    old_coach_years: float = OLD_COACH_YEARS
    old_coach_factor: float = OLD_COACH_FACTOR

    def __post_init__(self) -> None:
        require(self.spacing_km > 0, "spacing_km", "must be positive")
        require(self.mdbf_km > 0, "mdbf_km", "must be positive")
        require(self.old_coach_factor >= 1, "old_coach_factor", "must be at least 1")


def failures_per_km(vehicle: Vehicle, on: date, settings: DemandSettings = DemandSettings()) -> float:
    """Expected in-service failures per km driven by ``vehicle`` on ``on``."""
    factor = settings.old_coach_factor if vehicle.age_years(on) >= settings.old_coach_years else 1.0
    return factor / settings.mdbf_km


def build_staging_problem(corridor: Corridor, conditions: Conditions | None = None,
                          ops: OperationsPolicy = OperationsPolicy(),
                          settings: DemandSettings = DemandSettings(),
                          sites: Sequence[str] | None = None,
                          backup_class: VehicleClass = VehicleClass.COACH_12M,
                          site_capacity: Mapping[str, int] | None = None) -> StagingProblem:
    """The staging problem of ``corridor``'s timetable.

    Parameters
    ----------
    corridor
        Dataset and road network.
    conditions
        Road conditions for the timetable's routes and the rescue travel times (default: the
        dataset's ``clear`` preset, or no weather at all if it has none).
    ops
        Turnout time of a standby crew (added to every response).
    settings
        Demand sampling and failure rates.
    sites
        Candidate site ids (default: every depot and service area of the dataset).
    backup_class
        Vehicle class whose travel times are used for the backups.
    site_capacity
        Site id → the most backups it can hold.

    Returns
    -------
    StagingProblem

    Raises
    ------
    UnknownIdError
        For a site the dataset does not have.
    """
    dataset, network = corridor.dataset, corridor.network
    conditions = conditions or _clear(dataset)
    candidate_sites = [dataset.site(site_id) for site_id in (sites or [s.id for s in dataset.sites])]
    demand = timetable_demand(corridor, conditions, settings)
    day = min(trip.departure for trip in dataset.trips).date() if dataset.trips else date.today()
    travel = TravelTimes(network, conditions, backup_class)
    points = tuple(_demand_point(key, weight, network, dataset.tier_policy, candidate_sites, dataset, travel, ops, day)
                   for key, weight in sorted(demand.items(), key=lambda item: _sort_key(item[0])) if weight > 0)
    return StagingProblem(
        sites=tuple(site.id for site in candidate_sites), points=points,
        site_capacity=tuple(sorted((site_capacity or {}).items())),
        description=f"{len(points)} demand points from {len(dataset.trips)} trips under {conditions.name!r}")


def _clear(dataset: Dataset) -> Conditions:
    try:
        return dataset.conditions_named("clear")
    except UnknownIdError:
        return Conditions("clear")


# A demand key: (location text, band, lat, lon)
DemandKey = tuple[str, TimeBand, float, float]


def timetable_demand(corridor: Corridor, conditions: Conditions,
                     settings: DemandSettings = DemandSettings()) -> dict[DemandKey, float]:
    """Expected failures per (place, time band), from the vehicle-km each trip drives on each road.

    Trips are routed stop to stop on the network; each edge's length goes to the G1 kilometre bin
    (carriageway edges) or the road piece (other roads) it lies in, at the time band of the leg's
    departure. Ramps (a few hundred metres each) are left out.
    """
    dataset, network = corridor.dataset, corridor.network
    demand: dict[DemandKey, float] = defaultdict(float)
    travel_by_class: dict[VehicleClass, TravelTimes] = {}
    for trip in dataset.trips:
        vehicle = dataset.vehicle(trip.vehicle_id)
        travel = travel_by_class.setdefault(vehicle.vehicle_class,
                                            TravelTimes(network, conditions, vehicle.vehicle_class))
        rate_per_m = failures_per_km(vehicle, trip.departure.date(), settings) / 1000
        for here, there in zip(trip.stops, trip.stops[1:]):
            try:
                route = travel.route(here.node_id, there.node_id, here.planned)
            except NoRouteError:
                continue  # a stop the conditions cut off: no driving, no failures there
            band = time_band(here.planned)
            for u, v in zip(route.path, route.path[1:]):
                for key, length_m in _edge_pieces(network, u, v, band, settings.spacing_km):
                    demand[key] += length_m * rate_per_m
    return dict(demand)


def _edge_pieces(network: RoadNetwork, u: str, v: str, band: TimeBand, spacing_km: float):
    """(demand key, metres) of the pieces of edge ``u → v``."""
    data = network.graph.edges[u, v]
    if data["road_class"] is RoadClass.RAMP:
        return []
    if data.get("direction") is not None:
        return _carriageway_pieces(network, data, band, spacing_km)
    return _road_pieces(network, u, v, data, band, spacing_km)


def _carriageway_pieces(network: RoadNetwork, data: dict[str, Any], band: TimeBand, spacing_km: float):
    """The G1 kilometre bins ``[n·s, (n+1)·s)`` an edge overlaps; each point at its bin's middle."""
    low, high = sorted((data["km_from"], data["km_to"]))
    first_km, last_km = network.section_km
    direction: Direction = data["direction"]
    metres_per_km = data["length_m"] / max(high - low, 1e-9)
    pieces = []
    for index in range(int(low // spacing_km), int(math.ceil(high / spacing_km))):
        bin_low, bin_high = index * spacing_km, (index + 1) * spacing_km
        overlap_km = min(high, bin_high) - max(low, bin_low)
        if overlap_km <= 0:
            continue
        middle = round((max(bin_low, first_km) + min(bin_high, last_km)) / 2, 1)
        location = network.locate(f"G1 K{middle:g} {direction.label}")
        pieces.append(((f"G1 K{middle:g} {direction.label}", band, location.lat, location.lon),
                       overlap_km * metres_per_km))
    return pieces


def _road_pieces(network: RoadNetwork, u: str, v: str, data: dict[str, Any], band: TimeBand, spacing_km: float):
    """Pieces of about ``spacing_km`` of a street or national road; each point at its piece's middle.

    Both directions of a two-way road share their points (keyed by the sorted end nodes)."""
    start, end = sorted((u, v))
    count = max(1, round(data["length_m"] / (spacing_km * 1000)))
    a, b = network.graph.nodes[start], network.graph.nodes[end]
    pieces = []
    for index in range(count):
        lat, lon = interpolate(a["lat"], a["lon"], b["lat"], b["lon"], (index + 0.5) / count)
        pieces.append(((f"{lat:.5f},{lon:.5f}", band, lat, lon), data["length_m"] / count))
    return pieces


def _sort_key(key: DemandKey) -> tuple:
    text, band, lat, lon = key
    return (list(TimeBand).index(band), lat, lon, text)


def _demand_point(key: DemandKey, weight: float, network: RoadNetwork, tiers: TierPolicy, sites, dataset: Dataset,
                  travel: TravelTimes, ops: OperationsPolicy, day: date) -> DemandPoint:
    text, band, lat, lon = key
    scene = network.locate(text)
    depart_at = datetime.combine(day, BAND_CLOCK[band]) + timedelta(seconds=ops.turnout_s)
    response = {}
    for site in sites:
        try:
            response[site.id] = ops.turnout_s + travel.route(site.node_id, scene, depart_at).travel_time_s
        except NoRouteError:
            pass  # cannot reach it at all under these conditions
    site_ids = frozenset(site.id for site in sites)
    depots = [s for s in dataset.sites if s.kind == SiteKind.DEPOT]
    in_city = any(haversine_m(scene.lat, scene.lon, s.lat, s.lon) <= tiers.city_radius_m for s in depots)
    if in_city:
        covering = frozenset(s for s, t in response.items() if t <= tiers.city.limit_s)
        near_sites, when_near, when_far = site_ids, covering, covering
    else:
        near_sites = frozenset(site.id for site in sites
                               if haversine_m(scene.lat, scene.lon, *network.node_lat_lon(site.node_id))
                               <= tiers.near_backup_radius_m)
        when_near = frozenset(s for s, t in response.items() if t <= tiers.near_backup.limit_s)
        when_far = frozenset(s for s, t in response.items() if t <= tiers.corridor.limit_s and s not in near_sites)
    return DemandPoint(id=f"{text}@{band.value}", location=text, band=band, weight=weight, near_sites=near_sites,
                       covers_when_near=when_near, covers_when_far=when_far, lat=scene.lat, lon=scene.lon,
                       city=in_city, response_s=tuple(sorted(response.items())))


# --------------------------------------------------------------------------- evaluating a staging
def expected_coverage(problem: StagingProblem, allocation: Mapping[str, int], busy_fraction: float) -> float:
    """Expected share of incidents reached within the limit with ``allocation`` (site → backups).

    A point covered by ``k`` backups is reached with probability ``1 - busy_fraction**k``.
    """
    _check_busy_fraction(busy_fraction)
    _check_allocation(problem, allocation)
    total = problem.total_weight
    if total <= 0:
        return 0.0
    return sum(point.weight * (1 - busy_fraction ** point.covers(allocation)) for point in problem.points) / total


def _check_allocation(problem: StagingProblem, allocation: Mapping[str, int]) -> None:
    for site, count in allocation.items():
        if site not in problem.sites:
            raise UnknownIdError("staging site", site, list(problem.sites))
        require(isinstance(count, int) and count >= 0, "backups", f"{site}={count} must be a whole number ≥ 0")


def _check_busy_fraction(busy_fraction: float) -> None:
    require(isinstance(busy_fraction, (int, float)) and 0 <= busy_fraction < 1, "busy_fraction",
            f"{busy_fraction} must be at least 0 and below 1")


def workload_busy_fraction(problem: StagingProblem, budget: int, period_s: int, service_s: int = 4 * 3600) -> float:
    """The busy fraction from rescue workload alone: incidents × service time / (backups × period).

    In the default data this is well under 1 %; the default busy fraction is larger because a backup
    is also unavailable while its crew is off shift or resting or the coach is on another duty.
    """
    require(budget >= 1, "budget", "at least one backup is needed for a busy fraction")
    require(period_s > 0, "period_s", "must be positive")
    return min(0.99, problem.total_weight * service_s / (budget * period_s))


# --------------------------------------------------------------------------- the CP-SAT model
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
            coefficient = round(SCALE * point.weight / weight_total * one_minus_q * sm.busy_fraction ** (k - 1)) \
                if weight_total > 0 else 0
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
    capacity = sum(sm.budget if sm.problem.capacity(s) is None else sm.problem.capacity(s) for s in covering)
    return min(sm.budget, capacity)


def _covering(sm: StagingModel, sites: frozenset[str]):
    return sum(sm.backups[site] for site in sorted(sites))


def add_objective(sm: StagingModel) -> None:
    """Maximise Σ_i Σ_k w_i (1-q) q^(k-1) y_ik (scaled to integers)."""
    sm.model.maximize(sum(coefficient * y for terms in sm.cover.values() for y, coefficient in terms))


def solve_staging(problem: StagingProblem, budget: int, busy_fraction: float = DEFAULT_BUSY_FRACTION,
                  params: StagingParams = StagingParams()) -> Staging:
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
    _check_budget(problem, budget)
    _check_busy_fraction(busy_fraction)
    started = time.perf_counter()
    sm = build_staging_model(problem, budget, busy_fraction)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = params.time_limit_s
    solver.parameters.num_workers = params.workers
    solver.parameters.random_seed = params.seed
    status = solver.solve(sm.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # x = any split of the budget is feasible
        raise InvalidValueError("budget", f"no staging of {budget} backups found in {params.time_limit_s:g} s "
                                          f"({solver.status_name(status)}); allow more time")
    allocation = {site: int(solver.value(var)) for site, var in sm.backups.items()}
    coverage = expected_coverage(problem, allocation, busy_fraction)
    optimal = status == cp_model.OPTIMAL
    bound = coverage if optimal else max(coverage, solver.best_objective_bound / SCALE)
    return Staging(
        sites=allocation, expected_coverage=coverage, budget=budget, busy_fraction=busy_fraction, optimal=optimal,
        coverage_bound=bound, objective_scaled=int(round(solver.objective_value)),
        point_coverage=tuple((p.id, 1 - busy_fraction ** p.covers(allocation)) for p in problem.points),
        solve_ms=int((time.perf_counter() - started) * 1000))


def _check_budget(problem: StagingProblem, budget: int) -> None:
    require(isinstance(budget, int) and not isinstance(budget, bool), "budget", f"{budget!r} is not a whole number")
    require(budget >= 0, "budget", f"{budget} is negative")
    capacities = [problem.capacity(site) for site in problem.sites]
    if all(capacity is not None for capacity in capacities):
        room = sum(capacities)
        require(budget <= room, "budget", f"{budget} backups do not fit: the sites hold at most {room}")


def coverage_curve(problem: StagingProblem, budgets: Sequence[int], busy_fraction: float = DEFAULT_BUSY_FRACTION,
                   params: StagingParams = StagingParams()) -> tuple[Staging, ...]:
    """The best staging for each budget (for a coverage-against-backups plot)."""
    return tuple(solve_staging(problem, budget, busy_fraction, params) for budget in budgets)


def brute_force_staging(problem: StagingProblem, budget: int, busy_fraction: float) -> tuple[dict[str, int], float]:
    """The best allocation by enumerating every split of the budget (tiny problems and tests only)."""
    _check_budget(problem, budget)
    best: tuple[dict[str, int], float] | None = None
    for split in _compositions(budget, len(problem.sites)):
        allocation = dict(zip(problem.sites, split))
        if any(problem.capacity(s) is not None and allocation[s] > problem.capacity(s) for s in problem.sites):
            continue
        value = expected_coverage(problem, allocation, busy_fraction)
        if best is None or value > best[1]:
            best = (allocation, value)
    assert best is not None  # _check_budget guarantees a split fits
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


# --------------------------------------------------------------------------- parsing and text
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


def staging_text(staging: Staging, dataset: Dataset | None = None) -> str:
    """A few lines for people: backups per site and the expected coverage."""
    lines = [f"Staging of {staging.budget} backup(s), busy fraction {staging.busy_fraction:.0%}"
             f"{'' if staging.optimal else ' (not proven optimal)'}:"]
    for site, count in staging.sites.items():
        name = _site_name(dataset, site)
        lines.append(f"  {site:<16} {count:>2}  {name}")
    lines.append(f"Expected share of incidents reached within the limit: {staging.expected_coverage:.1%}"
                 + ("" if staging.optimal else f" (at most {staging.coverage_bound:.1%} possible)"))
    return "\n".join(lines)


def _site_name(dataset: Dataset | None, site_id: str) -> str:
    if dataset is None:
        return ""
    try:
        return dataset.site(site_id).name
    except UnknownIdError:
        return ""


def staging_view(staging: Staging) -> dict[str, Any]:
    """The JSON form: ``sites`` as ``{site_id: count}`` and ``expected_coverage`` as a share."""
    return {"budget": staging.budget, "sites": dict(staging.sites), "expected_coverage": staging.expected_coverage,
            "busy_fraction": staging.busy_fraction, "optimal": staging.optimal,
            "coverage_bound": staging.coverage_bound, "solve_ms": staging.solve_ms}


# --------------------------------------------------------------------------- plots and files
def plot_coverage_curve(curve: Sequence[Staging], ax, simulated: Sequence[tuple[int, float, float, float]] = ()):
    """Expected coverage against the number of backups on ``ax``; ``simulated`` adds (budget, share,
    low, high) points with their confidence interval."""
    budgets = [s.budget for s in curve]
    ax.plot(budgets, [100 * s.expected_coverage for s in curve], "o-", label="expected (staging model)")
    for budget, share, low, high in simulated:
        ax.errorbar([budget], [100 * share], yerr=[[100 * (share - low)], [100 * (high - share)]], fmt="s",
                    color="tab:red", capsize=4, label="simulated (what-if, 95% CI)")
    ax.set_xlabel("backup coaches")
    ax.set_ylabel("incidents reached within the limit (%)")
    ax.set_ylim(0, 100)
    ax.set_xticks(budgets)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="lower right")
    return ax


def plot_staging_map(problem: StagingProblem, staging: Staging, corridor: Corridor, ax):
    """Demand points on ``ax`` coloured by their expected coverage, sized by weight; sites with their backups."""
    graph = corridor.network.graph
    for u, v, data in graph.edges(data=True):
        a, b = graph.nodes[u], graph.nodes[v]
        colour = "tab:brown" if data["road_class"] is RoadClass.NATIONAL else "0.7"
        ax.plot([a["lon"], b["lon"]], [a["lat"], b["lat"]], "-", color=colour, linewidth=0.8, zorder=1)
    coverage = dict(staging.point_coverage)
    largest = max((p.weight for p in problem.points), default=1.0) or 1.0
    merged: dict[tuple[float, float], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for p in problem.points:  # bands and both carriageways at one place drawn as one dot
        cell = merged[(round(p.lat, 3), round(p.lon, 3))]
        cell[0] += p.weight
        cell[1] += p.weight * coverage.get(p.id, 0.0)
    lats, lons, sizes, shares = [], [], [], []
    for (lat, lon), (weight, covered) in merged.items():
        lats.append(lat)
        lons.append(lon)
        sizes.append(20 + 200 * weight / largest)
        shares.append(covered / weight if weight else 0.0)
    dots = ax.scatter(lons, lats, s=sizes, c=shares, cmap="RdYlGn", vmin=0, vmax=1, zorder=3, edgecolors="0.3")
    ax.figure.colorbar(dots, ax=ax, label="expected share reached within the limit")
    for site_id, count in staging.sites.items():
        site = corridor.dataset.site(site_id)
        ax.plot(site.lon, site.lat, "s", color="tab:blue" if count else "white", markeredgecolor="tab:blue",
                markersize=10, zorder=4)
        ax.annotate(f"{site_id}: {count}", (site.lon, site.lat), fontsize=8, xytext=(6, -10),
                    textcoords="offset points")
    ax.set_title(f"{staging.budget} backups: {staging.expected_coverage:.0%} expected within the limit")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1 / 0.73)
    return ax


def write_staging(staging: Staging, curve: Sequence[Staging], out_dir, problem: StagingProblem | None = None,
                  corridor: Corridor | None = None) -> list:
    """Write ``staging.json``, ``coverage_by_budget.csv`` and ``.png`` (and ``staging_map.png`` given the
    problem and corridor) into ``out_dir``; return the paths written."""
    import json
    from pathlib import Path

    from matplotlib.figure import Figure  # no pyplot: leaves a notebook's backend alone

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "staging.json", out / "coverage_by_budget.csv", out / "coverage_by_budget.png"]
    written[0].write_text(json.dumps(staging_view(staging), indent=2) + "\n", encoding="utf-8")
    rows = ["budget,expected_coverage,optimal," + ",".join(staging.sites)]
    rows += [f"{s.budget},{s.expected_coverage:.6f},{str(s.optimal).lower()},"
             + ",".join(str(s.sites[site]) for site in staging.sites) for s in curve]
    written[1].write_text("\n".join(rows) + "\n", encoding="utf-8")
    figure = Figure(figsize=(6, 4))
    plot_coverage_curve(curve, figure.subplots())
    figure.tight_layout()
    figure.savefig(written[2], dpi=110)
    if problem is not None and corridor is not None:
        figure = Figure(figsize=(7, 6))
        plot_staging_map(problem, staging, corridor, figure.subplots())
        figure.tight_layout()
        written.append(out / "staging_map.png")
        figure.savefig(written[-1], dpi=110)
    return written


# --------------------------------------------------------------------------- the simulation check
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
    result: Any = field(default=None, repr=False, compare=False)  # the solver.whatif.WhatIfResult


def check_by_simulation(corridor: Corridor, staging: Staging, problem: StagingProblem | None = None, *,
                        reps: int = 3, days: int = 7, seed: int = 0, start: date | None = None,
                        calendar: str = "clear", engine: str = "local",
                        breakdown_factor: float = 1.0, progress=None) -> SimulationCheck:
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
    from solver.whatif import IncidentRates, WhatIfScenario, run_whatif, share_with_ci

    require(isinstance(days, int) and days >= 1, "days", f"{days!r} must be a whole number ≥ 1")
    require(breakdown_factor >= 1, "breakdown_factor", f"{breakdown_factor} must be at least 1")
    first_day = start or min(trip.departure for trip in corridor.dataset.trips).date()
    rates = IncidentRates()
    rates = replace(rates, mdbf_km=rates.mdbf_km / breakdown_factor)
    scenario = WhatIfScenario(first_day, first_day + timedelta(days=days - 1), staging.backups, calendar=calendar,
                              rates=rates)
    result = run_whatif(scenario, reps, seed, engine, progress=progress, corridor=corridor)
    skipped = corridor.dataset.tier_policy.pre_departure.name
    per_rep = [[o for o in replication.outcomes if o.tier != skipped] for replication in result.replications]
    share, low, high = share_with_ci([sum(o.reached_within_limit for o in rep) for rep in per_rep],
                                     [len(rep) for rep in per_rep])
    incidents = sum(len(rep) for rep in per_rep)
    within = share is not None and low <= staging.expected_coverage <= high
    explanation = "" if within else _explain(staging, share, incidents, per_rep)
    return SimulationCheck(staging.expected_coverage, share, low, high, incidents, reps, days, within, explanation,
                           breakdown_factor, result)


def _explain(staging: Staging, share: float | None, incidents: int, per_rep) -> str:
    if share is None:
        return ("the simulation produced no incident on the way (breakdowns are rare: about one a week on this "
                "timetable); run more replications or a longer period")
    reasons = []
    if share > staging.expected_coverage:
        reasons.append("the simulated dispatch also sends idle in-service coaches (the staff coaches waiting at the "
                       "Siping campus by day, coaches between their runs) and passing coaches with free seats, which "
                       "the staging model does not count")
        reasons.append(f"the busy fraction {staging.busy_fraction:.0%} is an assumption: in the simulation the "
                       f"backups are rarely busy (their drivers are on shift all service hours)")
    else:
        reasons.append("in the simulation a backup also needs a legal driver with hours left, the charter sign is "
                       "filed before boarding, and rescuers stay busy until they are back at their site")
        reasons.append("the staging model measures each 10-km stretch at its middle and takes each demand point's "
                       "time band at the leg's departure; a scene at the far end of a stretch, or in a congested "
                       "band, may miss a limit the model counts as met")
    missed = [o for rep in per_rep for o in rep if not o.reached_within_limit]
    if missed:
        tiers = sorted({o.tier for o in missed})
        reasons.append(f"{len(missed)} of {incidents} simulated incidents missed their limit (tiers {', '.join(tiers)})")
    return "; ".join(reasons)


def simulation_check_text(check: SimulationCheck) -> str:
    """Both numbers, the interval and, when they disagree, why."""
    if check.simulated is None:
        line = f"Simulation check ({check.reps} reps × {check.days} days): no incident on the way was simulated"
    else:
        line = (f"Simulation check ({check.reps} reps × {check.days} days, {check.incidents} incidents on the way): "
                f"expected {check.expected:.1%}, simulated {check.simulated:.1%} "
                f"(95% CI {check.ci_low:.1%}–{check.ci_high:.1%}) — "
                f"{'expected coverage within the interval' if check.within else 'OUTSIDE the interval'}")
    return line + (f"\n  why: {check.explanation}" if check.explanation else "")


def simulation_check_view(check: SimulationCheck) -> dict[str, Any]:
    return {"expected_coverage": check.expected, "simulated_coverage": check.simulated, "ci_low": check.ci_low,
            "ci_high": check.ci_high, "incidents": check.incidents, "reps": check.reps, "days": check.days,
            "within_interval": check.within, "explanation": check.explanation}
