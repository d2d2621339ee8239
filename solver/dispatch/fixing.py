"""Fixing before the full model: the rescue options no plan can use once the rescue terms are settled.

After the rescue terms have their values (passengers not reached, lateness, passenger delay), the
full model only keeps plans that meet them. A rescue option whose use forces passenger delay above
its settled value is in no such plan, and neither is any trip chained after it; dropping them
shrinks the model the trip and cost stages search.

Both bounds come from one LP, the relaxation of choosing rescues (seats, each group's passengers,
one rescue per crew, per coach and per driver; passenger delay minimised with the leading terms
bounded). It relaxes the full model: its at-most-ones are the full model's cliques less their trip
options.

- **Reduced costs.** With LP optimum z*, a plan that uses option ``o`` carries at least one
  passenger on it, so its delay is at least z* + rc(use_o) + rc(passengers_o).
- **Routes.** A route through two scenes is in the LP too (its seats shared by its groups, its
  use in the cliques of its crew, coach and driver); a plan that uses it carries at least one
  passenger at each scene, so its bound is z* + rc(use) + the rc of each of its loads.
- **Lagrangian, group by group** (without routes, which tie two groups together). When everyone is reached on time, pricing each crew, coach and
  driver at its clique's dual splits the problem into one small problem per group, solved exactly
  over whole coaches (a min-plus recursion over the group's coaches). The LP may use a coach in
  part; these group problems cannot, so their bound is at least the LP's, and it holds for every
  plan (a price times a clique's slack is never positive).

On the 1,000-coach benchmark and six of seven other generated fleets the Lagrangian bound equals the
settled delay; it rules out 274–927 of 1,270–1,530 rescue options, where reduced costs alone find
139–858 (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.linear_solver import pywraplp

from fleetplan.instance import Instance, RescueOption
from fleetplan.units import ceil_minutes

from solver.dispatch.plans import (
    delay_min_per_passenger,
    group_by,
    late_penalty,
    own_passengers_delay_min,
    rescues_of_group,
    unreached_penalty,
    visit_late_penalty,
    visits_of_group,
)

# The delay term takes whole values, so a bound half a minute above the settled delay already means
# a whole minute more; the half minute absorbs floating-point tolerances.
INTEGRALITY_MARGIN = 0.5
INF = pywraplp.Solver.infinity()
NO_WAY = 1e12  # the delay of carrying a number of passengers no choice of coaches can carry


def rescue_options_ruled_out(
    instance: Instance, settled: Mapping[str, int], relaxation: Relaxation | None = None
) -> frozenset[str]:
    """Ids of rescue options that no plan meeting the ``settled`` rescue term values can use.

    ``relaxation``: :func:`relaxation_of` with the same leading terms settled, if solved already. Empty
    when passenger delay is not settled or the relaxation has no optimum (nothing is then claimed)."""
    if "passenger_delay_min" not in settled or not instance.rescue_options:
        return frozenset()
    relaxation = relaxation or relaxation_of(instance, settled)
    if relaxation is None:
        return frozenset()
    limit = settled["passenger_delay_min"] + INTEGRALITY_MARGIN
    ruled_out = {option_id for option_id, cost in relaxation.reduced_cost.items() if relaxation.floor + cost > limit}
    if settled.get("passengers_not_reached") == 0 and not instance.route_options:  # routes span groups
        ruled_out |= _ruled_out_group_by_group(instance, relaxation, limit)
    return frozenset(ruled_out)


def without_rescue_options(instance: Instance, option_ids: frozenset[str]) -> Instance:
    """``instance`` without these rescue and route options and the trip options chained after them."""
    if not option_ids:
        return instance
    return replace(
        instance,
        rescue_options=tuple(o for o in instance.rescue_options if o.id not in option_ids),
        trip_options=tuple(
            o
            for o in instance.trip_options
            if o.after_rescue_id not in option_ids and o.after_route_id not in option_ids
        ),
        route_options=tuple(r for r in instance.route_options if r.id not in option_ids),
    )


# --------------------------------------------------------------------------- the LP
@dataclass(frozen=True)
class Relaxation:
    """The LP's optimum, its reduced costs and clique prices, and its solution."""

    floor: float  # the LP optimum z*
    reduced_cost: dict[str, float]  # option → rc(use) + rc(passengers)
    price: dict[str, float]  # option → the duals of its crew, coach and driver cliques (each ≥ 0)
    prices_total: float  # the sum of every clique's dual
    used: dict[str, float] = field(default_factory=dict)  # rescue option → its use in the LP's solution
    carried: dict[str, float] = field(default_factory=dict)  # rescue option → the passengers it carries


def relaxation_of(instance: Instance, settled: Mapping[str, int]) -> Relaxation | None:
    """The LP (see the module's text) with the leading terms in ``settled`` at most their values;
    None when it has no optimum."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None
    options = instance.rescue_options
    seats = {o.id: min(o.capacity, instance.group(o.group_id).passengers) for o in options}
    use = {o.id: lp.NumVar(0, 1, f"use_{o.id}") for o in options}
    passengers: dict[str | tuple[str, str], pywraplp.Variable] = {
        o.id: lp.NumVar(0, seats[o.id], f"pax_{o.id}") for o in options
    }
    for option in options:
        _row(lp, -INF, 0, [(passengers[option.id], 1), (use[option.id], -seats[option.id])])
        _row(lp, 0, INF, [(passengers[option.id], 1), (use[option.id], -1)])  # a used rescue carries someone
    routes = instance.route_options
    for route in routes:  # a route: its seats shared by the groups it calls for, each sending someone
        use[route.id] = lp.NumVar(0, 1, f"use_{route.id}")
        loads = []
        for visit in route.visits:
            most = min(route.capacity, instance.group(visit.group_id).passengers)
            pax = passengers[route.id, visit.group_id] = lp.NumVar(0, most, f"pax_{route.id}@{visit.group_id}")
            _row(lp, 0, INF, [(pax, 1), (use[route.id], -1)])
            loads.append((pax, 1))
        _row(lp, -INF, 0, [*loads, (use[route.id], -route.capacity)])
    # A clique of one option repeats its bound use ≤ 1; left out, it carries no price, so with nothing
    # shared the group problems are the exact ones.
    cliques = [
        (_row(lp, -INF, 1, [(use[o.id], 1) for o in members]), members)
        for by in (lambda o: o.crew_id, lambda o: o.vehicle_id, lambda o: o.driver_id)
        for members in group_by([*options, *routes], by).values()
        if len(members) > 1
    ]
    not_on_time = []
    late = [(passengers[o.id], late_penalty(instance, o)) for o in options]
    late += [
        (passengers[r.id, v.group_id], visit_late_penalty(instance, v.group_id, v.late_s))
        for r in routes
        for v in r.visits
    ]
    for group in instance.groups:
        parts = [(passengers[o.id], o.late_s) for o in rescues_of_group(instance, group.id)]
        parts += [(passengers[r.id, group.id], v.late_s) for r, v in visits_of_group(instance, group.id)]
        left_behind = lp.NumVar(0, group.passengers, f"left_{group.id}")
        not_reached = lp.NumVar(0, group.passengers, f"late_{group.id}")
        _row(lp, group.passengers, group.passengers, [*((pax, 1) for pax, _ in parts), (left_behind, 1)])
        on_time = [(pax, 1) for pax, late_s in parts if late_s == 0]
        _row(lp, group.passengers, group.passengers, [*on_time, (not_reached, 1)])
        not_on_time.append((not_reached, 1))
        late.append((left_behind, unreached_penalty(instance, group.id)))
    if "passengers_not_reached" in settled:
        _row(lp, -INF, settled["passengers_not_reached"], not_on_time)
    if "late_penalty" in settled:
        _row(lp, -INF, settled["late_penalty"], late)
    objective = lp.Objective()
    for variable, coefficient in (
        [(passengers[o.id], delay_min_per_passenger(o)) for o in options]
        + [(use[o.id], own_passengers_delay_min(o)) for o in options]
        + [(passengers[r.id, v.group_id], ceil_minutes(v.delay_at_destination_s)) for r in routes for v in r.visits]
        + [(use[r.id], own_passengers_delay_min(r)) for r in routes]
    ):
        objective.SetCoefficient(variable, objective.GetCoefficient(variable) + coefficient)
    objective.SetMinimization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    price = dict.fromkeys(use, 0.0)
    prices_total = 0.0
    for constraint, members in cliques:
        dual = max(-constraint.dual_value(), 0.0)  # a ≤ row of a minimisation: its dual is ≤ 0
        prices_total += dual
        for option in members:
            price[option.id] += dual
    # a used option carries at least one passenger, a used route at least one at each of its scenes
    reduced_cost = {o.id: use[o.id].reduced_cost() + passengers[o.id].reduced_cost() for o in options}
    reduced_cost |= {
        r.id: use[r.id].reduced_cost() + sum(passengers[r.id, g].reduced_cost() for g in r.group_ids) for r in routes
    }
    return Relaxation(
        floor=lp.Objective().Value(),
        reduced_cost=reduced_cost,
        price=price,
        prices_total=prices_total,
        used={o.id: use[o.id].solution_value() for o in options},
        carried={o.id: passengers[o.id].solution_value() for o in options},
    )


def _row(
    lp: pywraplp.Solver, lower: float, upper: float, terms: Sequence[tuple[pywraplp.Variable, float]]
) -> pywraplp.Constraint:
    """``lower ≤ Σ coefficient · variable ≤ upper``, its coefficients set directly: the natural
    ``lp.Add(expression <= …)`` builds and walks a Python expression per row, on the 1,000-coach
    benchmark about an eighth of the whole fixing. A variable named twice has its coefficients added."""
    row = lp.Constraint(lower, upper)
    for variable, coefficient in terms:
        row.SetCoefficient(variable, row.GetCoefficient(variable) + coefficient)
    return row


# --------------------------------------------------------------------------- group by group
def _ruled_out_group_by_group(instance: Instance, relaxation: Relaxation, limit: float) -> set[str]:
    """Options whose Lagrangian bound exceeds ``limit``, with everyone reached on time: each group's
    passengers all ride on-time rescues, so late options carry no one."""
    bound, extra_with = -relaxation.prices_total, {}
    for group in instance.groups:
        on_time = [o for o in rescues_of_group(instance, group.id) if o.late_s == 0]
        least, least_with = least_delay_with_each_option(group.passengers, on_time, relaxation.price)
        if least >= NO_WAY:  # this group cannot all be reached on time, against the settled values
            return set()
        bound += least
        extra_with.update({option_id: cost - least for option_id, cost in least_with.items()})
    return {o.id for o in instance.rescue_options if o.late_s > 0 or bound + extra_with[o.id] > limit}


def least_delay_with_each_option(
    passengers: int, options: list[RescueOption], price: Mapping[str, float]
) -> tuple[float, dict[str, float]]:
    """The least priced delay of carrying all ``passengers`` on these options, one per coach, and
    the least with each option carrying at least one of them (``NO_WAY`` where impossible). An
    option used costs its delay plus its ``price``."""
    by_coach = list(group_by(options, lambda o: o.vehicle_id).values())
    tables = [_coach_table(coach_options, passengers, price) for coach_options in by_coach]
    nobody = np.full(passengers + 1, NO_WAY)
    nobody[0] = 0.0
    before, after = [nobody], [nobody]  # least per number carried by the first (last) i coaches
    for table in tables:
        before.append(_min_plus(before[-1], table))
    for table in reversed(tables):
        after.append(_min_plus(after[-1], table))
    with_option = {}
    for index, coach_options in enumerate(by_coach):
        others = _min_plus(before[index], after[len(by_coach) - 1 - index])  # every coach but this one
        for option in coach_options:
            carried = np.arange(1, min(option.capacity, passengers) + 1)
            costs = _cost(option, carried, price) + others[passengers - carried]
            with_option[option.id] = float(min(costs.min(), NO_WAY)) if carried.size else NO_WAY
    return float(before[-1][passengers]), with_option


def _coach_table(options: list[RescueOption], passengers: int, price: Mapping[str, float]) -> np.ndarray:
    """Per number carried (0..passengers), the least cost of one coach carrying them on any of its options."""
    table = np.full(passengers + 1, NO_WAY)
    table[0] = 0.0
    for option in options:
        carried = np.arange(1, min(option.capacity, passengers) + 1)
        table[carried] = np.minimum(table[carried], _cost(option, carried, price))
    return table


def _cost(option: RescueOption, carried: np.ndarray, price: Mapping[str, float]) -> np.ndarray:
    return delay_min_per_passenger(option) * carried + own_passengers_delay_min(option) + price[option.id]


def _min_plus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The min-plus convolution ``c[n] = min over i ≤ n of a[i] + b[n - i]``, capped at ``NO_WAY``."""
    n = np.arange(len(a))
    split = n[None, :] <= n[:, None]
    sums = np.where(split, a[None, :] + b[np.clip(n[:, None] - n[None, :], 0, None)], NO_WAY)
    return np.minimum(sums.min(axis=1), NO_WAY)
