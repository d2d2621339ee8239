"""The dispatch desk: the page at ``/``, its static assets at ``/static``, and the printable record;
beside it the incident history (``/history``) and the KPI page (``/kpis/page``).

The record page (售后服务记录, the service record the operator files) is rendered on the server from
the store (by :mod:`api.record_page`), so that what is printed is exactly what was recorded. It needs
a viewer token in the ``Authorization`` header, and only there: a token in the address would land in
access logs, proxy logs and the browser's history. The desk's "record" button fetches the page with
the header and opens it in a new tab of its own (``about:blank``, so no address carries anything);
the page is sent with ``Cache-Control: no-store`` and the service's security headers
(:mod:`api.hardening`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from fleetplan.corridor import Corridor

from api import auth, views
from api.desk import Desk
from api.messaging.outbox import Outbox
from api.record_page import render_record
from api.records.types import NotFound, RecordStore, User
from api.routers.deps import get_corridor, get_desk, get_outbox, get_store
from api.schemas import error_responses

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
DESK_PAGE = STATIC_DIR / "index.html"
HISTORY_PAGE = STATIC_DIR / "history.html"
KPI_PAGE = STATIC_DIR / "kpis.html"
PAGE_HEADERS = {"Cache-Control": "no-cache"}

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
    return FileResponse(DESK_PAGE, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get(
    "/history",
    response_class=FileResponse,
    summary="The incident history page: search, filters, CSV export",
    responses={200: {"content": {"text/html": {}}, "description": "the history (HTML)"}},
)
def history_page() -> FileResponse:
    """Like the desk, the page needs no token; its data calls send the tab's (``GET /incidents``, its CSV)."""
    return FileResponse(HISTORY_PAGE, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get(
    "/kpis/page",
    response_class=FileResponse,
    summary="The KPI page: the service KPIs of a period as numbers and charts",
    responses={200: {"content": {"text/html": {}}, "description": "the KPI page (HTML)"}},
)
def kpi_page() -> FileResponse:
    """``/kpis`` itself is the JSON the page draws (``GET /kpis``); the page needs no token, its data calls do."""
    return FileResponse(KPI_PAGE, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


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
    _user: User = Depends(auth.viewer),  # the header only: a token in the address is not read
    store: RecordStore = Depends(get_store),
    corridor: Corridor = Depends(get_corridor),
    desk: Desk = Depends(get_desk),
    outbox: Outbox = Depends(get_outbox),
) -> HTMLResponse:
    """The incident's service record rendered from the store: report, decision, accepted plan, timeline,
    response time against the limit, the follow-up call and the messages sent (the outbox)."""
    try:
        record = store.incident(number)
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"number: {error}") from None
    messages = [message.view() for message in outbox.for_incident(number)]
    page = render_record(views.incident_view(record, with_entries=True, messages=messages), corridor, desk.clock())
    return HTMLResponse(page, headers=RECORD_HEADERS)


RECORD_HEADERS = {"Cache-Control": "no-store"}  # the CSP and the rest: api.hardening, on every response
