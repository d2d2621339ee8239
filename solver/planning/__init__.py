"""The planning applications over the dispatch seam (DESIGN §3.3).

- :mod:`solver.planning.whatif`: the what-if capacity simulation (Monte Carlo over the real dispatch);
- :mod:`solver.planning.staging`: backup staging (MEXCLP on CP-SAT), checked by the what-if;
- :mod:`solver.planning.drills`: contingency drills run through the real dispatch path;
- :mod:`solver.planning.rates`: the breakdown-rate model the what-if and the staging share.

Each calls the dispatch only through :mod:`solver.dispatch`'s public names.
"""

from __future__ import annotations

from solver.planning.rates import BreakdownRates

__all__ = ["BreakdownRates"]
