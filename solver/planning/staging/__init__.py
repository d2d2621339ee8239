"""Backup staging: where to keep how many backup coaches (DESIGN §3.3, issue 5 §2).

A maximum expected covering location model (MEXCLP, Daskin 1983) solved with CP-SAT:

- **demand points** are where incidents happen, weighted by their expected rate: G1 kilometre bins in
  both directions and points along the streets and national roads the timetable drives, each with the
  vehicle-km driven there times the breakdown rate (:class:`~solver.planning.rates.BreakdownRates`,
  shared with the what-if: older coaches fail more, every coach more in winter) (:mod:`.demand`);
- **candidate sites** are the dataset's depots and service areas;
- site *j* **covers** point *i* if a backup standing at *j* reaches *i* within *i*'s tier limit
  (turnout plus the network's travel time under the conditions, at the time band of *i*'s demand);
- each backup is **busy** with probability *q*, independently, so a point covered by *k* backups is
  reached within the limit with probability ``1 - q**k`` (:mod:`.problem`); CP-SAT chooses integer
  backups per site ``x_j`` (``sum x_j = budget``) and booleans ``y_ik`` (the *k*-th cover of *i*) to
  maximise ``sum_i w_i (1 - q) q**(k-1) y_ik``, scaled to integers (:mod:`.model`).

The tier of a point follows the dispatch rule (:mod:`fleetplan.tiers`): inside a depot city's radius
the city limit; elsewhere the near-backup limit when a backup stands within the near-backup radius,
else the corridor limit. Which of the last two applies depends on the staging, so the model switches
it with one boolean per point. Adding a backup where one already stands never changes a tier, so
more backups never lower the optimum.

Time bands: demand is kept per time band (morning peak, day, evening peak, night) and covered with
that band's travel times; one staging serves all bands (the same backups all day). A staging per band
(time-of-day shifts) is :meth:`StagingProblem.for_band` solved on its own.

The simulation check (:func:`check_by_simulation`, :mod:`.check`) runs the what-if Monte Carlo over
the real dispatch path with the recommended backups and compares its share reached within the limit
with the model's. Text, JSON, plots and files are in :mod:`.report`.
"""

from __future__ import annotations

from solver.planning.staging.check import (
    SimulationCheck,
    check_by_simulation,
    simulation_check_text,
    simulation_check_view,
)
from solver.planning.staging.demand import DemandSettings, build_staging_problem, timetable_demand
from solver.planning.staging.model import Staging, StagingParams, brute_force_staging, coverage_curve, solve_staging
from solver.planning.staging.problem import (
    DEFAULT_BUSY_FRACTION,
    DemandPoint,
    StagingProblem,
    expected_coverage,
    parse_backups,
    workload_busy_fraction,
)
from solver.planning.staging.report import (
    plot_coverage_curve,
    plot_staging_map,
    staging_text,
    staging_view,
    write_staging,
)

__all__ = [
    "DEFAULT_BUSY_FRACTION",
    "DemandPoint",
    "DemandSettings",
    "SimulationCheck",
    "Staging",
    "StagingParams",
    "StagingProblem",
    "brute_force_staging",
    "build_staging_problem",
    "check_by_simulation",
    "coverage_curve",
    "expected_coverage",
    "parse_backups",
    "plot_coverage_curve",
    "plot_staging_map",
    "simulation_check_text",
    "simulation_check_view",
    "solve_staging",
    "staging_text",
    "staging_view",
    "timetable_demand",
    "workload_busy_fraction",
    "write_staging",
]
