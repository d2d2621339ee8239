from __future__ import annotations

from fastapi import APIRouter, Depends

from fleetplan.corridor import Corridor

from api.routers.deps import get_corridor
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Service liveness and loaded data")
def health(corridor: Corridor = Depends(get_corridor)) -> Health:
    return Health(
        status="ok",
        vehicles=len(corridor.dataset.vehicles),
        drivers=len(corridor.dataset.drivers),
        network_nodes=corridor.network.graph.number_of_nodes(),
    )
