"""A two-engine portfolio for pickup and delivery: OR-Tools here, PyVRP on the second core.

Measured on Li & Lim (``bench/lilim.py``, issue 18 §4, ``docs/benchmarks.md``): at 10 s the
OR-Tools adapter (:func:`solver.routing.solve_pdp`) reaches the best-known vehicle count as often as
PyVRP, but on wide-window instances (lr201, lr205, lrc201) ends 2–10 % longer where PyVRP is within
0–3.5 %. Running both side by side costs no wall-clock time on two cores; the better plan — every request served, then fewest vehicles, then
shortest distance — wins. PyVRP's plan counts only after :func:`solver.pdptw.check_pdp_solution`
finds nothing wrong with it; OR-Tools' plan is always a candidate, so the portfolio is never worse
than the adapter alone.

PyVRP runs in a child process (its search holds the GIL); the adapter's model covers one shared
depot and one capacity (:func:`solver.pdp_pyvrp.supports`) and puts fewer vehicles first. Other
problems, solves capped with ``PdpParams.max_vehicles`` and solves with ``minimize_vehicles=False``
run OR-Tools alone.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from solver.pdp_pyvrp import solve_pyvrp, supports
from solver.pdptw import PdpProblem, check_pdp_solution
from solver.routing import PdpParams, PdpResult, PdpStatus, Routes, pdp_result, solve_pdp

HANDOVER_S = 0.3  # PyVRP stops this much before the limit, to send its routes back in time
GRACE_S = 2.0  # wait this long past the limit for a late child before giving up on it


def solve_pdp_portfolio(problem: PdpProblem, params: PdpParams | None = None) -> PdpResult:
    """Solve with OR-Tools and PyVRP at once; return the better checked plan.

    Parameters
    ----------
    problem
        The problem.
    params
        The OR-Tools adapter's settings; PyVRP gets the same ``time_limit_s``.

    Returns
    -------
    PdpResult
        The OR-Tools result, or PyVRP's (``engine == "pyvrp"``) when it serves every request, passes
        the independent checker and uses fewer vehicles, or as many and less distance.
    """
    params = params or PdpParams()
    if not supports(problem) or params.max_vehicles is not None or not params.minimize_vehicles:
        return solve_pdp(problem, params)
    began = time.monotonic()
    pool = ProcessPoolExecutor(max_workers=1, mp_context=_context())
    try:
        future = pool.submit(solve_pyvrp, problem, max(0.01, params.time_limit_s - HANDOVER_S))
        ortools = solve_pdp(problem, params)
        routes = _routes_in_time(future, began + params.time_limit_s + GRACE_S)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a late child ends at its own time limit
    if routes is None or check_pdp_solution(problem, routes):
        return ortools
    pyvrp = dataclasses.replace(pdp_result(problem, PdpStatus.FEASIBLE, routes, began, unserved=()), engine="pyvrp")
    return min((ortools, pyvrp), key=rank)  # ties keep OR-Tools: min returns the first


def rank(result: PdpResult) -> tuple[int, int, float]:
    """Lexicographic: unserved requests, vehicles, distance."""
    return (len(result.unserved), result.vehicles_used, result.distance)


def _routes_in_time(future: Future, deadline: float) -> Routes | None:
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except (FutureTimeout, BrokenProcessPool):  # late or died: OR-Tools' plan stands alone
        return None


def _context():
    # fork starts the child at once with the problem already in memory; spawn where fork is missing.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
