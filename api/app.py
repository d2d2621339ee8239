"""The FastAPI application: routers per resource, corridor data loaded once in ``lifespan``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from fleetplan.corridor import load_corridor
from fleetplan.errors import FleetplanError

from api.routers import corridor, health
from api.schemas import ErrorBody
from api.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; ``settings`` default to the environment."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.corridor = load_corridor(settings.data_dir)
        yield

    app = FastAPI(
        title="fleetplan",
        summary="Backup-coach dispatch for the Siping–Changchun charter corridor",
        version="0.1.0",
        lifespan=lifespan,
        responses={400: {"model": ErrorBody}},
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(corridor.router)
    app.add_exception_handler(FleetplanError, _domain_error)
    return app


async def _domain_error(request: Request, error: FleetplanError) -> JSONResponse:
    return JSONResponse(status_code=400, content={"detail": str(error)})
