"""What-if capacity simulation (DESIGN §3.3, issue 5 §1).

Seeded incident streams over a period of the timetable — breakdowns as a Poisson process in
vehicle-km (by coach age and season), no-starts, accidents that block a carriageway, driver illness,
and G1 closures from a weather calendar — each dispatched through the dispatch model against the
evolving state; KPIs per response tier with confidence intervals; engines in process, in a process
pool or on a Dask cluster, with identical results for the same seed.

- :class:`WhatIfScenario`, :class:`IncidentRates`: what is asked;
- :func:`simulate_replication`: one replication, pure given its seed;
- :func:`run_whatif`: replications on an :class:`Engine`, aggregated into a :class:`WhatIfResult`;
- :func:`write_outputs`: ``kpis.csv`` and PNG plots.
"""

from __future__ import annotations

from solver.whatif.engines import Engine, replication_seeds, run_whatif
from solver.whatif.kpis import IncidentOutcome, ReplicationResult, TierKpis, WhatIfResult, aggregate, share_with_ci
from solver.whatif.report import kpi_rows, kpis_csv_text, write_kpis_csv, write_outputs
from solver.whatif.scenario import CALENDARS, IncidentRates, WhatIfScenario
from solver.whatif.simulate import simulate_replication

__all__ = [
    "CALENDARS",
    "Engine",
    "IncidentOutcome",
    "IncidentRates",
    "ReplicationResult",
    "TierKpis",
    "WhatIfResult",
    "WhatIfScenario",
    "aggregate",
    "kpi_rows",
    "kpis_csv_text",
    "replication_seeds",
    "run_whatif",
    "share_with_ci",
    "simulate_replication",
    "write_kpis_csv",
    "write_outputs",
]
