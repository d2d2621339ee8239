"""fleetplan's solvers, behind small adapters over OR-Tools.

- :mod:`solver.dispatch`: the one way to a dispatch plan (``dispatch`` = build → solve → evaluate),
  with its CP-SAT model, stages, alternatives, relaxations and greedy floor;
- :mod:`solver.planning`: the applications over that seam (what-if, backup staging, drills);
- :mod:`solver.routing` and :mod:`solver.pdptw`: pickup-and-delivery routing (Li & Lim instances).

The dispatch seam's names are importable from here; each loads its module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

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
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
