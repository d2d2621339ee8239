"""Decision quality on the seeded single incidents: CP-SAT vs the greedy baseline vs VROOM (issue 3).

Every plan is scored by the evaluator's independent objective
(``fleetplan.evaluate.recompute_objective``) and checked by ``evaluate``. Reported per method:
passengers missing their limit (objective term 1), passengers not carried at all, passenger-minutes
late beyond the limit, the tier-weighted late penalty (term 2), passenger delay at the destination
(term 3), and how often CP-SAT's lexicographic objective is better, equal or worse than each baseline.

VROOM (pyvroom) gets the same problem as shipments with time windows:

- each coach with a rescue option is a vehicle (capacity = its seats, or a passing coach's free seats)
  starting where it stands, available from the option's departure (turnout and any required rest
  included); a passing coach starts at the scene when its timetable brings it there. Each coach is
  paired with one driver beforehand (earliest scene arrival first, each driver used once), because
  VROOM knows nothing of drivers;
- each stranded passenger is a one-seat shipment (so VROOM may split a group over several coaches):
  pickup at the scene with time window [report, deadline], delivery at the group's destination;
  ``skills`` allow exactly the coach–group pairs the instance has options for, so every VROOM route
  is legal for its driver;
- the duration matrix comes from the same network (``TravelTimes``) between the distinct points.

VROOM cannot express driver hours and rests, the charter-sign filing delay, the escalating lateness
penalty, passenger delay, later trips or corridor coverage. Its hard time windows leave passengers it
cannot reach in time unassigned, so a second VROOM pass offers the rest to the unused coaches with the
window extended by the instance's ``max_late_s`` ("VROOM + late pass"). VROOM's routes are mapped back
to the instance's options (times come from the option, passengers from VROOM) and the later trips are
re-covered with the greedy baseline's rule, so the evaluator scores complete plans. A VROOM route
that shuttles (scene → destination → scene, possible when both are in the same city) carries at most
its seats in the mapped plan.

Run: ``python -m bench.dispatch_quality [--incidents 200] [--seed 20261207]``. Target: CP-SAT never
worse than greedy.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import version

import numpy as np
import vroom

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import NoRouteError
from fleetplan.evaluate import evaluate, recompute_objective
from fleetplan.evaluate.facts import Facts
from fleetplan.instance import CrewKind, Instance, RescueOption
from fleetplan.model import VehicleClass
from fleetplan.network import TravelTimes
from fleetplan.operations import OperationsPolicy
from fleetplan.plan import Objective, Plan
from fleetplan.units import ceil_minutes

from solver.dispatch import SolveParams, build_plan, greedy_plan, prepare, solve
from solver.dispatch.greedy import cover_trips

from bench import header, load_average, markdown_table
from bench.incidents import DEFAULT_SEED, GeneratedIncident, describe, generate_incidents

UNREACHABLE_S = 10 * 24 * 3600  # duration-matrix entry for a pair with no route
HORIZON_S = 2 * 24 * 3600  # vehicles' time windows end here (seconds after the decision)
METHODS = ("cp-sat", "greedy", "vroom", "vroom+late")


# --------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class Score:
    """How one plan does, recomputed independently of the solver that made it."""

    objective: Objective
    passengers_not_carried: int
    passenger_min_late: int  # passengers × started minutes past the limit, carried passengers only
    problem_texts: tuple[str, ...]  # evaluator findings
    solve_ms: float

    @property
    def problems(self) -> int:
        return len(self.problem_texts)

    @property
    def not_reached(self) -> int:
        return self.objective.passengers_not_reached


def score(plan: Plan, instance: Instance, solve_ms: float, ops: OperationsPolicy = OperationsPolicy()) -> Score:
    """The evaluator's objective and findings for ``plan``, plus lateness in passenger-minutes."""
    facts = Facts(instance, ops)
    late = 0
    carried: Counter = Counter()
    for rescue in plan.rescues:
        deadline, _ = facts.deadline(instance.group(rescue.group_id))
        late += rescue.passengers * ceil_minutes((rescue.scene_arrival - deadline).total_seconds())
        carried[rescue.group_id] += rescue.passengers
    not_carried = sum(g.passengers - carried[g.id] for g in instance.groups)
    return Score(
        recompute_objective(plan, instance, ops), not_carried, late, tuple(evaluate(plan, instance, ops)), solve_ms
    )


# --------------------------------------------------------------------------- VROOM
@dataclass(frozen=True)
class _Vehicle:
    index: int
    options: dict[str, RescueOption]  # group id → the option of this coach's paired crew
    capacity: int
    start_point: int
    available_s: int
    service_s: int


def vroom_plans(
    instance: Instance, ops: OperationsPolicy = OperationsPolicy(), *, threads: int = 2, exploration_level: int = 5
) -> dict[str, tuple[Plan, float]]:
    """VROOM's plans for ``instance``: ``"vroom"`` (hard windows) and ``"vroom+late"`` (plus a second
    pass with late windows for the passengers left), each with its cumulative wall time in ms.

    See the module docstring for how the problem is mapped to VROOM and back.
    """
    started = time.perf_counter()
    travel = TravelTimes(instance.network, instance.conditions, VehicleClass.COACH_12M)
    points: list = []  # Locations, by matrix index
    point_index: dict[str, int] = {}

    def point(location) -> int:
        if location.key not in point_index:
            point_index[location.key] = len(points)
            points.append(location)
        return point_index[location.key]

    vehicles = _vroom_vehicles(instance, ops, point)
    scene_point = {g.id: point(g.scene) for g in instance.groups}
    destination_point = {g.id: point(instance.network.locate(g.destination_node)) for g in instance.groups}
    matrix = _duration_matrix(travel, points, instance.at)
    remaining = {g.id: g.passengers for g in instance.groups}
    chosen: dict[int, tuple[str, int]] = {}  # vehicle index → (group id, passengers)
    plans = {}
    for method, extra_s in (("vroom", 0), ("vroom+late", ops.max_late_s)):
        free = [v for v in vehicles if v.index not in chosen]
        if free and any(remaining.values()):
            assignment = _solve_vroom(
                instance, free, remaining, scene_point, destination_point, matrix, extra_s, threads, exploration_level
            )
            for vehicle_index, (group_id, passengers) in assignment.items():
                chosen[vehicle_index] = (group_id, passengers)
                remaining[group_id] -= passengers
        plans[method] = (_plan_from_vroom(instance, vehicles, chosen, method), (time.perf_counter() - started) * 1000)
    return plans


def _plan_from_vroom(
    instance: Instance, vehicles: list[_Vehicle], chosen: dict[int, tuple[str, int]], source: str
) -> Plan:
    by_index = {v.index: v for v in vehicles}
    rescues = {by_index[i].options[g].id: p for i, (g, p) in chosen.items()}
    # later trips: VROOM has no notion of them; re-cover them with the greedy baseline's rule
    trips = cover_trips(instance, rescues)
    return build_plan(instance, rescues, trips, source=source)


def _vroom_vehicles(instance: Instance, ops: OperationsPolicy, point) -> list[_Vehicle]:
    """One vehicle per coach with options, each paired with one driver (each driver used once)."""
    by_vehicle: dict[str, list[RescueOption]] = defaultdict(list)
    for option in instance.rescue_options:
        by_vehicle[option.vehicle_id].append(option)
    order = sorted(by_vehicle, key=lambda v: min((o.scene_arrival, o.id) for o in by_vehicle[v]))
    taken_drivers: set[str] = set()
    vehicles = []
    for vehicle_id in order:
        by_crew: dict[str, list[RescueOption]] = defaultdict(list)
        for option in by_vehicle[vehicle_id]:
            if option.driver_id not in taken_drivers:
                by_crew[option.crew_id].append(option)
        if not by_crew:
            continue
        # the crew serving the most groups, then the earliest at a scene
        crew_id = min(by_crew, key=lambda c: (-len(by_crew[c]), min(o.scene_arrival for o in by_crew[c]), c))
        options = by_crew[crew_id]
        crew = instance.crew(crew_id)
        taken_drivers.add(crew.driver_id)
        passing = crew.kind == CrewKind.PASSING
        first = min(options, key=lambda o: o.scene_arrival)
        start = (
            point(instance.group(first.group_id).scene) if passing else point(instance.network.locate(crew.origin_node))
        )
        available = first.scene_arrival if passing else min(o.depart_at for o in options)
        vehicles.append(
            _Vehicle(
                len(vehicles),
                {o.group_id: o for o in options},
                crew.capacity,
                start,
                _seconds_after(instance.at, available),
                ops.passing_dwell_s if passing else ops.transfer_s,
            )
        )
    return vehicles


def _seconds_after(origin: datetime, moment: datetime) -> int:
    return max(0, int((moment - origin).total_seconds()))


def _duration_matrix(travel: TravelTimes, points: list, at: datetime) -> np.ndarray:
    size = len(points)
    matrix = np.zeros((size, size), dtype=np.uint32)
    for i, origin in enumerate(points):
        for j, destination in enumerate(points):
            if i != j:
                try:
                    matrix[i, j] = travel.travel_time_s(origin, destination, at)
                except NoRouteError:
                    matrix[i, j] = UNREACHABLE_S
    return matrix


def _solve_vroom(
    instance: Instance,
    vehicles: list[_Vehicle],
    remaining: dict[str, int],
    scene_point: dict[str, int],
    destination_point: dict[str, int],
    matrix: np.ndarray,
    extra_s: int,
    threads: int,
    exploration_level: int,
) -> dict[int, tuple[str, int]]:
    """One VROOM run; returns vehicle index → (group id, passengers picked up)."""
    problem = vroom.Input()
    problem.set_durations_matrix("car", matrix)
    group_ids = [g.id for g in instance.groups]
    for vehicle in vehicles:
        skills = {group_ids.index(g) for g in vehicle.options}
        problem.add_vehicle(
            vroom.Vehicle(
                vehicle.index,
                start=vehicle.start_point,
                capacity=[vehicle.capacity],
                skills=skills,
                time_window=vroom.TimeWindow(vehicle.available_s, HORIZON_S),
            )
        )
    owner: dict[int, str] = {}
    job_id = 0
    for skill, group in enumerate(instance.groups):
        deadline_s = _seconds_after(instance.at, group.deadline + timedelta(seconds=extra_s))
        report_s = _seconds_after(instance.at, group.reported_at)
        for _ in range(remaining[group.id]):
            owner[job_id] = group.id
            problem.add_job(
                vroom.Shipment(
                    pickup=vroom.ShipmentStep(
                        job_id,
                        location=scene_point[group.id],
                        time_windows=[vroom.TimeWindow(report_s, max(report_s, deadline_s))],
                    ),
                    delivery=vroom.ShipmentStep(job_id, location=destination_point[group.id]),
                    amount=[1],
                    skills={skill},
                )
            )
            job_id += 1
    if not owner:
        return {}
    routes = problem.solve(exploration_level=exploration_level, nb_threads=threads).routes
    if routes.empty or "id" not in routes.columns:  # pyvroom drops the id column when no job is served
        return {}
    pickups = routes[routes["type"] == "pickup"]
    counts: dict[int, Counter] = defaultdict(Counter)
    for vehicle_index, job in zip(pickups["vehicle_id"], pickups["id"]):
        counts[int(vehicle_index)][owner[int(job)]] += 1
    # A plan's rescue is one run from the scene to the destination with at most its seats aboard.
    # VROOM may shuttle (pick up, deliver, come back) or mix groups; keep the largest group, capped
    # at the seats: the passengers beyond them count as not carried by this plan.
    capacity = {v.index: v.capacity for v in vehicles}
    assignment = {}
    for vehicle_index, counter in counts.items():
        group_id, passengers = counter.most_common(1)[0]
        assignment[vehicle_index] = (group_id, min(passengers, capacity[vehicle_index]))
    return assignment


# --------------------------------------------------------------------------- one incident
@dataclass(frozen=True)
class Comparison:
    generated: GeneratedIncident
    scores: dict[str, Score]  # method → score
    cp_status: str


def compare(
    corridor: Corridor, generated: GeneratedIncident, params: SolveParams = SolveParams(), vroom_exploration: int = 3
) -> Comparison:
    """Solve one incident with every method and score each plan."""
    instance = prepare(corridor, [generated.incident], corridor.dataset.clear_conditions)
    plans: dict[str, tuple[Plan, float]] = {}
    started = time.perf_counter()
    result = solve(instance, params)
    cp_ms = (time.perf_counter() - started) * 1000
    plans["cp-sat"] = (result.best or build_plan(instance, {}, (), source="cp-sat"), cp_ms)
    started = time.perf_counter()
    plans["greedy"] = (greedy_plan(instance), (time.perf_counter() - started) * 1000)
    plans.update(vroom_plans(instance, exploration_level=vroom_exploration))
    scores = {method: score(plan, instance, ms) for method, (plan, ms) in plans.items()}
    return Comparison(generated, scores, result.status.value)


# --------------------------------------------------------------------------- report
def totals_rows(comparisons: Sequence[Comparison]) -> list[list[object]]:
    rows = []
    for method in METHODS:
        scores = [c.scores[method] for c in comparisons]
        rows.append(
            [
                method,
                sum(s.not_reached for s in scores),
                sum(1 for s in scores if s.not_reached),
                sum(s.passengers_not_carried for s in scores),
                sum(s.passenger_min_late for s in scores),
                sum(s.objective.late_penalty for s in scores),
                sum(s.objective.passenger_delay_min for s in scores),
                sum(s.objective.trips_uncovered for s in scores),
                sum(s.problems for s in scores),
                sum(s.solve_ms for s in scores) / len(scores),
            ]
        )
    return rows


def versus_rows(comparisons: Sequence[Comparison]) -> list[list[object]]:
    rows = []
    for method in METHODS[1:]:
        better = equal = worse = 0
        worse_statuses: Counter = Counter()
        for c in comparisons:
            ours, theirs = c.scores["cp-sat"].objective, c.scores[method].objective
            better += ours < theirs
            equal += ours == theirs
            if theirs < ours:
                worse += 1
                worse_statuses[c.cp_status] += 1
        rows.append(
            [
                f"cp-sat vs {method}",
                better,
                equal,
                worse,
                ", ".join(f"{s} {n}" for s, n in sorted(worse_statuses.items())) or "–",
            ]
        )
    return rows


def problem_lines(comparisons: Sequence[Comparison]) -> list[str]:
    """Every evaluator finding, as ``method incident: problem``."""
    return [
        f"- {method} {c.generated.incident.id} ({c.generated.placement}): {text}"
        for c in comparisons
        for method in METHODS
        for text in c.scores[method].problem_texts
    ]


def worse_than(comparisons: Sequence[Comparison], method: str) -> list[Comparison]:
    """Incidents where CP-SAT's objective is lexicographically worse than ``method``'s."""
    return [c for c in comparisons if c.scores[method].objective < c.scores["cp-sat"].objective]


def report(
    comparisons: Sequence[Comparison],
    generated: Sequence[GeneratedIncident],
    seed: int,
    vroom_exploration: int = 3,
    load_at_start: str | None = None,
) -> str:
    counts = describe(generated)
    statuses = Counter(c.cp_status for c in comparisons)
    lines = [
        header(f"Dispatch decision quality, default data ({len(comparisons)} incidents, seed {seed})", load_at_start),
        "Incidents: "
        + "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) for name, c in counts.items()),
        "",
        "CP-SAT with default SolveParams (1 s, 3 plans; the best plan is scored); status: "
        + ", ".join(f"{s} {n}" for s, n in sorted(statuses.items()))
        + f". VROOM: pyvroom {version('pyvroom')}, exploration level {vroom_exploration}, 2 threads.",
        "",
        "### Totals over all incidents (lower is better)",
        "",
        markdown_table(
            [
                "method",
                "pax missing limit",
                "incidents with any",
                "pax not carried",
                "pax-min late",
                "late penalty",
                "pax delay (pax-min)",
                "trips uncovered",
                "evaluator problems",
                "mean ms",
            ],
            totals_rows(comparisons),
        ),
        "",
        "### Lexicographic objective, incident by incident",
        "",
        markdown_table(
            ["comparison", "cp-sat better", "equal", "cp-sat worse", "CP-SAT status when worse"],
            versus_rows(comparisons),
        ),
    ]
    problems = problem_lines(comparisons)
    if problems:
        lines += ["", "Evaluator findings:"] + problems
    for method in METHODS[1:]:
        worse = worse_than(comparisons, method)
        if method != "greedy":  # only a proven optimum beaten would point at a model error
            worse = [c for c in worse if c.cp_status == "optimal"]
        if worse:
            lines += ["", f"CP-SAT {'' if method == 'greedy' else 'proven optimal yet '}worse than {method} on:"]
            lines += [
                f"- {c.generated.incident.id} {c.generated.incident.vehicle_id} {c.generated.incident.location} "
                f"{c.generated.incident.at:%Y-%m-%d %H:%M:%S} (status {c.cp_status}): cp-sat "
                f"{c.scores['cp-sat'].objective.as_dict()} vs {method} {c.scores[method].objective.as_dict()}"
                for c in worse
            ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; print and return the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--vroom-exploration",
        type=int,
        default=3,
        choices=range(1, 6),
        help="VROOM exploration level (5 is its most thorough, about twice as slow)",
    )
    args = parser.parse_args(argv)
    load_at_start = load_average()
    corridor = load_corridor()
    generated = generate_incidents(corridor, args.incidents, args.seed)
    comparisons = [compare(corridor, g, vroom_exploration=args.vroom_exploration) for g in generated]
    text = report(comparisons, generated, args.seed, args.vroom_exploration, load_at_start)
    print(text)
    return text


if __name__ == "__main__":
    main()
