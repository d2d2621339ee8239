"""The one path from "a coach failed" to a checked plan: build the instance, solve it, check every
plan with the evaluator and the independent oracle (a plan either disputes is never "optimal"). The
desk, the CLI, the drills and the what-if all take it.

:func:`dispatch` does it in one call. The desk takes the same path in two steps, :func:`prepare` and
:func:`dispatch_prepared`, because it records the report between them: the instance validates the
report (a bad one is refused before anything is stored), and a slow solve must never lose a report.
:func:`check` is that validation alone, for a caller that builds the instance only once the report is
recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from fleetplan.builder import build_instance, stranded_groups
from fleetplan.collector import collector_paused
from fleetplan.corridor import Corridor
from fleetplan.evaluate import evaluate
from fleetplan.instance import Instance, StrandedGroup
from fleetplan.live import NO_FIXES, LiveFixes
from fleetplan.model import Conditions, Incident
from fleetplan.operations import OperationsPolicy

from solver.dispatch.oracle_check import oracle_problems
from solver.dispatch.params import SolveParams
from solver.dispatch.result import Dispatch, Status
from solver.dispatch.solve import MoreWanted, all_wanted, solve

NOTHING_UNAVAILABLE: Mapping[str, str] = MappingProxyType({})


def dispatch(
    corridor: Corridor,
    incidents: Sequence[Incident],
    conditions: Conditions,
    *,
    ops: OperationsPolicy = OperationsPolicy(),
    params: SolveParams = SolveParams(),
    unavailable: Mapping[str, str] = NOTHING_UNAVAILABLE,
    fixes: LiveFixes = NO_FIXES,
) -> Dispatch:
    """Plan the response to ``incidents`` and check every plan with the evaluator.

    Parameters
    ----------
    corridor
        The dataset (fleet, drivers, timetable, policies) and the road network.
    incidents
        What failed, where, when, with how many passengers; decided at the latest report time.
    conditions
        Weather and closures.
    ops
        Operating assumptions (turnout, transfer, horizons, candidate bounds).
    params
        Budget, alternatives, workers, seed, splitting and hard limits.
    unavailable
        Coach or driver id → why it cannot be used now (booked by another incident, busy, …).
    fixes
        The coaches' latest GPS fixes; a fresh one places its coach instead of the timetable.

    Returns
    -------
    Dispatch
        The instance, the solver's result and the evaluator's problems with each plan.

    Raises
    ------
    FleetplanError
        For a bad report: unknown coach or trip, passengers above the seats, an unreadable location
        (:class:`~fleetplan.errors.InvalidValueError`, :class:`~fleetplan.errors.UnknownIdError`,
        :class:`~fleetplan.errors.LocationError`). Infeasible is a status, never an exception.
    """
    return dispatch_prepared(
        prepare(corridor, incidents, conditions, ops=ops, unavailable=unavailable, fixes=fixes), params
    )


def prepare(
    corridor: Corridor,
    incidents: Sequence[Incident],
    conditions: Conditions,
    *,
    ops: OperationsPolicy = OperationsPolicy(),
    unavailable: Mapping[str, str] = NOTHING_UNAVAILABLE,
    fixes: LiveFixes = NO_FIXES,
) -> Instance:
    """The first step of :func:`dispatch`: the validated instance (tasks, crews, options, rejections).

    Parameters and errors as for :func:`dispatch`.
    """
    return build_instance(corridor, incidents, conditions, ops, unavailable, fixes)


def check(
    corridor: Corridor,
    incidents: Sequence[Incident],
    conditions: Conditions,
    *,
    ops: OperationsPolicy = OperationsPolicy(),
    fixes: LiveFixes = NO_FIXES,
) -> tuple[StrandedGroup, ...]:
    """What :func:`prepare` checks first, alone: each incident's stranded group (tier, deadline,
    scene), or the same error :func:`prepare` would raise for it. Parameters as for :func:`dispatch`."""
    return stranded_groups(corridor, incidents, conditions, ops, fixes)


@collector_paused()  # the evaluator and the oracle allocate as the solve does
def dispatch_prepared(
    instance: Instance, params: SolveParams = SolveParams(), more_wanted: MoreWanted = all_wanted
) -> Dispatch:
    """The second step of :func:`dispatch`: solve ``instance`` and evaluate every plan.

    Parameters
    ----------
    instance
        From :func:`prepare`.
    params
        As for :func:`dispatch`.
    more_wanted
        As for :func:`solver.dispatch.solve.solve`: False before an alternative leaves the rest for later.

    Returns
    -------
    Dispatch
    """
    result = solve(instance, params, more_wanted)
    problems = tuple(tuple(evaluate(plan, instance)) for plan in result.plans)
    checked = oracle_problems(instance, result.plans)
    if checked is not None:
        problems = tuple(own + theirs for own, theirs in zip(problems, checked))
    if any(problems) and result.status in (Status.OPTIMAL, Status.FEASIBLE):
        result = replace(result, status=Status.DISPUTED)  # a disputed plan is never sent as optimal
    return Dispatch(instance, result, problems)
