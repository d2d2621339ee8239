"""Dependencies shared by routers; tests override them (``app.dependency_overrides``).

Everything here reads what ``lifespan`` put on ``app.state``: the settings, the corridor data, the
record store, the desk's operations log and the :class:`~api.desk.Desk` built from them.
Role checks live in :mod:`api.auth` (``require_role``, ``current_user``).
"""

from __future__ import annotations

from fastapi import Request

from fleetplan.corridor import Corridor

from api.alerts import AlertLog
from api.desk import Desk
from api.messaging.outbox import Outbox
from api.operations_log import OperationsLog
from api.positions_log import PositionLog
from api.records.types import RecordStore
from api.settings import Settings
from api.whatif_jobs import WhatIfJobs


def get_settings(request: Request) -> Settings:
    """The service settings; ``lifespan`` also uses an override of this dependency when a test sets one."""
    return request.app.state.settings


def get_corridor(request: Request) -> Corridor:
    """The corridor data as loaded (without recorded status changes; see :func:`get_desk`)."""
    return request.app.state.corridor


def get_store(request: Request) -> RecordStore:
    """The incident record store."""
    return request.app.state.store


def get_log(request: Request) -> OperationsLog:
    """Recorded coach status changes and road closures."""
    return request.app.state.log


def get_desk(request: Request) -> Desk:
    """The dispatch desk: live state, dispatch, lifecycle."""
    return request.app.state.desk


def get_whatif_jobs(request: Request) -> WhatIfJobs:
    """The planners' what-if jobs and their runner."""
    return request.app.state.whatif_jobs


def get_positions(request: Request) -> PositionLog:
    """The coaches' positions from the feeds."""
    return request.app.state.positions


def get_alerts(request: Request) -> AlertLog:
    """The alerts raised from the positions."""
    return request.app.state.alerts


def get_outbox(request: Request) -> Outbox:
    """The ready messages of accepted plans."""
    return request.app.state.outbox
