"""What the service does against hostile pages and hostile text (issue 15 item 10).

- :class:`SecurityHeaders` puts one strict browser policy on every response (the desk, the record
  page, ``/docs`` and the JSON API alike): a Content-Security-Policy without ``unsafe-inline`` or
  ``unsafe-eval`` (scripts and styles come from ``/static`` only), no framing, no MIME sniffing and
  no referrer. The pages keep no inline script or style for this reason; a script that needs a style
  sets it through ``element.style`` (CSSOM), which the policy allows.
- :func:`strip_bidi_controls` removes the Unicode bidirectional embedding, override and isolate
  controls from free text at the input boundary (``api.schemas.FreeText``), so that a recorded note
  cannot make the desk or the printed record show text in an order other than the one stored.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(img_sources: tuple[str, ...] = ()) -> str:
    """The policy; ``img_sources`` adds image origins (a configured basemap's tile server)."""
    # data: for the blank favicon and Swagger UI's inline SVG icons
    images = " ".join(["'self'", "data:", *img_sources])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "font-src 'self'",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def tile_sources(tile_url: str | None) -> tuple[str, ...]:
    """The CSP source of a tile URL template: its scheme and host, a ``{s}`` subdomain as ``*``.

    >>> tile_sources("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    ('https://*.tile.example.org',)
    """
    if not tile_url:
        return ()
    scheme, _, rest = tile_url.partition("://")
    host = rest.split("/", 1)[0]
    # a template placeholder in the host (a subdomain) may be any one label
    host = re.sub(r"\{[^}]*\}", "*", host)
    return (f"{scheme}://{host}",)


# U+202A–U+202E (LRE, RLE, PDF, LRO, RLO) and U+2066–U+2069 (LRI, RLI, FSI, PDI)
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


class SecurityHeaders:
    """ASGI middleware setting :data:`SECURITY_HEADERS` on every HTTP response (they replace a route's own).

    Parameters
    ----------
    app
        The application to wrap.
    img_sources
        Image origins beyond the service's own (the basemap's tile server, when one is configured).
    """

    def __init__(self, app: ASGIApp, img_sources: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = {**SECURITY_HEADERS, "Content-Security-Policy": content_security_policy(img_sources)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def strip_bidi_controls(text: str) -> str:
    """``text`` without bidirectional embedding, override and isolate controls (U+202A–202E, U+2066–2069).

    Parameters
    ----------
    text
        Free text as received (a note, a reason, a location).

    Returns
    -------
    str
        The same text with those characters removed; the implicit marks (LRM, RLM) are harmless and kept.
    """
    return BIDI_CONTROLS.sub("", text)
