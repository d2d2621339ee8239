"""Checks of what the desk is given against the corridor, each failing with the field named."""

from __future__ import annotations

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.model import Conditions, Vehicle
from fleetplan.network.travel import check_conditions

from api import views
from api.desk.live import EDGE_ARROW
from api.operations_log import ClosureKind


def find_vehicle(corridor: Corridor, key: str) -> Vehicle:
    try:
        return views.find_vehicle(corridor.dataset, key.strip())
    except UnknownIdError as error:
        raise InvalidValueError(
            "vehicle_id", f"unknown coach {key!r} (give an id or a plate); {str(error).partition('; ')[2]}"
        ) from None


def check_closure_target(corridor: Corridor, kind: ClosureKind, target: str) -> None:
    """Check that a closure names something the road network has.

    Parameters
    ----------
    corridor
        Its network's entrances and edges are the valid targets.
    kind
        ``entrance`` (an interchange or service-area id, or ``"*"``) or ``edge`` (``"u->v"``).
    target
        What to close.

    Raises
    ------
    InvalidValueError
        Naming ``target``: not an entrance, not an edge, or not written ``u->v``.
    """
    if kind == ClosureKind.ENTRANCE:
        probe = Conditions(name="probe", closed_entrances=frozenset({target}))
    else:
        u, arrow, v = target.partition(EDGE_ARROW)
        if not arrow or not u.strip() or not v.strip():
            raise InvalidValueError("target", f"{target!r} is not an edge; write it 'u->v' with two node ids")
        probe = Conditions(name="probe", closed_edges=frozenset({(u.strip(), v.strip())}))
    try:
        check_conditions(corridor.network, probe)
    except InvalidValueError as error:
        raise InvalidValueError("target", error.problem) from None
