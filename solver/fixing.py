"""Fixing before the full model: the rescue options no plan can use once the rescue terms are settled.

After the rescue terms have their values (passengers not reached, lateness, passenger delay), the
full model only keeps plans that meet them. A rescue option whose use forces passenger delay above
its settled value is in no such plan, and neither is any trip chained after it; dropping them
shrinks the model the trip and cost stages search. Two bounds, each blind where the other sees:

- the LP relaxation of choosing rescues (reduced-cost fixing): it sees what the groups share (one
  rescue per crew, coach and driver) but may use a coach in part;
- each group on its own, over whole coaches (an exact min-plus recursion): it sees integrality
  inside a group but not what the groups share.

On the 1,000-coach benchmark the LP is exact (its optimum equals the settled delay); together they
rule out 605 of 1,410 rescue options and 1,180 chained trips. On other generated fleets the LP is
weaker and the group bound rules out up to 490 of 1,530 where the LP alone finds 182.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from ortools.linear_solver import pywraplp

from fleetplan.instance import Instance, RescueOption

from solver.plans import (delay_min_per_passenger, group_by, late_penalty, own_passengers_delay_min, rescues_of_group,
                          unreached_penalty)

# The delay term takes whole values, so a bound half a minute above the settled delay already means
# a whole minute more; the half minute absorbs the LP's floating-point tolerances.
INTEGRALITY_MARGIN = 0.5


def rescue_options_ruled_out(instance: Instance, settled: Mapping[str, int]) -> frozenset[str]:
    """Ids of rescue options that no plan meeting the ``settled`` rescue term values can use, by
    reduced-cost fixing.

    The relaxation (seats, each group's passengers, one rescue per crew, per coach and per driver;
    passenger delay minimised with the two leading terms bounded) relaxes the full model: its
    at-most-ones are the full model's cliques less their trip options. With optimum z*, every plan
    that uses option ``o`` carries at least one passenger on it, so its delay is at least
    z* + rc(use_o) + rc(passengers_o). Empty when passenger delay is not settled or the relaxation
    has no optimum (nothing is then claimed)."""
    if "passenger_delay_min" not in settled or not instance.rescue_options:
        return frozenset()
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return frozenset()
    use = {o.id: lp.NumVar(0, 1, f"use_{o.id}") for o in instance.rescue_options}
    seats = {o.id: min(o.capacity, instance.group(o.group_id).passengers) for o in instance.rescue_options}
    passengers = {o.id: lp.NumVar(0, seats[o.id], f"pax_{o.id}") for o in instance.rescue_options}
    for option in instance.rescue_options:
        lp.Add(passengers[option.id] <= seats[option.id] * use[option.id])  # the tighter of seats and group size
        lp.Add(passengers[option.id] >= use[option.id])  # a used rescue carries someone
    for by in (lambda o: o.crew_id, lambda o: o.vehicle_id, lambda o: o.driver_id):
        for options in group_by(instance.rescue_options, by).values():
            lp.Add(sum(use[o.id] for o in options) <= 1)
    not_on_time, late = [], []
    for group in instance.groups:
        options = rescues_of_group(instance, group.id)
        left_behind = lp.NumVar(0, group.passengers, f"left_{group.id}")
        not_reached = lp.NumVar(0, group.passengers, f"late_{group.id}")
        lp.Add(sum(passengers[o.id] for o in options) + left_behind == group.passengers)
        lp.Add(sum(passengers[o.id] for o in options if o.late_s == 0) + not_reached == group.passengers)
        not_on_time.append(not_reached)
        late.append(unreached_penalty(instance, group.id) * left_behind)
    late += [late_penalty(instance, o) * passengers[o.id] for o in instance.rescue_options]
    if "passengers_not_reached" in settled:
        lp.Add(sum(not_on_time) <= settled["passengers_not_reached"])
    if "late_penalty" in settled:
        lp.Add(sum(late) <= settled["late_penalty"])
    lp.Minimize(sum(delay_min_per_passenger(o) * passengers[o.id] + own_passengers_delay_min(o) * use[o.id]
                    for o in instance.rescue_options))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return frozenset()
    floor = lp.Objective().Value()
    limit = settled["passenger_delay_min"] + INTEGRALITY_MARGIN
    return frozenset(o.id for o in instance.rescue_options
                     if floor + use[o.id].reduced_cost() + passengers[o.id].reduced_cost() > limit)


NO_WAY = 10 ** 12  # the cost of carrying a number of passengers no choice of coaches can carry


def rescue_options_ruled_out_group_by_group(instance: Instance, settled: Mapping[str, int]) -> frozenset[str]:
    """Ids of rescue options that no plan meeting the ``settled`` rescue term values can use, by a
    bound that is exact inside each group and ignores what the groups share.

    With everyone reached on time, each group's passengers all ride on-time rescues, one per coach,
    and the plan's delay is the sum of its groups' delays. The least delay of a group on its own,
    over whole coaches, is a bound the LP above does not see (it may use a coach in part); summed
    over the other groups and added to the least delay of this group with option ``o`` in use, it
    bounds every plan using ``o``. Late options carry no one in such plans at all."""
    if settled.get("passengers_not_reached") != 0 or "passenger_delay_min" not in settled:
        return frozenset()
    least, least_with = 0, {}
    for group in instance.groups:
        on_time = [o for o in rescues_of_group(instance, group.id) if o.late_s == 0]
        group_least, group_with = least_delay_with_each_option(group.passengers, on_time)
        if group_least >= NO_WAY:  # the group cannot all be reached on time: the settled values say otherwise
            return frozenset()
        least += group_least
        least_with.update({option_id: cost - group_least for option_id, cost in group_with.items()})
    limit = settled["passenger_delay_min"] + INTEGRALITY_MARGIN
    return frozenset(o.id for o in instance.rescue_options
                     if o.late_s > 0 or least + least_with[o.id] > limit)


def least_delay_with_each_option(passengers: int, options: list[RescueOption]) -> tuple[int, dict[str, int]]:
    """The least delay of carrying all ``passengers`` on these options, one per coach, and the least
    with each option carrying at least one of them (``NO_WAY`` where impossible)."""
    by_coach = list(group_by(options, lambda o: o.vehicle_id).values())
    tables = [_coach_delay_table(coach_options, passengers) for coach_options in by_coach]
    nobody = np.full(passengers + 1, NO_WAY, dtype=np.int64)
    nobody[0] = 0
    before, after = [nobody], [nobody]  # least delay per number carried by the first (last) i coaches
    for table in tables:
        before.append(_min_plus(before[-1], table))
    for table in reversed(tables):
        after.append(_min_plus(after[-1], table))
    with_option = {}
    for index, coach_options in enumerate(by_coach):
        others = _min_plus(before[index], after[len(by_coach) - 1 - index])  # every coach but this one
        for option in coach_options:
            carried = np.arange(1, min(option.capacity, passengers) + 1)
            costs = _delay_of(option, carried) + others[passengers - carried]
            with_option[option.id] = int(min(costs.min(), NO_WAY)) if carried.size else NO_WAY
    return int(before[-1][passengers]), with_option


def _coach_delay_table(options: list[RescueOption], passengers: int) -> np.ndarray:
    """Per number carried (0..passengers), the least delay of one coach carrying them on any of its
    options."""
    table = np.full(passengers + 1, NO_WAY, dtype=np.int64)
    table[0] = 0
    for option in options:
        carried = np.arange(1, min(option.capacity, passengers) + 1)
        table[carried] = np.minimum(table[carried], _delay_of(option, carried))
    return table


def _delay_of(option: RescueOption, carried: np.ndarray) -> np.ndarray:
    return delay_min_per_passenger(option) * carried + own_passengers_delay_min(option)


def _min_plus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The min-plus convolution: ``c[n] = min over i ≤ n of a[i] + b[n - i]``, capped at ``NO_WAY``."""
    n = np.arange(len(a))
    split = n[None, :] <= n[:, None]
    sums = np.where(split, a[None, :] + b[np.clip(n[:, None] - n[None, :], 0, None)], NO_WAY)
    return np.minimum(sums.min(axis=1), NO_WAY)


def without_rescue_options(instance: Instance, option_ids: frozenset[str]) -> Instance:
    """``instance`` without these rescue options and the trip options chained after them."""
    if not option_ids:
        return instance
    return replace(instance,
                   rescue_options=tuple(o for o in instance.rescue_options if o.id not in option_ids),
                   trip_options=tuple(o for o in instance.trip_options if o.after_rescue_id not in option_ids))
