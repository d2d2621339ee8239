"""The adapter to the independent oracle (``fleetplan.oracle``, docs/world-model.md): every plan of a
scenario is also checked by :func:`fleetplan.oracle.check_dispatch`, which re-derives the plan's claims
from the raw tables with code of its own.

The oracle is written apart from the engine, so it is imported when first asked for: if it cannot be
imported the book runs on the evaluator alone and says so (:func:`oracle_status`), rather than not
running at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from types import ModuleType

from fleetplan.plan import Plan

from solver.planning.scenarios.staging import StagedScenario

ORACLE_MODULE = "fleetplan.oracle"
NETWORK_SUBDIR = "network"

OracleCheck = Callable[[StagedScenario, Sequence[Plan]], tuple[str, ...]]


def oracle_hook() -> OracleCheck | None:
    """The oracle's check of a scenario's ranked plans as findings (one sentence each, naming the
    plan's rank), or None when the oracle cannot be imported."""
    return check_with_oracle if _oracle() is not None else None


def check_with_oracle(staged: StagedScenario, plans: Sequence[Plan]) -> tuple[str, ...]:
    """The oracle's disagreements with ``plans``: the oracle reads the scenario's changed dataset, the
    network files of its data directory and a case with the same incidents, conditions, unavailable
    ids and operating constants the dispatch had."""
    oracle = _oracle()
    if oracle is None:
        return ()
    corridor, ops = staged.corridor, staged.ops
    try:
        world = oracle.world_from_dataset(corridor.dataset, corridor.directory / NETWORK_SUBDIR)
        case = oracle.case_of(
            staged.incidents,
            staged.conditions,
            staged.unavailable.keys(),
            turnout_s=ops.turnout_s,
            transfer_s=ops.transfer_s,
            passing_dwell_s=ops.passing_dwell_s,
            trip_horizon_s=ops.trip_horizon_s,
            passing_window_s=ops.passing_window_s,
        )
        per_plan = oracle.check_dispatch(world, case, plans)
    except Exception as error:  # a crashing oracle is a finding, not a crashed book
        return (f"the oracle raised {type(error).__name__}: {error}",)
    return tuple(str(disagreement) for disagreements in per_plan for disagreement in disagreements)


def oracle_status() -> str:
    """One line for the report: whether the oracle took part."""
    if _oracle() is None:
        return f"oracle: {ORACLE_MODULE} could not be imported; plans checked by the evaluator alone"
    return f"oracle: every plan also checked by {ORACLE_MODULE}.check_dispatch"


@cache
def _oracle() -> ModuleType | None:
    try:
        import fleetplan.oracle as oracle
    except Exception:  # being written elsewhere: absent or broken, the book still runs
        return None
    return oracle
