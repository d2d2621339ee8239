"""fleetplan's solvers, behind small adapters over OR-Tools.

- :mod:`solver.dispatch`: the one way to a dispatch plan (``dispatch`` = build → solve → evaluate),
  with its CP-SAT model, stages, alternatives, relaxations and greedy floor;
- :mod:`solver.planning`: the applications over that seam (what-if, backup staging, drills);
- :mod:`solver.routing` and :mod:`solver.pdptw`: pickup-and-delivery routing (Li & Lim instances).

The dispatch seam's names are importable from here; each loads its module on first use.
"""

from __future__ import annotations

from fleetplan.exports import lazy_exports

_EXPORTS = {
    "solver.dispatch": (
        "Budget",
        "BudgetKind",
        "Dispatch",
        "Relaxation",
        "Result",
        "SolveParams",
        "Status",
        "dispatch",
        "dispatch_prepared",
        "greedy_plan",
        "prepare",
        "solve",
    ),
    "solver.routing": ("PdpParams", "PdpResult", "solve_pdp"),
}
__all__, __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
