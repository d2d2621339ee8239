"""What-if capacity simulation (DESIGN §3.3, issue 5 §1).

Seeded incident streams over a period of the timetable — breakdowns as a Poisson process in
vehicle-km (by coach age and season, :class:`~solver.planning.rates.BreakdownRates`), no-starts,
accidents that block a carriageway, driver illness, and G1 closures from a weather calendar — each
dispatched through the dispatch seam against the evolving state; KPIs per response tier with
confidence intervals; engines in process, in a process pool or on a Dask cluster, with identical
results for the same seed.

- :class:`WhatIfScenario`, :class:`IncidentRates`: what is asked (:mod:`.scenario`);
- :func:`staged_dataset`, :func:`usable_standby`: the backups placed in the dataset (:mod:`.fleet`);
- :func:`simulate_replication`: one replication, pure given its seed (:mod:`.simulate`, with its
  state in :mod:`.replication`, its incidents from :mod:`.streams`, its days from :mod:`.timetable`
  and :mod:`.weather`, its dispatch budget from :mod:`.reproducible`);
- :func:`run_whatif`: replications on an :class:`Engine` (:mod:`.engines`), aggregated into a
  :class:`WhatIfResult` (:mod:`.kpis`);
- :func:`write_outputs`: ``kpis.csv`` and PNG plots (:mod:`.report`).
"""

from __future__ import annotations

from solver.planning.whatif.engines import Engine, replication_seeds, run_whatif
from solver.planning.whatif.fleet import staged_dataset, usable_standby
from solver.planning.whatif.kpis import (
    IncidentOutcome,
    ReplicationResult,
    TierKpis,
    WhatIfResult,
    aggregate,
    share_with_ci,
)
from solver.planning.whatif.report import kpi_rows, kpis_csv_text, write_kpis_csv, write_outputs
from solver.planning.whatif.scenario import CALENDARS, IncidentRates, WhatIfScenario
from solver.planning.whatif.simulate import simulate_replication

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
    "staged_dataset",
    "usable_standby",
    "write_kpis_csv",
    "write_outputs",
]
