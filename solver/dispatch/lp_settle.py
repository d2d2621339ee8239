"""The rescue terms settled by the fixing's LP, when its optimum is a plan (issue 18 §5).

On a large model the solve settles the rescue terms with CP-SAT on the rescues alone, and then solves
the LP of :mod:`solver.dispatch.fixing` to rule out rescue options. With every passenger reached on
time, that LP minimises the passenger delay over a relaxation of the same choices, so its optimum bounds
every plan's delay. When its solution, rounded, is a plan (each crew, coach and driver sent once, seats
and groups kept, a group not split unless splitting is allowed) that reaches everyone on time with a
delay within half a minute of that bound, the plan is optimal for the three rescue terms: the CP-SAT
call, and its model, are not needed. The fixing then uses the same LP (also when CP-SAT settles).

On the 1,000-coach benchmark's 8 fleets the LP's optimum equals the settled delay on every fleet, and
its solution rounds to such a plan on all but the first (docs/benchmarks.md, stops 36 and 41). Anything
short of a plan (routes, a choice that rounds badly, someone not reached) leaves it to CP-SAT: first
among the options a plan at the LP's floor may use, then, if none is there, among all of them
(:func:`solver.dispatch.solve.solve_lexicographic`).
"""

from __future__ import annotations

from collections import Counter

from fleetplan.instance import Instance

from solver.dispatch import greedy
from solver.dispatch.fixing import INTEGRALITY_MARGIN, Relaxation, relaxation_of
from solver.dispatch.params import SolveParams
from solver.dispatch.plans import objective_from
from solver.dispatch.stages import Solution, StagesReached

EVERYONE_ON_TIME = {"passengers_not_reached": 0, "late_penalty": 0}


def settled_by_relaxation(instance: Instance, params: SolveParams) -> tuple[StagesReached | None, Relaxation | None]:
    """The rescue terms settled by the LP with everyone reached on time, with the plan that meets them
    and the greedy trip covers (as the CP-SAT settle gives them), or None; and the LP, for the fixing
    (None without an optimum or when routes are modelled, which this check does not cover)."""
    if instance.route_options:
        return None, None
    relaxation = relaxation_of(instance, EVERYONE_ON_TIME)
    if relaxation is None:
        return None, None
    rescues = rounded_rescues(relaxation)
    if not is_rescue_plan(instance, rescues, params.allow_split):
        return None, relaxation
    objective = objective_from(instance, rescues, frozenset())
    if objective.passengers_not_reached or objective.late_penalty:
        return None, relaxation
    if objective.passenger_delay_min > relaxation.floor + INTEGRALITY_MARGIN:
        return None, relaxation
    values = {**EVERYONE_ON_TIME, "passenger_delay_min": objective.passenger_delay_min}
    solution = Solution(rescues, frozenset(greedy.cover_trips(instance, rescues)))
    return StagesReached(solution=solution, values=values, bounds=dict(values)), relaxation


def rounded_rescues(relaxation: Relaxation) -> dict[str, int]:
    """Rescue option → passengers of the LP's solution rounded to whole passengers: every option that
    carries one or more is sent. Whatever comes out is checked as a plan before it is trusted.

    Rounded by the passengers, not by the use: where a group is split, the LP uses each coach only as
    far as its share fills the seats the group could take (13 of a group of 30: used 0.43), so a coach
    used less than half would have been dropped with its passengers (fleets 3, 5 and 8 of the
    1,000-coach benchmark)."""
    return {option_id: round(carried) for option_id, carried in relaxation.carried.items() if round(carried) >= 1}


def is_rescue_plan(instance: Instance, rescues: dict[str, int], allow_split: bool) -> bool:
    """Whether ``rescues`` (option → passengers) keeps the rules of the model on the rescues alone:
    each used option carries at least one passenger and no more than its seats or its group; each crew,
    coach and driver goes once; no group sends off more than it has, nor uses two coaches unless
    splitting is allowed."""
    options = {o.id: o for o in instance.rescue_options}
    used = [(options[option_id], passengers) for option_id, passengers in rescues.items()]
    for option, passengers in used:
        if not 1 <= passengers <= min(option.capacity, instance.group(option.group_id).passengers):
            return False
    for resource in ("crew_id", "vehicle_id", "driver_id"):
        if max(Counter(getattr(option, resource) for option, _ in used).values(), default=0) > 1:
            return False
    sent = Counter[str]()
    for option, passengers in used:
        sent[option.group_id] += passengers
    if any(sent[group.id] > group.passengers for group in instance.groups):
        return False
    coaches_per_group = Counter(option.group_id for option, _ in used)
    return allow_split or max(coaches_per_group.values(), default=0) <= 1
