"""Liveness: the loaded data and whether the records database answers (no token needed)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends
from sqlalchemy.exc import SQLAlchemyError

from fleetplan.corridor import Corridor

from api.clock import DrillClock, is_drill
from api.desk import Desk
from api.records.types import RecordError, RecordStore
from api.routers.deps import get_corridor, get_desk, get_store
from api.schemas import ClockOut, Health

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


@router.get("/health", response_model=Health, summary="Service liveness, loaded data and database")
def health(
    corridor: Corridor = Depends(get_corridor), store: RecordStore = Depends(get_store), desk: Desk = Depends(get_desk)
) -> Health:
    clock = desk.clock
    return Health(
        status="ok",
        vehicles=len(corridor.dataset.vehicles),
        drivers=len(corridor.dataset.drivers),
        network_nodes=corridor.network.graph.number_of_nodes(),
        database=database_state(store),
        clock=ClockOut(
            now=clock().isoformat(timespec="seconds"),
            drill=is_drill(clock),
            speedup=clock.speedup if isinstance(clock, DrillClock) else 1.0,
        ),
    )


def database_state(store: RecordStore) -> str:
    """'ok' when the store answers a query, else the reason (health must not fail itself)."""
    try:
        store.has_users()
    except (SQLAlchemyError, RecordError, OSError) as error:
        logger.warning("health: database not answering: %s", error)
        return f"unavailable: {type(error).__name__}"
    return "ok"
