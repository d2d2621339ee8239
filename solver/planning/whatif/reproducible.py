"""The what-if's dispatch budget: deterministic, so that a replication gives the same plans on every
engine and any machine load.

A wall-clock deadline stops a stage wherever the machine has got to: under load (a process pool, a
Dask worker, a busy laptop) a stage that has not closed can return a different plan, and the evolving
state of a what-if would drift. CP-SAT's deterministic time does not depend on load, so the what-if
dispatches through the one path (:func:`solver.dispatch.dispatch`) with a deterministic
:class:`~solver.dispatch.Budget` and one worker. Hitting the wall-clock safety cap is reported on the
result (``Result.wall_capped``).
"""

from __future__ import annotations

from solver.dispatch import Budget, SolveParams


def reproducible_params(budget_s: float, seed: int = 0) -> SolveParams:
    """Solve parameters for a reproducible dispatch: ``budget_s`` deterministic seconds for the whole
    answer, one worker, the best plan only.

    Raises
    ------
    InvalidValueError
        Naming ``budget`` or ``seed`` when out of range.
    """
    return SolveParams(budget=Budget.deterministic(budget_s), alternatives=1, workers=1, seed=seed)
