"""Dependencies shared by routers; tests override them."""

from __future__ import annotations

from fastapi import Request

from fleetplan.corridor import Corridor


def get_corridor(request: Request) -> Corridor:
    return request.app.state.corridor
