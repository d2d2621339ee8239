"""The dispatch desk: the page at ``/``, its static assets at ``/static``, and the printable record.

The record page (售后服务记录, the service record the operator files) is rendered on the server from
the store (by :mod:`api.record_page`), so that what is printed is exactly what was recorded. It needs
a viewer token. A plain link from the desk cannot send an ``Authorization`` header, so the page also
accepts the token as ``?token=``: the desk's "record" link opens a normal, printable page in a new
tab without a script-built copy of the record. To keep that token out of places it could leak from,
the page is sent with ``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``, and it
removes the query from the address bar (``history.replaceState``) as soon as it loads. The header
still works and is what API clients should use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Security, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.staticfiles import StaticFiles

from fleetplan.corridor import Corridor
from fleetplan.units import china_now

from api import auth, views
from api.record_page import render_record
from api.records.types import NotFound, RecordStore, Role, User
from api.routers.deps import get_corridor, get_store
from api.schemas import error_responses

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
DESK_PAGE = STATIC_DIR / "index.html"

router = APIRouter(tags=["desk"])


def mount_static(app: FastAPI) -> None:
    """Serve ``api/static`` (the desk's scripts and styles) at ``/static``.

    Parameters
    ----------
    app
        The service; call once, after the routers are included.
    """
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


@router.get(
    "/",
    response_class=FileResponse,
    summary="The dispatch desk page",
    responses={200: {"content": {"text/html": {}}, "description": "the desk (HTML)"}},
)
def desk_page() -> FileResponse:
    """The desk itself asks for the token and keeps it in the tab's sessionStorage."""
    return FileResponse(DESK_PAGE, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


# --------------------------------------------------------------------------- the record page
def json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error responses of an HTML route, documented as the JSON they are.

    FastAPI would file a ``model`` under the route's own media type (``text/html``); naming the
    content explicitly keeps the OpenAPI document true to the wire.
    """
    documented = error_responses(*codes)
    return {
        code: {
            "description": entry["description"],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
        for code, entry in documented.items()
    }


def record_reader(
    credentials: HTTPAuthorizationCredentials | None = Security(auth.bearer),
    token: str | None = Query(
        None, max_length=200, description="the bearer token, for opening the page from a plain link"
    ),
    store: RecordStore = Depends(get_store),
) -> User:
    """A viewer (or above) from the ``Authorization`` header or, failing that, the ``token`` query."""
    user = auth.user_for_token(store, credentials.credentials if credentials else token)
    if not auth.role_allows(user.role, Role.VIEWER):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role: {user.name} is {user.role.value}; this needs viewer")
    return user


@router.get(
    "/incidents/{number}/record",
    response_class=HTMLResponse,
    summary="Printable service record (HTML)",
    responses={
        200: {"content": {"text/html": {}}, "description": "the service record (售后服务记录)"},
        **json_errors(401, 403, 404),
    },
)
def record_page(
    number: int = PathParam(ge=1, le=2**31 - 1, description="the incident's record number"),
    _user: User = Depends(record_reader),
    store: RecordStore = Depends(get_store),
    corridor: Corridor = Depends(get_corridor),
) -> HTMLResponse:
    """The incident's service record rendered from the store: report, decision, accepted plan, timeline,
    response time against the limit and the follow-up call."""
    try:
        record = store.incident(number)
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"number: {error}") from None
    page = render_record(views.incident_view(record, with_entries=True), corridor, china_now())
    return HTMLResponse(page, headers=RECORD_HEADERS)


RECORD_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
