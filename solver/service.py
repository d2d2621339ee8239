"""The whole dispatch path, used alike by the CLI, the HTTP API, what-if runs and drills:
incidents → instance → solve → independent evaluation of every returned plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from fleetplan.build_instance import build_instance
from fleetplan.corridor import Corridor
from fleetplan.evaluate import evaluate
from fleetplan.instance import Instance
from fleetplan.model import Conditions, Incident
from fleetplan.operations import OperationsPolicy

from solver.dispatch import solve
from solver.result import Result, SolveParams


@dataclass(frozen=True)
class Dispatch:
    instance: Instance
    result: Result
    problems: tuple[tuple[str, ...], ...]  # the evaluator's findings, one tuple per plan (empty = sound)


def dispatch(corridor: Corridor, incidents: Sequence[Incident], conditions: Conditions,
             params: SolveParams = SolveParams(), ops: OperationsPolicy = OperationsPolicy(),
             unavailable: Mapping[str, str] = MappingProxyType({})) -> Dispatch:
    """Plan the response to ``incidents`` and check every plan with the evaluator.

    ``unavailable``: coach or driver id → why it cannot be used (booked by another incident, …).
    """
    instance = build_instance(corridor, incidents, conditions, ops, unavailable)
    result = solve(instance, params)
    problems = tuple(tuple(evaluate(plan, instance, ops)) for plan in result.plans)
    return Dispatch(instance, result, problems)
