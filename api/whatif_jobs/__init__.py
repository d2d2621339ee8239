"""What-if jobs for planners over HTTP (issue 5 §4): kept in the service's database, run in the background.

A job is one :func:`solver.planning.whatif.run_whatif` call. Its row in ``whatif_jobs`` (see
:mod:`api.records.schema`, migration 0003) holds the validated parameters, the status
(``queued`` → ``running`` → ``done`` | ``failed`` | ``cancelled``), the progress and, once done, the
result JSON and the text of the CLI's ``kpis.csv``.

The package holds what is asked (:mod:`~api.whatif_jobs.request`), what is shown
(:mod:`~api.whatif_jobs.view`), the caps on the queue (:mod:`~api.whatif_jobs.quota`), the leases that
let several service processes share the jobs (:mod:`~api.whatif_jobs.leases`) and the runner
(:mod:`~api.whatif_jobs.runner`); every public name is importable from here.
"""

from api.whatif_jobs.quota import Caps, QueueFull
from api.whatif_jobs.request import MAX_HTTP_REPS, MAX_SEED, WhatIfRequest, validate_request
from api.whatif_jobs.runner import (
    CLOSE_JOIN_TIMEOUT_S,
    DEFAULT_LIST_LIMIT,
    PROGRESS_WRITE_INTERVAL_S,
    RunnerConfig,
    WhatIfJobs,
)
from api.whatif_jobs.view import UNFINISHED, JobNotFound, JobStateError, JobStatus, WhatIfJob

__all__ = [
    "Caps",
    "CLOSE_JOIN_TIMEOUT_S",
    "DEFAULT_LIST_LIMIT",
    "MAX_HTTP_REPS",
    "MAX_SEED",
    "PROGRESS_WRITE_INTERVAL_S",
    "UNFINISHED",
    "JobNotFound",
    "JobStateError",
    "JobStatus",
    "QueueFull",
    "RunnerConfig",
    "WhatIfJob",
    "WhatIfJobs",
    "WhatIfRequest",
    "validate_request",
]
