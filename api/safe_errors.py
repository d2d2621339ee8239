"""Error answers that cannot fail themselves: any echoed value is made JSON-safe first.

FastAPI's 422 echoes the offending input, and not everything Python parses from a request is JSON:
``NaN`` and ``1e400`` (infinity) are floats that ``json.dumps(allow_nan=False)`` refuses, a lone
surrogate (``"\\ud800"``) cannot be encoded as UTF-8, bytes are not JSON and a deeply nested body
would recurse without end. :func:`json_safe` turns any value into bounded JSON (non-finite floats as
``"NaN"``/``"Infinity"``, surrogates and undecodable bytes as ``\\udXXX``/``\\xNN`` text, long texts
and containers cut), and :class:`SafeJSONResponse` renders every error answer through it.

Also here: the answer to a method a path does not have. Starlette's 405 names the methods of the
first route it tried, not of the path; :func:`method_not_allowed` lists every method the path
serves in ``Allow`` and answers ``OPTIONS`` with 204 and that header.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

logger = logging.getLogger(__name__)

MAX_DEPTH = 8  # containers nested deeper are echoed as "…"
MAX_ITEMS = 50  # items of a list or an object echoed
MAX_TEXT = 2000  # characters of a text echoed (a 1 MB field is not sent back whole)
MAX_INT_BITS = 1024  # larger integers are described, not echoed (printing one may exceed Python's digit limit)
CUT = "…"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
FALLBACK_422 = {"detail": [{"type": "value_error", "loc": ["body"], "msg": "the request is not valid"}]}


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data that :func:`json.dumps` (``allow_nan=False``) and UTF-8 always take.

    Parameters
    ----------
    value
        Anything: request input, an exception in an error's context, bytes.
    depth
        How deep ``value`` already is; containers below :data:`MAX_DEPTH` become ``"…"``.

    Returns
    -------
    Any
        None, a bool, a finite number, a text, or a list or dict of those.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= MAX_INT_BITS else f"an integer of {value.bit_length()} bits"
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bytes | bytearray):
        return _text(bytes(value).decode("utf-8", "backslashreplace"))
    if isinstance(value, dict | list | tuple | set | frozenset):
        if depth >= MAX_DEPTH:
            return CUT
        if isinstance(value, dict):
            items = list(value.items())[:MAX_ITEMS]
            return {_key(key): json_safe(item, depth + 1) for key, item in items}
        return [json_safe(item, depth + 1) for item in list(value)[:MAX_ITEMS]]
    try:
        return _text(str(value))
    except Exception:  # a __str__ that fails must not fail the answer
        return type(value).__name__


def _text(text: str) -> str:
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + CUT
    # lone surrogates (and nothing else) become their \udXXX escape as text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _key(key: Any) -> str:
    safe = json_safe(key, MAX_DEPTH)
    return safe if isinstance(safe, str) else json.dumps(safe)


class SafeJSONResponse(JSONResponse):
    """A JSON response that renders any content: see :func:`json_safe`."""

    def render(self, content: Any) -> bytes:
        try:
            safe = json_safe(content)
            return json.dumps(safe, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
        except Exception:  # json_safe is total; this is the last line of defence
            logger.exception("could not render an error answer")
            return b'{"detail":"request: the error could not be described"}'


async def validation_error(request: Request, error: RequestValidationError) -> Response:
    """FastAPI's 422 (``{"detail": [{"type", "loc", "msg", "input", "ctx"}]}``) with the values made safe."""
    try:
        return SafeJSONResponse(status_code=422, content={"detail": list(error.errors())})
    except Exception:
        logger.exception("could not describe a validation error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=422, content=FALLBACK_422)


def allowed_methods(request: Request) -> set[str]:
    """Every method some route (not a static mount) serves at the request's path, asked of the routes."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Mount):
            continue
        for method in METHODS:
            if route.matches({**request.scope, "method": method})[0] == Match.FULL:
                methods.add(method)
    return methods


def method_not_allowed(request: Request, error: StarletteHTTPException) -> Response:
    """405 with ``Allow`` naming every method of the path; ``OPTIONS`` is answered 204 with that header."""
    methods = allowed_methods(request)
    if not methods:  # not a route of ours (a static mount): keep what was said
        return SafeJSONResponse(status_code=405, content={"detail": error.detail}, headers=error.headers)
    allow = ", ".join(sorted(methods | {"OPTIONS"}))
    if request.method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": allow})
    detail = f"method: {request.method} is not served here; use {allow}"
    return SafeJSONResponse(status_code=405, content={"detail": detail}, headers={"Allow": allow})
