"""The one way to a dispatch plan.

:func:`dispatch` builds the instance, solves it and checks every plan (build → solve → evaluate,
once); :func:`prepare` and :func:`dispatch_prepared` are the same path in two steps, for a caller
that must record the report in between (:func:`check` validates a report alone). :func:`solve` is the solver seam on its own
(``Instance`` → ``Result``, as PyVRP's ``ProblemData`` → ``solve`` → ``Result``), and
:func:`greedy_plan` the hand-made baseline. :class:`SolveParams` holds the knobs and one
:class:`Budget` (wall-clock or deterministic seconds) that every stage, alternative and relaxation
probe draws on.

Inside: :mod:`~solver.dispatch.params`, :mod:`~solver.dispatch.result`, :mod:`~solver.dispatch.model`
(the CP-SAT model, one ``add_*`` per constraint family), :mod:`~solver.dispatch.stages` (the
lexicographic stage loop), :mod:`~solver.dispatch.solve`, :mod:`~solver.dispatch.relax`,
:mod:`~solver.dispatch.fixing`, :mod:`~solver.dispatch.greedy` and :mod:`~solver.dispatch.plans`.
Code outside the package uses the names exported here.
"""

from solver.dispatch.greedy import solve as greedy_plan
from solver.dispatch.params import Budget, BudgetKind, SolveParams
from solver.dispatch.path import check, dispatch, dispatch_prepared, prepare
from solver.dispatch.plans import build_plan
from solver.dispatch.result import Dispatch, Relaxation, Result, Status
from solver.dispatch.solve import MoreWanted, all_wanted, solve

__all__ = [
    "Budget",
    "BudgetKind",
    "Dispatch",
    "MoreWanted",
    "Relaxation",
    "Result",
    "SolveParams",
    "Status",
    "all_wanted",
    "build_plan",
    "check",
    "dispatch",
    "dispatch_prepared",
    "greedy_plan",
    "prepare",
    "solve",
]
