"""The FastAPI application of the dispatch desk: routers per resource, resources opened in ``lifespan``.

``lifespan`` loads the corridor data, creates the SQLite directory (``var/`` by default), opens the
record store (applying migrations) and the desk's operations log, and builds the
:class:`~api.desk.Desk`. Tests pass :class:`~api.settings.Settings` to :func:`create_app` or
override the ``get_settings`` dependency; ``lifespan`` honours that override too.

Errors: a domain error (:class:`~fleetplan.errors.FleetplanError`) or input the store refuses is 400,
an unknown record 404, a lifecycle step the record does not allow or a booking conflict 409 — all ``{"detail": "<field>: <problem>"}``; FastAPI's own
422 validation answers name the field in ``loc``, and so does the 422 of an Idempotency-Key already
used for another report or by another user. Error answers are rendered by
:class:`~api.safe_errors.SafeJSONResponse`, so echoing NaN, a lone surrogate or bytes cannot turn
them into a 500; a method the path does not serve is a 405 whose ``Allow`` lists the path's methods,
and ``OPTIONS`` is answered 204 with that header.

Every response carries the strict browser policy of :mod:`api.hardening` (CSP without inline code,
no framing, nosniff, no referrer); ``/docs`` is served from the package (:mod:`api.routers.docs`).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.status import HTTP_405_METHOD_NOT_ALLOWED

from fleetplan.corridor import load_corridor
from fleetplan.detection import DetectionPolicy
from fleetplan.errors import FleetplanError

from api.alerts import AlertLog
from api.clock import service_clock
from api.desk import Desk
from api.feeds.detector import Detector
from api.feeds.gtfs_rt_poller import GtfsRtPoller
from api.feeds.jt808_gateway import Jt808Gateway, gateway_key
from api.hardening import SecurityHeaders, tile_sources
from api.messaging.gateways import gateway_for
from api.messaging.outbox import Outbox
from api.messaging.sender import Sender
from api.openapi_data import add_data_ids
from api.operations_log import OperationsLog, log_engine
from api.positions_log import PositionLog
from api.records.types import (
    AlreadyReported,
    BookingConflict,
    IdempotencyMismatch,
    InvalidTransition,
    NotFound,
    RecordError,
)
from api.routers import (
    alerts,
    closures,
    docs,
    events,
    fleet,
    health,
    incidents,
    kpis,
    messages,
    network,
    positions,
    timetable,
    tracking,
    whatif,
)
from api.routers.deps import get_settings
from api.safe_errors import SafeJSONResponse, method_not_allowed, validation_error
from api.settings import Settings, prepare_database_dir
from api.whatif_jobs import RunnerConfig, WhatIfJobs

E = TypeVar("E", bound=Exception)

logger = logging.getLogger(__name__)

DESK_ROUTER = "api.routers.desk"
UNREADABLE_BODY = "There was an error parsing the body"  # fastapi.routing's detail for undecodable bodies


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings
        Data directory, database URL and dispatch deadline; default: the ``FLEETPLAN_*`` environment.
        An override of :func:`api.routers.deps.get_settings` set before start-up wins.

    Returns
    -------
    FastAPI
        The app; its resources are opened when it starts (``lifespan``) and closed when it stops.
    """
    configured = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        override = app.dependency_overrides.get(get_settings)
        active = override() if override else configured
        app.state.settings = active
        open_resources(app, active)
        try:
            await start_feeds(app, active)
            yield
        finally:
            await stop_feeds(app)
            close_resources(app)

    app = FastAPI(
        title="fleetplan",
        summary="Backup-coach dispatch desk for the Siping–Changchun charter corridor",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api.routers.docs serves /docs from the package, under the strict CSP
        redoc_url=None,  # ReDoc would come from a CDN with an inline script
    )
    app.state.settings = configured
    app.add_middleware(SecurityHeaders, img_sources=tile_sources(configured.tile_url))
    for module in (
        health,
        network,
        fleet,
        timetable,
        closures,
        incidents,
        messages,
        kpis,
        positions,
        tracking,
        alerts,
        events,
        whatif,
        docs,
    ):
        app.include_router(module.router)
    include_desk(app)
    add_error_handlers(app)
    add_data_ids(app)
    return app


def open_resources(app: FastAPI, settings: Settings) -> None:
    """Load the data and open the database (migrated) onto ``app.state``."""
    from api.records.sql import open_store  # the store module pulls in SQLAlchemy and Alembic

    corridor = load_corridor(settings.data_dir)
    prepare_database_dir(settings.database_url)
    clock = service_clock(settings.clock_from, settings.clock_speedup)
    store = open_store(settings.database_url, clock=clock)
    log = OperationsLog(log_engine(settings.database_url))
    app.state.corridor, app.state.store, app.state.log = corridor, store, log
    app.state.positions = PositionLog(log.engine)
    app.state.alerts = AlertLog(log.engine)
    app.state.desk = Desk(corridor, store, log, settings, clock=clock)
    app.state.desk.fixes = partial(app.state.positions.as_fixes, settings.position_fresh_s)
    app.state.desk.dispatch_pool.start()  # the workers start now, not at the first report
    app.state.outbox = Outbox(store.engine, clock, settings.message_max_attempts, settings.message_backoff_s)
    app.state.whatif_jobs = WhatIfJobs(store.engine, corridor, RunnerConfig.from_settings(settings))
    app.state.whatif_jobs.start()  # claims queued jobs, and those of a dead process once their lease expired


async def start_feeds(app: FastAPI, settings: Settings) -> None:
    """What runs by itself: the alert detector, the message sender, the GTFS-RT poller and the JT/T 808 gateway."""
    desk = app.state.desk
    app.state.push = events.push_hub(desk, app.state.positions, app.state.alerts, settings)
    if settings.message_send_every_s > 0:
        sender = Sender(app.state.outbox, gateway_for(settings), settings.message_send_every_s)
        sender.start()
        app.state.message_sender = sender
    if settings.detect_every_s > 0:
        policy = DetectionPolicy(
            stopped_after=timedelta(minutes=settings.stopped_alert_min),
            silent_after=timedelta(seconds=settings.position_fresh_s),
        )
        detector = Detector(desk, app.state.positions, app.state.alerts, policy, settings.detect_every_s)
        detector.start()
        app.state.detector = detector
    if settings.gtfs_rt_url:
        poller = GtfsRtPoller(
            settings.gtfs_rt_url, settings.gtfs_rt_poll_s, desk.live_corridor, desk.times, app.state.positions
        )
        poller.start()
        app.state.gtfs_rt_poller = poller
    if settings.jt808_port is None:
        return
    key = gateway_key(settings.jt808_key, settings.var_dir)
    gateway = Jt808Gateway(desk.live_corridor, desk.times, app.state.positions, key)
    # the sockets `fleetplan serve` bound at its check, if it did (a test's app binds them here)
    await gateway.start(settings.jt808_host, settings.jt808_port, getattr(app.state, "jt808_sockets", ()))
    app.state.jt808 = gateway


async def stop_feeds(app: FastAPI) -> None:
    push = getattr(app.state, "push", None)
    if push is not None:
        await push.stop()
    for name in ("detector", "message_sender", "gtfs_rt_poller"):
        running = getattr(app.state, name, None)
        if running is not None:
            running.stop()
    gateway = getattr(app.state, "jt808", None)
    if gateway is not None:
        await gateway.stop()


def close_resources(app: FastAPI) -> None:
    # what-if jobs first: stopping them re-queues them in the store's database
    for name, close in (("whatif_jobs", "close"), ("desk", "shutdown"), ("store", "close"), ("log", "close_engine")):
        resource = getattr(app.state, name, None)
        if resource is not None:
            getattr(resource, close)()


def include_desk(app: FastAPI) -> None:
    """The desk page and its static assets, when that module is present."""
    if importlib.util.find_spec(DESK_ROUTER) is None:
        return
    desk = importlib.import_module(DESK_ROUTER)
    app.include_router(desk.router)
    desk.mount_static(app)


# --------------------------------------------------------------------------- errors
def add_error_handlers(app: FastAPI) -> None:
    _on(app, StarletteHTTPException, _http_error)
    _on(app, RequestValidationError, validation_error)
    _on(app, IdempotencyMismatch, _idempotency_mismatch)
    _on(app, FleetplanError, _domain_error)
    _on(app, NotFound, _not_found)
    _on(app, InvalidTransition, _conflict)
    _on(app, AlreadyReported, _already_reported)
    _on(app, BookingConflict, _conflict)
    _on(app, RecordError, _record_input)
    _on(app, OperationalError, _database_unavailable)


def _on(app: FastAPI, kind: type[E], handler: Callable[[Request, E], Awaitable[Response]]) -> None:
    """Starlette types every handler as taking any exception; it calls this one with ``kind`` only."""
    app.add_exception_handler(kind, cast(Callable[[Request, Exception], Awaitable[Response]], handler))


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    if error.status_code == 400 and error.detail == UNREADABLE_BODY:  # FastAPI's words name no field
        return SafeJSONResponse(status_code=400, content={"detail": "body: cannot be read as UTF-8 JSON"})
    if error.status_code == HTTP_405_METHOD_NOT_ALLOWED:
        return method_not_allowed(request, error)
    if error.status_code in (204, 304):  # no body allowed
        return Response(status_code=error.status_code, headers=error.headers)
    return SafeJSONResponse(status_code=error.status_code, content={"detail": error.detail}, headers=error.headers)


async def _domain_error(request: Request, error: FleetplanError) -> JSONResponse:
    return SafeJSONResponse(status_code=400, content={"detail": str(error)})


async def _not_found(request: Request, error: NotFound) -> JSONResponse:
    return SafeJSONResponse(status_code=404, content={"detail": f"number: {error}"})


async def _conflict(request: Request, error: RecordError) -> JSONResponse:
    return SafeJSONResponse(status_code=409, content={"detail": f"status: {error}"})


async def _already_reported(request: Request, error: RecordError) -> JSONResponse:
    return SafeJSONResponse(status_code=409, content={"detail": f"vehicle_id: {error}"})


async def _record_input(request: Request, error: RecordError) -> JSONResponse:
    # the store's own input checks ("idempotency_key: must be a non-empty text"); its messages name the field
    return SafeJSONResponse(status_code=400, content={"detail": str(error)})


async def _idempotency_mismatch(request: Request, error: IdempotencyMismatch) -> JSONResponse:
    # shaped like FastAPI's own 422, which the operation documents: the key is named in loc and msg
    problem = {"type": "idempotency_key_reused", "loc": ["header", "idempotency-key"], "msg": str(error)}
    return SafeJSONResponse(status_code=422, content={"detail": [problem]})


async def _database_unavailable(request: Request, error: OperationalError) -> JSONResponse:
    logger.error("database error on %s %s: %s", request.method, request.url.path, error)
    return JSONResponse(status_code=503, content={"detail": "database: busy or unavailable, try again"})
