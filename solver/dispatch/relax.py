"""The smallest changes that would make an infeasible dispatch feasible (DESIGN §3.2).

The kinds: a later response limit by N minutes (the least N with which every passenger is reached),
splitting a group over several smaller coaches, a second (relief) driver for a coach that was left
out only because no legal driver could take it, an escorted entry through a road closure, and the
number of reachable seats missing.
"""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from fleetplan.instance import Instance, RejectionCode, RescueOption
from fleetplan.units import ceil_minutes

from solver.dispatch.model import build_model
from solver.dispatch.params import Allowance, SolveParams
from solver.dispatch.result import Relaxation

DRIVER_ONLY_CODES = {RejectionCode.NO_DRIVER, RejectionCode.HOURS_LEFT, RejectionCode.REST_DUE}
# Each probe may take half of what is left of the budget, up to a cap, so a series of probes (the
# binary search below) stays within the budget but for the floor. A probe cut short decides nothing:
# no relaxation is claimed on it.
PROBE_CAP_S = 0.2
PROBE_FLOOR_S = 0.02


def find_relaxations(
    instance: Instance, params: SolveParams, allowance: Allowance | None = None
) -> tuple[Relaxation, ...]:
    """Each relaxation that would, on its own, let every stranded passenger be carried (or, with hard
    limits, reached in time).

    Parameters
    ----------
    instance
        The infeasible instance.
    params
        Its solve parameters (``allow_split`` and the workers matter here).
    allowance
        What is left of the solve's budget, for the probes (default: a fresh ``params.budget``).
    """
    allowance = allowance if allowance is not None else Allowance(params.budget)
    found: list[Relaxation] = []
    extra_min = least_limit_extension_min(instance, params, allowance)
    if extra_min is not None and extra_min > 0:
        found.append(
            Relaxation("later_limit", f"a response limit {extra_min} min later reaches every passenger", extra_min)
        )
    if not params.allow_split and _carries_everyone(instance, replace(params, allow_split=True), allowance):
        found.append(Relaxation("split", "splitting passengers over several smaller coaches carries everyone"))
    found += _second_driver_relaxations(instance)
    found += _closure_exemption(instance)
    shortfall = _seat_shortfall(instance)
    if shortfall > 0:
        found.append(Relaxation("more_seats", f"{shortfall} more reachable seats are needed", shortfall))
    return tuple(found)


def least_limit_extension_min(instance: Instance, params: SolveParams, allowance: Allowance) -> int | None:
    """The fewest extra minutes on every limit with which all passengers are reached in time, as far
    as the probes can prove within the budget; None if even unlimited lateness does not carry
    everyone (or that could not be decided in time).

    The answer always suffices: the search only ever settles on a lateness some probe proved enough.
    A probe cut short counts as not proven, so with little budget left the answer may be larger than
    the least.
    """
    lateness = sorted({o.late_s for o in instance.rescue_options})
    if not _carries_everyone(instance, params, allowance):
        return None
    low, high = 0, len(lateness) - 1  # binary search over the distinct lateness values; high is proven
    while low < high:
        middle = (low + high) // 2
        if _carries_everyone(instance, params, allowance, max_late_s=lateness[middle]):
            high = middle
        else:
            low = middle + 1
    return ceil_minutes(lateness[low]) if lateness else 0


def _carries_everyone(
    instance: Instance, params: SolveParams, allowance: Allowance, max_late_s: int | None = None
) -> bool | None:
    """Whether some choice of options carries every passenger, each option at most ``max_late_s`` late;
    None when the probe's time ran out before it could tell (falsy: nothing is claimed on it)."""
    relaxed = replace(params, hard_limits=False)
    dm = build_model(instance, relaxed)
    for group in instance.groups:
        options = instance.rescue_options_by_group.get(group.id, ())
        dm.model.add(sum(dm.passengers[o.id] for o in options) == group.passengers)
    for option in instance.rescue_options:
        if max_late_s is not None and option.late_s > max_late_s:
            dm.model.add(dm.use_rescue[option.id] == 0)
    solver = cp_model.CpSolver()
    allowance.limit(solver, min(PROBE_CAP_S, max(allowance.left_s() / 2, PROBE_FLOOR_S)))
    solver.parameters.num_workers = params.workers
    dm.model.clear_objective()
    status = solver.solve(dm.model)
    allowance.charge(solver)
    if status == cp_model.UNKNOWN:
        return None
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _second_driver_relaxations(instance: Instance) -> list[Relaxation]:
    left_out = sorted({r.candidate for r in instance.rejections if r.code in DRIVER_ONLY_CODES})
    return [
        Relaxation("second_driver", f"a second (relief) driver would make {candidate} usable") for candidate in left_out
    ]


def _closure_exemption(instance: Instance) -> list[Relaxation]:
    """Closed roads that kept coaches from the scene: an escorted entry would let them through."""
    closed = instance.conditions.closed_entrances or instance.conditions.closed_edges
    blocked = sorted({r.candidate for r in instance.rejections if r.code == RejectionCode.UNREACHABLE})
    if not closed or not blocked:
        return []
    return [
        Relaxation(
            "closure_exemption",
            f"a police-escorted entry through the closure would let {', '.join(blocked)} reach the scene",
            len(blocked),
        )
    ]


def _seat_shortfall(instance: Instance) -> int:
    shortfall = 0
    for group in instance.groups:
        seats = sum(o.capacity for o in _best_option_per_vehicle(instance, group.id))
        shortfall += max(0, group.passengers - seats)
    return shortfall


def _best_option_per_vehicle(instance: Instance, group_id: str):
    best: dict[str, RescueOption] = {}
    for option in instance.rescue_options_by_group.get(group_id, ()):
        if option.vehicle_id not in best or option.capacity > best[option.vehicle_id].capacity:
            best[option.vehicle_id] = option
    return best.values()
