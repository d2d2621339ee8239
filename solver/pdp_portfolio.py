"""A two-process portfolio for pickup and delivery: PyVRP on both cores (or OR-Tools here), the
better checked plan wins.

Measured on Li & Lim (``bench/lilim.py``, issue 18 §4, ``docs/benchmarks.md``, 10 s, two cores
shared with other work): the OR-Tools adapter (:func:`solver.routing.solve_pdp`) ends 2–19 % long on
wide-window instances (lr201, lr205, lrc201) and misses lc103's 9 vehicles; PyVRP with fleet
reduction (:func:`solver.pdp_pyvrp.solve_pyvrp_until`) reaches every best-known vehicle count but,
on half a core, finds lc103's 9 late and ends it 9 % long. Two PyVRP searches with different seeds
and opposite time splits (the child longer for fewer vehicles, this process longer for distance)
reached every best-known vehicle count at +0.14 % mean gap; OR-Tools beside the child, 11 of 12 at
+0.12 %. So ``here="pyvrp"`` is the default. Either way, the better plan — every request served, then
fewest vehicles, then shortest distance — wins, and a PyVRP plan counts only after
:func:`solver.pdptw.check_pdp_solution` finds nothing wrong with it. With OR-Tools here its plan is
always a candidate; with PyVRP here, when neither plan passes, the adapter runs afterwards.

The child is started with a plain :class:`multiprocessing.Process`, its plan sent back through a
pipe. Not a ``ProcessPoolExecutor``: that hands work to its worker through threads of *this* process,
which need the GIL, and OR-Tools' search holds the GIL for its whole run — so the child often got its
work only after OR-Tools' first phase (6 s of 10) and missed the deadline (measured: start lag 6.0 s
on lc101, and the child's plan lost on lr201, lr205 and lrc201 in a row; that is why the earlier
portfolio measured worse than PyVRP alone). With ``fork`` the child starts at once with the problem
already in memory; with ``spawn`` the problem is pickled before the search here starts. Both stop at
an absolute deadline (``time.monotonic``, shared by the processes), a moment before the limit.

PyVRP's model covers one shared depot and one capacity (:func:`solver.pdp_pyvrp.supports`) and puts
fewer vehicles first. Other problems, solves capped with ``PdpParams.max_vehicles`` and solves with
``minimize_vehicles=False`` run OR-Tools alone. Two cores are assumed: on one, the two searches
share it and each gets half the time.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import signal
import time
from multiprocessing.connection import Connection

from fleetplan.errors import InvalidValueError

from solver.pdp_pyvrp import REDUCE_SHARE, solve_pyvrp_until, supports
from solver.pdptw import PdpProblem, check_pdp_solution
from solver.routing import PdpParams, PdpResult, PdpStatus, Routes, pdp_result, solve_pdp

HANDOVER_S = 0.1  # PyVRP stops this much before the limit, to send its routes back in time
GRACE_S = 1.0  # wait this long past the limit for a late child before stopping it
HERE = ("or-tools", "pyvrp")  # what may run in this process beside the PyVRP child
# Shares of the time PyVRP spends trying fewer vehicles (solve_pyvrp_until): beside OR-Tools the child
# is the main search and keeps the default; beside a second PyVRP the two split the work, the child
# searching longer for fewer vehicles, this process longer for distance.
CHILD_REDUCE_SHARE = {"or-tools": REDUCE_SHARE, "pyvrp": 0.7}
HERE_REDUCE_SHARE = 0.4


def solve_pdp_portfolio(problem: PdpProblem, params: PdpParams | None = None, *, here: str = "pyvrp") -> PdpResult:
    """Solve with two engines at once; return the better checked plan.

    Parameters
    ----------
    problem
        The problem.
    params
        The OR-Tools adapter's settings; PyVRP gets the same ``time_limit_s``.
    here
        What runs in this process beside the PyVRP child (fleet reduction, then distance):
        ``"pyvrp"`` (default: PyVRP again, another seed, less time for fewer vehicles and more for
        distance than the child, see ``CHILD_REDUCE_SHARE``) or ``"or-tools"`` (the adapter). With ``"pyvrp"``, when neither plan passes the checker the adapter runs afterwards.

    Returns
    -------
    PdpResult
        The best checked plan: every request served first, then fewest vehicles, then least
        distance (``engine`` says whose; ties go to this process). ``solve_s`` is the portfolio's own
        wall-clock time.
    """
    params = params or PdpParams()
    if here not in HERE:
        raise InvalidValueError("here", f"{here!r} is not one of {', '.join(HERE)}")
    if not supports(problem) or params.max_vehicles is not None or not params.minimize_vehicles:
        return solve_pdp(problem, params)
    began = time.monotonic()
    deadline = began + params.time_limit_s
    receiver, sender = multiprocessing.Pipe(duplex=False)
    child = _context().Process(
        target=_run_pyvrp,
        args=(problem, deadline - HANDOVER_S, CHILD_REDUCE_SHARE[here], sender),
        name="fleetplan-pyvrp",
        daemon=True,
    )
    child.start()
    sender.close()  # the child holds the only sending end: a dead child reads as end of file
    try:
        if here == "or-tools":
            candidates = [solve_pdp(problem, params)]
        else:
            mine = solve_pyvrp_until(problem, deadline - HANDOVER_S, seed=2, reduce_share=HERE_REDUCE_SHARE)
            candidates = _checked(problem, mine, began)
        routes = routes_in_time(receiver, deadline + GRACE_S)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()  # late: its plan is no longer wanted
        child.join()
    candidates += _checked(problem, routes, began)
    if not candidates:  # neither PyVRP plan passed: the adapter, late rather than planless
        candidates = [solve_pdp(problem, params)]
    best = min(candidates, key=rank)  # ties keep this process's plan: min returns the first
    return dataclasses.replace(best, solve_s=time.monotonic() - began)


def _checked(problem: PdpProblem, routes: Routes | None, began: float) -> list[PdpResult]:
    """A PyVRP plan as a candidate, if it serves every request and the checker finds nothing."""
    if routes is None or check_pdp_solution(problem, routes):
        return []
    return [dataclasses.replace(pdp_result(problem, PdpStatus.FEASIBLE, routes, began, unserved=()), engine="pyvrp")]


def rank(result: PdpResult) -> tuple[int, int, float]:
    """Lexicographic: unserved requests, vehicles, distance."""
    return (len(result.unserved), result.vehicles_used, result.distance)


def routes_in_time(receiver: Connection, deadline: float) -> Routes | None:
    """The child's routes if they arrive by ``deadline``; None when late, dead or empty-handed."""
    try:
        if receiver.poll(max(0.0, deadline - time.monotonic())):
            return receiver.recv()
    except (EOFError, OSError):  # the child died before sending
        pass
    return None


def _run_pyvrp(problem: PdpProblem, deadline: float, reduce_share: float, sender: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent kills this child
    try:
        sender.send(solve_pyvrp_until(problem, deadline, seed=1, reduce_share=reduce_share))
    finally:
        sender.close()


def _context():
    # fork starts the child at once with the problem already in memory; spawn where fork is missing.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
