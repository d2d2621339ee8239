"""The interactive API docs at ``/docs``, served from the package (issue 15 item 11).

FastAPI's own ``/docs`` loads Swagger UI from a CDN (a blank page on an offline desk) and starts it
with an inline script (refused by the strict Content-Security-Policy of :mod:`api.hardening`). This
page loads the vendored ``swagger-ui-dist`` from ``/static/vendor/swagger-ui`` (see its
``VENDORED.md``) and starts it from ``/static/docs.js``, which reads the OpenAPI address from the
page. ReDoc (``/redoc``) is switched off for the same two reasons.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

SWAGGER_UI = "/static/vendor/swagger-ui"
DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API docs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{root}{swagger}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{root}{swagger}/swagger-ui-bundle.js"></script>
<script src="{root}/static/docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI for the service's OpenAPI document, with no request leaving the service."""
    app = request.app
    root = request.scope.get("root_path", "").rstrip("/")
    page = DOCS_PAGE.format(
        title=escape(app.title),
        root=escape(root),
        swagger=SWAGGER_UI,
        openapi_url=escape(root + (app.openapi_url or "/openapi.json")),
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
