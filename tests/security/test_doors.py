"""The service's doors over HTTP (issue 15 items 4, 6, 10 and 11).

- every response, pages and JSON alike, carries the strict browser policy: a Content-Security-Policy
  without ``unsafe-inline`` or ``unsafe-eval`` and with ``frame-ancestors 'none'``, X-Frame-Options,
  nosniff and no referrer; the pages (desk, record, /docs) hold no inline script, style or handler;
- the printable record takes the bearer token from the ``Authorization`` header only: a token in
  the address (``?token=``) is not read, so no link carries one into logs or history;
- bidi control characters are stripped from free text before it is recorded;
- ``/docs`` is served from the package (vendored Swagger UI with its licence), ReDoc is off;
- ``/network/snap`` names both G1 carriageways for a point on G1, as texts the locator reads.

The browser side of each (Chromium) is in ``tests/api/test_desk_browser.py``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.network.locate import locate

from api.hardening import strip_bidi_controls

from tests.api.http_support import DeskClient

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ON_G1 = {"lat": 43.4917, "lon": 124.8428}  # G1 at about K56.7, between Gongzhuling and Fanjiatun
OFF_G1 = {"lat": 43.5, "lon": 124.83}  # nearer the Gongzhuling access road than G1
LABELS = {"to_changchun": "toward Changchun", "to_siping": "toward Siping"}


@pytest.fixture(scope="module")
def desk(desk_served_module) -> DeskClient:
    """A real ``fleetplan serve`` on SQLite and on PostgreSQL (tests/api/conftest.py), as the adversary meets it."""
    return desk_served_module


@pytest.fixture(scope="module")
def number(desk) -> int:
    """One incident, reported and voided: the record page has something to show."""
    response = desk.report(location="siping_depot", vehicle_id="c04", time="2026-12-07T06:50", passengers=10)
    assert response.status_code == 201, response.text
    return response.json()["number"]


class _Inline(HTMLParser):
    """Inline scripts, styles, handlers and style attributes of a page: what a strict CSP refuses."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            self._in_script = "src" not in names
            self.scripts.append(dict(attrs).get("src") or "")
        self.found += [f"<{tag} {name}>" for name in names if name == "style" or name.startswith("on")]
        self.found += [f"<{tag} {name}={value}>" for name, value in attrs if value and value.startswith("javascript:")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")


def inline_parts(page: str) -> _Inline:
    parser = _Inline()
    parser.feed(page)
    return parser


def assert_strict_policy(headers) -> None:
    policy = headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy and "*" not in policy, policy
    assert directives["default-src"] == ["'none'"], policy
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"], policy
    assert directives["frame-ancestors"] == ["'none'"] and directives["base-uri"] == ["'none'"], policy
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


# --------------------------------------------------------------------------- item 10: headers and pages
@pytest.mark.parametrize(
    "path", ["/", "/history", "/kpis/page", "/docs", "/openapi.json", "/static/desk.js", "/health"]
)
def test_every_response_sends_the_strict_browser_policy(desk, path):
    response = desk.client.get(path)
    assert response.status_code == 200, path
    assert_strict_policy(response.headers)


def test_the_record_page_and_error_answers_send_it_too(desk, number):
    response = desk.get(f"/incidents/{number}/record")
    assert response.status_code == 200
    assert_strict_policy(response.headers)
    assert response.headers["cache-control"] == "no-store"
    for refused in (desk.client.get(f"/incidents/{number}/record"), desk.client.get("/nothing-here")):
        assert refused.status_code in (401, 404)
        assert_strict_policy(refused.headers)


def test_no_page_holds_an_inline_script_style_or_handler(desk, number):
    pages = {
        "desk": desk.client.get("/").text,
        "history": desk.client.get("/history").text,
        "kpis": desk.client.get("/kpis/page").text,
        "docs": desk.client.get("/docs").text,
        "record": desk.get(f"/incidents/{number}/record").text,
    }
    for name, page in pages.items():
        parts = inline_parts(page)
        assert parts.found == [], (name, parts.found)
        for src in parts.scripts:
            assert src.startswith("/static/"), (name, src)  # every script from the service itself
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page), name  # nothing from elsewhere


def test_the_desk_scripts_set_no_style_attribute():
    """A style attribute set from a script is refused by ``style-src 'self'``: the desk uses element.style."""
    from api.routers.desk import STATIC_DIR

    scripts = ("desk.js", "map.js", "api.js", "i18n.js", "docs.js", "record.js")
    for script in scripts + ("pages.js", "history.js", "kpis.js", "i18n_pages.js"):
        text = (STATIC_DIR / script).read_text(encoding="utf-8")
        assert not re.search(r"""style:\s*[`'"]|setAttribute\(\s*["']style|innerHTML|\.cssText""", text), script


# --------------------------------------------------------------------------- item 6: no token in an address
def test_the_record_page_reads_the_token_from_the_header_only(desk, number):
    path = f"/incidents/{number}/record"
    token = desk.tokens["viewer"]
    assert desk.client.get(path, params={"token": token}).status_code == 401  # in the address: not read
    assert desk.client.get(path, params={"access_token": token}).status_code == 401
    assert desk.client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    operation = desk.client.get("/openapi.json").json()["paths"]["/incidents/{number}/record"]["get"]
    assert [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"] == []


def test_the_desk_builds_no_address_with_a_token():
    from api.routers.desk import STATIC_DIR

    for script in ("desk.js", "api.js"):
        text = (STATIC_DIR / script).read_text(encoding="utf-8")
        assert not re.search(r"[?&]token=|recordHref", text), script


# --------------------------------------------------------------------------- item 10: bidi controls
def test_strip_bidi_controls_removes_exactly_the_embedding_override_and_isolate_controls():
    assert strip_bidi_controls(f"a{BIDI}b") == "ab"
    kept = "left\u200eright\u200f 回访 Ünïcode\u061c"  # LRM, RLM and ALM are marks, not controls
    assert strip_bidi_controls(kept) == kept
    assert strip_bidi_controls("\u202egnp.exe") == "gnp.exe"


def test_free_text_is_recorded_without_bidi_controls(desk):
    reported = desk.report(location=f"G1 K78\u202e toward Siping{BIDI}")
    assert reported.status_code == 201, reported.text
    number = reported.json()["number"]
    assert reported.json()["report"]["location"] == "G1 K78 toward Siping"
    voided = desk.post(f"/incidents/{number}/void", {"reason": "\u202eevil\u202c duplicate \u2066x\u2069"})
    assert voided.status_code == 200, voided.text
    assert voided.json()["voided"]["reason"] == "evil duplicate x"
    record = desk.get(f"/incidents/{number}/record").text
    assert not any(char in record for char in BIDI)

    closure = desk.post("/closures", {"kind": "entrance", "target": "gongzhuling_ic", "reason": "ice\u202e on ramp"})
    assert closure.status_code == 201, closure.text
    assert closure.json()["reason"] == "ice on ramp"
    assert desk.client.delete(f"/closures/{closure.json()['id']}", headers=desk.headers()).status_code in (200, 204)

    status = desk.client.patch(
        "/fleet/c24", json={"status": "standby", "reason": "\u2067back\u2069 from check"}, headers=desk.headers()
    )
    assert status.status_code == 200, status.text
    log = desk.get("/incidents", params={"status": "open"})  # nothing else recorded the controls either
    assert not any(char in log.text for char in BIDI)


# --------------------------------------------------------------------------- item 11: /docs from the package
def test_docs_are_served_from_the_package_with_their_licence(desk):
    page = desk.client.get("/docs").text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui/swagger-ui.css" in assets
    for asset in assets:
        assert desk.client.get(asset).status_code == 200, asset
    assert 'data-openapi-url="/openapi.json"' in page
    licence = desk.client.get("/static/vendor/swagger-ui/LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text
    assert "swagger-ui-dist 5.35.0" in desk.client.get("/static/vendor/swagger-ui/VENDORED.md").text
    assert desk.client.get("/redoc").status_code == 404  # it would come from a CDN
    assert "/docs" not in desk.client.get("/openapi.json").json()["paths"]


def test_the_desk_map_library_is_served_from_the_package_with_its_licence(desk):
    page = desk.client.get("/").text
    assert "/static/vendor/leaflet/leaflet.css" in re.findall(r'href="(/static/[^"]+)"', page)
    module = desk.client.get("/static/vendor/leaflet/leaflet-src.esm.js")
    assert module.status_code == 200 and "Leaflet 1.9.4" in module.text[:300]
    licence = desk.client.get("/static/vendor/leaflet/LICENSE")
    assert licence.status_code == 200 and "BSD 2-Clause" in licence.text
    desk_script = desk.client.get("/static/map.js").text
    assert 'from "./vendor/leaflet/leaflet-src.esm.js"' in desk_script  # no CDN: the desk works offline


# --------------------------------------------------------------------------- item 4: a point on G1 has two sides
def test_a_point_on_g1_snaps_to_both_carriageways_as_texts_the_locator_reads(desk):
    response = desk.get("/network/snap", params=ON_G1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["on_g1"] and body["road"] == "G1"
    sides = {side["direction"]: side for side in body["carriageways"]}
    assert set(sides) == {"to_changchun", "to_siping"}
    network = load_corridor().network
    for direction, side in sides.items():
        assert re.fullmatch(rf"G1 K\d+\.\d {LABELS[direction]}", side["location"])
        where = locate(network, side["location"])
        assert where.direction == direction and where.km == pytest.approx(side["km"], abs=0.05)
        assert 56.0 < side["km"] < 57.5


def test_a_point_off_g1_has_no_sides_and_a_far_one_no_road(desk):
    off = desk.get("/network/snap", params=OFF_G1).json()
    assert off["on_g1"] is False and off["carriageways"] == [] and off["road"]
    far = desk.get("/network/snap", params={"lat": 40.0, "lon": 120.0}).json()
    assert far["road"] is None and far["carriageways"] == []
    assert desk.get("/network/snap", params={"lat": "nan", "lon": 124.8}).status_code == 422
    assert desk.client.get("/network/snap", params=ON_G1).status_code == 401
