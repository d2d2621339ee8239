"""The dispatch desk: reports in, checked plans out, records kept (see :mod:`api.desk.service`).

- :mod:`~api.desk.reports`: a report as given, its parsed time, the prepared dispatch;
- :mod:`~api.desk.live`: the live corridor and conditions, what a plan books;
- :mod:`~api.desk.checks`: a coach by id or plate, a closure's target;
- :mod:`~api.desk.joint`, :mod:`~api.desk.joint_dispatch`, :mod:`~api.desk.joint_views`: open incidents
  planned together, accepted together, released (issue 18 §3);
- :mod:`~api.desk.batches`, :mod:`~api.desk.first_answers`: reports re-planned in batches, the best plan
  first while others wait and the alternatives when the desk is free (issue 18 §5);
- :mod:`~api.desk.service`: :class:`Desk`, the orchestration the routers call.
"""

from api.desk.checks import check_closure_target, find_vehicle
from api.desk.live import conditions_view, plan_resources, with_closures, with_statuses
from api.desk.reports import AcceptConflict, IncidentReport, Prepared, parse_local_minute
from api.desk.service import ALL_INCIDENTS_LIMIT, Desk, run_blocking

__all__ = [
    "ALL_INCIDENTS_LIMIT",
    "AcceptConflict",
    "Desk",
    "IncidentReport",
    "Prepared",
    "check_closure_target",
    "conditions_view",
    "find_vehicle",
    "parse_local_minute",
    "plan_resources",
    "run_blocking",
    "with_closures",
    "with_statuses",
]
