"""The dispatch desk in a real browser against the real service (issue 4, "Must show": browser test).

One ``fleetplan serve`` subprocess with its own SQLite file serves every test here; Debian's Chromium
is driven by Playwright. The walk-through reports the DESIGN's example breakdown, accepts the best
option, follows it into the open-incidents list and onto its printable record, and saves a
screenshot to ``test-artifacts/desk.png``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime

import pytest

from fleetplan.corridor import load_corridor

from api.routers.desk import render_record

from tests.api.browser_util import (
    ARTIFACTS,
    UI_TIMEOUT_MS,
    Service,
    desk_page,
    running_service,
)

BREAKDOWN = {"vehicle": "c01", "location": "G1 K78 toward Siping", "time": "2026-12-07T07:40", "passengers": "42"}
VIEWPORT = {"width": 1440, "height": 1000}
DRILL_CLOCK = "2026-12-08T12:00"  # the service's clock: the day after every report of this module
# Collects what the page's Content-Security-Policy refused (issue 15 item 10); run before any page script.
# Under that policy (no 'unsafe-eval') give wait_for_function an arrow function, not a bare expression:
# Playwright evaluates a bare expression again with eval() on every poll, which the page refuses.
CSP_LISTENER = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " (e) => window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));"
)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    # each incident planned alone: the tests share one service, and joint planning would re-plan each
    # report with the others' leftovers (the joint desk has its own test: test_joint_browser.py). A drill
    # clock the day after the reports here: the desk lists today's incidents whatever their state, so on
    # the wall clock's 2026-12-07 (China) a followed-up incident of that day stayed listed and the
    # lifecycle test failed for that one day.
    with running_service(tmp_path_factory.mktemp("desk"), joint_planning="false", clock_from=DRILL_CLOCK) as running:
        yield running


@pytest.fixture
def desk(browser, service):
    """A fresh tab on the desk, signed in as the dispatcher, English labels; fails on any script error
    and on anything the page's Content-Security-Policy refused."""
    with desk_page(browser, service, VIEWPORT, scripts=(CSP_LISTENER,)) as page:
        yield page
        refused = [] if page.is_closed() else page.evaluate("window.__cspViolations")
    assert refused == [], refused


def report(page, vehicle: str, location: str, time: str, passengers: str) -> int:
    """Fill the form, submit it with Enter, and return the new incident's number once options show."""
    before = (
        page.locator("#options .incident-head").get_attribute("data-number")
        if page.locator("#options .incident-head").count()
        else None
    )
    if page.locator("#report-form").is_hidden():  # folded away under the last options
        page.press("body", "n")
    page.select_option("#vehicle", vehicle)
    page.fill("#location", location)
    page.fill("#time", time)
    page.fill("#passengers", passengers)
    page.press("#passengers", "Enter")  # Enter submits the form
    page.wait_for_function(
        "before => { const h = document.querySelector('#options .incident-head');"
        " return h && h.dataset.number !== before && document.querySelector('#options article.plan'); }",
        arg=before,
    )
    return int(page.locator("#options .incident-head").get_attribute("data-number"))


# --------------------------------------------------------------------------- the walk-through
def test_report_accept_list_and_record(desk, service):
    page = desk
    number = report(page, **BREAKDOWN)

    plans = page.locator("#options article.plan")
    assert plans.count() >= 1
    assert [int(plans.nth(i).get_attribute("data-rank")) for i in range(plans.count())] == list(
        range(1, plans.count() + 1)
    )
    first = plans.first
    assert re.search(r"\d+ / 60 min", first.locator(".eta-text").first.inner_text())  # near_backup tier: 60 min
    assert_chips_match_the_outcome(page, service, number)
    assert re.fullmatch(r"\d+ seats · \d+\.\d km empty", first.locator("tbody .seats").first.inner_text().strip())
    assert re.fullmatch(r"\d+\.\d h left", first.locator("tbody .hours").first.inner_text().strip())
    assert first.locator(".explanation").inner_text().strip()
    rejected = page.locator("#options details.rejected")
    assert int(re.search(r"\((\d+)\)", rejected.locator("summary").inner_text()).group(1)) > 0
    rejected.locator("summary").click()
    assert "off shift" in rejected.inner_text() or "licence" in rejected.inner_text()

    chosen_coach = first.locator("tbody tr").first.get_attribute("data-vehicle")
    first.locator("button.accept").click()
    page.wait_for_selector("#options .notice-ok")
    assert page.locator("#options .incident-head .badge").get_attribute("data-status") == "accepted"
    assert page.locator("#options article.plan.is-accepted").get_attribute("data-rank") == "1"
    assert page.locator("#options button.accept").count() == 0  # no second accept offered

    row = page.locator(f"#incidents tbody tr[data-number='{number}']")
    row.wait_for()
    page.wait_for_function(
        f"() => document.querySelector(\"#incidents tr[data-number='{number}']\").dataset.status === 'accepted'"
    )
    assert row.locator("button[data-step='on-scene']").count() == 1
    page.wait_for_selector("#map path.route-accepted.leg-to_scene", state="attached")  # its route drawn
    page.wait_for_selector(f"#map .incident-marker[data-number='{number}']", state="attached")
    booked = page.evaluate(
        "(id) => document.querySelector('#vehicle').selectedOptions && "
        "[...document.querySelectorAll('#vehicle option')].find(o => o.value === id).textContent",
        chosen_coach,
    )
    assert f"#{number}" in booked  # the coach is booked by this incident

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desk.png"), full_page=True)

    # The record is fetched with the token in the header and shown in a blank tab: no address holds the
    # token (issue 15 item 6), and the tab prints with the record's own stylesheet and print button.
    addresses: list[str] = []
    page.context.on("request", lambda request: addresses.append(request.url))
    with page.context.expect_page() as opened:
        row.locator(".record-link").click()
    record = opened.value
    record.wait_for_selector("#record-number")
    assert record.url == "about:blank"
    assert record.locator("#record-number").inner_text() == f"No. {number:06d}"
    accepted = record.locator("section.accepted-plan").inner_text()
    assert "Accepted plan" in accepted and chosen_coach in accepted and "desk" in accepted
    assert "Rejected candidates" in record.content()
    record.wait_for_function("() => getComputedStyle(document.querySelector('header')).display === 'flex'")
    record.evaluate("window.print = () => { window.printed = true; }")
    record.wait_for_function("() => document.getElementById('print').click() || window.printed === true")
    assert f"/incidents/{number}/record" in " ".join(addresses)
    assert not [address for address in addresses if service.token in address or "token=" in address], addresses
    assert record.evaluate("window.__cspViolations") == []
    record.screenshot(path=str(ARTIFACTS / "desk-record.png"), full_page=True)
    record.close()


def test_accepting_a_coach_booked_meanwhile_shows_the_conflict_and_fresh_options(desk, service):
    page = desk
    mine = report(page, "c02", "G1 K40 toward Changchun", "2026-12-07T07:10", "30")
    # Another desk reports a breakdown at the same place (a second coach: the same one again is refused)
    # and books a plan sharing a coach or driver with my option 1.
    status, other = service.json(
        "POST",
        "/incidents",
        {"vehicle_id": "c03", "location": "G1 K40 toward Changchun", "time": "2026-12-07T07:10", "passengers": 30},
    )
    assert status == 201, other
    _, shown = service.json("GET", f"/incidents/{mine}")
    # Equal-valued plans may be ranked differently by the two solves (CP-SAT breaks ties by search
    # order), so look for any of my options that shares a coach or driver with any of theirs.
    mine_rank, rival = next(
        (
            (m["rank"], p["rank"])
            for m in shown["options"]["plans"]
            for p in other["options"]["plans"]
            if resources(p) & resources(m)
        ),
        (None, None),
    )
    assert rival is not None, "reports at one place and time should compete for the same crews"
    status, _ = service.json("POST", f"/incidents/{other['number']}/accept", {"rank": rival})
    assert status == 200

    page.locator(f"#options article.plan[data-rank='{mine_rank}'] button.accept").click()
    notice = page.locator("#options .notice-conflict")
    notice.wait_for()
    assert "already booked" in notice.inner_text()
    assert page.locator("#options .incident-head .badge").get_attribute("data-status") == "options"
    fresh = page.locator("#options article.plan[data-rank='1']")
    fresh.wait_for()
    assert not (resources_in_card(fresh) & resources(next(p for p in other["options"]["plans"] if p["rank"] == rival)))
    fresh.locator("button.accept").click()
    page.wait_for_selector("#options .notice-ok")
    for number in (mine, other["number"]):  # leave the crews free for the other tests
        service.json("POST", f"/incidents/{number}/void", {"reason": "browser test"})


def test_lifecycle_buttons_move_an_incident_to_follow_up(desk, service):
    page = desk
    number = report(page, "c03", "gongzhuling_sa.to_siping.parking", "2026-12-07T08:05", "20")
    page.click("#options button.recompute")  # options again, from the live state
    page.wait_for_function("() => document.querySelector('#options').getAttribute('aria-busy') === 'false'")
    _, view = service.json("GET", f"/incidents/{number}")
    assert [entry["kind"] for entry in view["entries"]].count("options") == 2
    page.locator("#options article.plan[data-rank='1'] button.accept").click()
    page.wait_for_selector("#options .notice-ok")
    row = page.locator(f"#incidents tbody tr[data-number='{number}']")
    for step, at, note, status in (
        # 75 min: the first coach needs about 54 (an on-scene after 35 min was accepted before issue 15 §3)
        ("on-scene", "2026-12-07T09:20", None, "on_scene"),
        ("resolved", "2026-12-07T09:30", "passengers delivered", "resolved"),
    ):
        row.locator(f"button[data-step='{step}']").click()
        page.wait_for_selector("#step-dialog[open]")
        page.fill("#step-at", at)
        if note:
            page.fill("#step-note", note)
        page.press("#step-at", "Enter")  # Enter confirms the dialog
        page.wait_for_function(
            f"() => document.querySelector(\"#incidents tr[data-number='{number}']\")?.dataset.status === '{status}'"
        )
    assert re.match(r"75 / \d+ min", row.locator("td").nth(6).inner_text())  # response 75 min against the limit
    row.locator("button[data-step='follow-up']").click()
    page.fill("#step-note", "passengers satisfied")
    page.click("#step-confirm")
    page.wait_for_function(
        f"() => !document.querySelector(\"#incidents tr[data-number='{number}']\")"
    )  # no longer open
    _, view = service.json("GET", f"/incidents/{number}")
    assert view["status"] == "followed_up" and view["follow_up"]["note"] == "passengers satisfied"


def test_language_toggle_and_bad_input_are_reported(desk):
    page = desk
    assert page.inner_text("#submit") == "Report and plan"
    page.click("#lang")
    assert page.inner_text("#submit") == "上报并求解"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "Passengers" in page.inner_text("label[for='passengers']")  # form labels keep the other language
    page.click("#lang")
    page.fill("#location", "")
    page.press("#passengers", "Enter")
    assert page.locator("#form-error").is_visible()
    assert page.locator("#location").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "location"
    page.fill("#location", "nowhere-at-all")
    page.fill("#passengers", "10")
    page.press("#passengers", "Enter")
    page.wait_for_function("() => document.querySelector('#form-error').textContent.includes('location')")


def test_clicking_the_map_off_g1_fills_the_location(desk):
    page = desk
    depot = page.locator("#map .place-depot").first.bounding_box()  # a depot in town: off G1
    page.mouse.click(depot["x"] + depot["width"] / 2, depot["y"] + depot["height"] / 2)
    page.wait_for_function("() => document.querySelector('#location').value !== ''")
    value = page.input_value("#location")
    lat, lon = (float(part) for part in value.split(","))
    assert 43.1 < lat < 43.95 and 124.3 < lon < 125.6
    assert page.locator("#map .pick-marker").count() == 1
    assert page.locator("#side-choice").is_hidden()


def test_a_bad_token_is_refused(browser, service):
    context = browser.new_context()
    page = context.new_page()
    page.goto(service.base_url + "/")
    page.fill("#token", "not-a-token")
    page.press("#token", "Enter")
    page.wait_for_selector("#toast.show")
    assert page.locator("#login").is_visible()
    assert page.evaluate("sessionStorage.getItem('fleetplan.token')") is None
    context.close()


# --------------------------------------------------------------------------- the record page over HTTP
def test_record_page_needs_a_token_in_the_header_and_ignores_one_in_the_query(service):
    """Changed for issue 15 item 6: the page used to accept ``?token=`` too (for a plain link); a token
    in an address lands in access logs and the browser's history, so only the header counts now."""
    status, body = service.json(
        "POST",
        "/incidents",
        {"vehicle_id": "c04", "location": "siping_depot", "time": "2026-12-07T06:50", "passengers": 10},
    )
    assert status == 201, body
    path = f"/incidents/{body['number']}/record"
    assert service.get(path)[0] == 401
    assert service.get(path + "?token=wrong")[0] == 401
    status, headers, page = service.get(path, token=service.token)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert headers["referrer-policy"] == "no-referrer" and "no-store" in headers["cache-control"]
    assert f"No. {body['number']:06d}" in page.decode()
    assert service.get(f"{path}?token={service.token}")[0] == 401
    assert service.get("/incidents/999999/record", token=service.token)[0] == 404
    service.json("POST", f"/incidents/{body['number']}/void", {"reason": "browser test"})


def test_desk_page_and_assets_are_served_without_a_token(service):
    status, headers, page = service.get("/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.decode()):
        assert service.get(asset)[0] == 200, asset
    for module in (
        "desk.js",
        "api.js",
        "map.js",
        "i18n.js",
        "stream.js",
        "geo.js",
        "vendor/leaflet/leaflet-src.esm.js",
    ):
        assert service.get(f"/static/{module}")[0] == 200, module
    assert b"http://" not in page and b"https://" not in page  # nothing from the internet


def test_plan_chips_say_late_by_how_much_apart_from_not_reached(desk):
    """Passengers reached 1 min late are "reached 1 min late", not "not reached" (issue 14 item 13); an
    option recorded before plans carried their outcome is split from its ETAs the same way."""
    page = desk
    serve_incident(page, OUTCOME_INCIDENT)
    page.click(f"#incidents tr[data-number='{OUTCOME_INCIDENT['number']}'] button[data-focus='show']")
    page.wait_for_selector(f"#options .incident-head[data-number='{OUTCOME_INCIDENT['number']}']")
    assert chips(page, 1) == [
        "20 passengers reached within the limit",
        "15 passengers reached 1 min late",
        "5 passengers not reached (no coach takes them)",
    ]
    assert chips(page, 2) == ["25 passengers reached 4 min late", "15 passengers not reached (no coach takes them)"]
    late_row = page.locator("#options article.plan[data-rank='1'] tbody tr").nth(1)
    assert "late" in late_row.get_attribute("class") and late_row.locator(".eta-text").inner_text() == "61 / 60 min"
    page.click("#lang")
    assert chips(page, 1) == ["20 名乘客在时限内接到", "15 名乘客超时 1 分钟接到", "5 名乘客未接到（无车接驳）"]
    page.click("#lang")


def chips(page, rank: int) -> list[str]:
    card = page.locator(f"#options article.plan[data-rank='{rank}'] header .verdict")
    return [card.nth(i).inner_text().strip() for i in range(card.count())]


def assert_chips_match_the_outcome(page, service, number: int) -> None:
    """The chips of each option say what the service's outcome says, late and not reached apart."""
    status, incident = service.json("GET", f"/incidents/{number}")
    assert status == 200
    for plan in incident["options"]["plans"]:
        outcome = plan["outcome"]
        expected = [f"{g['passengers']} passengers reached {g['late_min']} min late" for g in outcome["reached_late"]]
        expected += [f"{outcome['not_reached']} passengers not reached (no coach takes them)"] * bool(
            outcome["not_reached"]
        )
        shown = chips(page, plan["rank"])
        assert [c for c in shown if "late" in c or "not reached" in c] == expected
        assert shown != [] and (expected or shown == ["within limit"])


def assignment(vehicle: str, driver: str, eta: float, passengers: int, late_min: int | None) -> dict:
    row = {
        "vehicle_id": vehicle,
        "driver_id": driver,
        "origin": "changchun_depot",
        "depart_at": "07:45",
        "scene_eta_min": eta,
        "limit_min": 60,
        "passengers": passengers,
        "destination": "siping_campus",
        "destination_arrival": "09:30",
        "deadhead_km": 40.0,
    }
    return row if late_min is None else {**row, "late_min": late_min}


OUTCOME_INCIDENT = {
    "number": 990,
    "status": "options",
    "reported_at": "2026-12-07T07:40",
    "report": {"vehicle_id": "c01", "location": "G1 K78 toward Siping", "passengers": 40, "kind": "breakdown"},
    "tier": "near_backup",
    "limit_min": 60,
    "options": {
        "status": "feasible",
        "solve_ms": 12,
        "plans": [
            {  # as the service words it now: the outcome split by the server
                "rank": 1,
                "source": "cp-sat",
                "objective": {"passengers_not_reached": 20},
                "outcome": {
                    "reached_in_time": 20,
                    "reached_late": [{"passengers": 15, "late_min": 1}],
                    "not_reached": 5,
                },
                "explanation": "",
                "assignments": [assignment("c09", "d05", 50.0, 20, 0), assignment("c10", "d06", 60.4, 15, 1)],
                "recovered_trips": [],
                "uncovered_trips": [],
            },
            {  # as recorded before plans carried their outcome
                "rank": 2,
                "source": "cp-sat",
                "objective": {"passengers_not_reached": 40},
                "explanation": "",
                "assignments": [assignment("c11", "d07", 63.5, 25, None)],
                "recovered_trips": [],
                "uncovered_trips": [],
            },
        ],
        "rejected": [],
    },
    "accepted": None,
    "on_scene_at": None,
    "response_min": None,
    "within_limit": None,
    "resolved_at": None,
    "follow_up": None,
    "voided": None,
}


def serve_incident(page, incident: dict) -> None:
    """Let the page see ``incident`` (today's list and detail) as the service would send it: the event
    stream answered with that list (the desk reconnects when it ends) and the incident's own page."""
    body = json.dumps(incident)
    page.route(
        re.compile(r".*/events$"),
        lambda route: route.fulfill(
            status=200, content_type="text/event-stream", body=f"event: incidents\ndata: [{body}]\n\n"
        ),
    )
    page.route(
        re.compile(rf".*/incidents/{incident['number']}$"),
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )
    page.reload()  # signs in again from the tab's token and opens the (answered) stream
    page.wait_for_selector(f"#incidents tr[data-number='{incident['number']}']", timeout=UI_TIMEOUT_MS)


# --------------------------------------------------------------------------- rendering alone
def test_record_rendering_escapes_recorded_text():
    corridor = load_corridor()
    view = {
        "number": 7,
        "status": "voided",
        "reported_at": "2026-12-07T07:40",
        "report": {"vehicle_id": "c01", "location": "<script>alert(1)</script>", "passengers": 3},
        "tier": "city",
        "limit_min": 30,
        "options": None,
        "accepted": None,
        "on_scene_at": None,
        "response_min": None,
        "within_limit": None,
        "resolved_at": None,
        "follow_up": None,
        "voided": {"at": "2026-12-07T08:00", "by": "desk", "reason": "<b>typo</b>"},
        "entries": [
            {
                "id": 1,
                "kind": "report",
                "at": "2026-12-07T07:41",
                "actor": "desk",
                "payload": {"report": {"location": "<img src=x>"}},
            }
        ],
    }
    page = render_record(view, corridor, printed_at=datetime(2026, 12, 7, 9, 0))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>typo</b>" not in page and "<img src=x>" not in page
    assert "No. 000007" in page and "This record is voided" in page
    assert "吉A·X0887" in page  # c01's plate from the dataset


def resources(plan: dict) -> set[str]:
    return {a["vehicle_id"] for a in plan["assignments"]} | {a["driver_id"] for a in plan["assignments"]}


def resources_in_card(card) -> set[str]:
    rows = card.locator("tbody tr")
    return {rows.nth(i).get_attribute(name) for i in range(rows.count()) for name in ("data-vehicle", "data-driver")}


def test_the_plan_says_where_and_when_the_driver_rests(desk):
    """A rest the plan schedules (on the way, or at the scene) is shown under the arrival, in both
    languages: the dispatcher has to tell the crew (issue 14 item 11)."""
    page = desk
    on_way = {
        **assignment("c21", "d28", 84.2, 40, 25),
        "rest_on_way": {"place": "gongzhuling_city", "at": "20:34", "rest_min": 20},
    }
    at_scene = {**assignment("c15", "d19", 70.0, 2, 10), "rest_at_scene_min": 25}
    plan = {**OUTCOME_INCIDENT["options"]["plans"][0], "assignments": [on_way, at_scene]}
    incident = {**OUTCOME_INCIDENT, "number": 991, "options": {**OUTCOME_INCIDENT["options"], "plans": [plan]}}
    serve_incident(page, incident)
    page.click("#incidents tr[data-number='991'] button[data-focus='show']")
    page.wait_for_selector("#options .incident-head[data-number='991']")
    rests = page.locator("#options article.plan[data-rank='1'] tbody .rest")
    assert rests.count() == 2
    first, second = rests.nth(0).inner_text(), rests.nth(1).inner_text()
    assert first.startswith("rest 20 min at ") and first.endswith(", 20:34") and "gongzhuling_city" not in first
    assert second == "rest 25 min at the scene"
    page.click("#lang")
    assert rests.nth(0).inner_text().startswith("20:34 在") and "休息 20 分钟" in rests.nth(0).inner_text()
    assert rests.nth(1).inner_text() == "在现场休息 25 分钟"
    page.click("#lang")


# --------------------------------------------------------------------------- issue 15: doors and sides
def g1_point(page) -> tuple[float, float]:
    """Viewport coordinates of the middle of the G1 stretch drawn nearest the centre of the map (each
    carriageway is one straight line per section, so the middle of its box lies on it)."""
    page.locator("#map").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """() => {
          const map = document.querySelector('#map').getBoundingClientRect();
          const middle = (path) => { const b = path.getBoundingClientRect();
            return [b.left + b.width / 2, b.top + b.height / 2]; };
          const off = (path) => { const [x, y] = middle(path);
            return Math.hypot(x - (map.left + map.width / 2), y - (map.top + map.height / 2)); };
          const paths = [...document.querySelectorAll('#map path.road-expressway.side-to_changchun')];
          return middle(paths.reduce((a, b) => (off(b) < off(a) ? b : a)));
        }"""
    )
    return x, y


def test_a_click_on_g1_asks_which_carriageway_and_draws_both(desk):
    """The same point on G1 is two places (one per carriageway), far apart in time for a rescue coach:
    a click there fills nothing in until the dispatcher chooses a side, offered under the field and
    drawn on the map, in both languages (issue 15 item 4)."""
    page = desk
    x, y = g1_point(page)
    page.mouse.click(x, y)
    choice = page.locator("#side-choice")
    choice.wait_for()
    assert page.input_value("#location") == ""
    options = choice.locator("button.side-option")
    assert [options.nth(i).get_attribute("data-direction") for i in range(options.count())] == [
        "to_changchun",
        "to_siping",
    ]
    assert "toward Changchun" in options.nth(0).inner_text() and "toward Siping" in options.nth(1).inner_text()
    assert page.locator("#map .side-icon .side").count() == 2  # both carriageways drawn

    page.fill("#passengers", "10")
    page.press("#passengers", "Enter")  # no side yet: the form asks for it instead of sending a bare point
    page.wait_for_function("() => document.querySelector('#form-error').textContent.includes('which carriageway')")

    page.click("#lang")
    assert (
        "哪个方向" in choice.inner_text()
        and "往长春方向" in choice.inner_text()
        and "往四平方向" in choice.inner_text()
    )
    page.click("#lang")

    choice.locator("button[data-direction='to_siping']").click()
    value = page.input_value("#location")
    assert re.fullmatch(r"G1 K\d+\.\d toward Siping", value), value
    assert choice.is_hidden()
    assert value in page.locator("#location-help").inner_text()
    assert page.locator("#map .pick-marker").count() == 1  # the post taken stays marked
    assert page.locator("#map .side-icon .side").count() == 0

    page.mouse.click(x, y)  # an arrow on the map chooses too
    choice.wait_for()
    page.locator("#map .side-icon .side-to_changchun").dispatch_event("click")
    page.wait_for_function("() => document.querySelector('#location').value.endsWith('toward Changchun')")
    assert page.input_value("#location").split(" toward ")[0] == value.split(" toward ")[0]  # the same post
    assert choice.is_hidden()


def test_the_desk_refuses_inline_script_and_style_and_framing(browser, service):
    """The strict policy is in force in the browser: an injected inline script does not run, an inline
    style is not applied, and the desk cannot be framed (issue 15 item 10)."""
    context = browser.new_context()
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.goto(service.base_url + "/")
    page.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.inlineRan = true';
          document.head.append(script);
          document.body.setAttribute('style', 'background: rgb(255, 0, 0)');
        }"""
    )
    page.wait_for_function("() => window.__cspViolations.length >= 2")
    assert page.evaluate("window.inlineRan") is None
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    refused = " ".join(page.evaluate("window.__cspViolations"))
    assert "script-src-elem inline" in refused and "style-src-attr inline" in refused, refused

    framing = context.new_page()
    framing.goto("about:blank")
    framing.set_content(f'<iframe src="{service.base_url}/" width="400" height="300"></iframe>')
    framing.wait_for_timeout(500)
    frames = [frame for frame in framing.frames if frame != framing.main_frame]
    assert frames and all(frame.locator("#token").count() == 0 for frame in frames)
    context.close()


def test_docs_render_the_operations_without_the_internet(browser, service):
    """/docs is the vendored Swagger UI: with every request off the service refused, the operations list
    still renders, nothing tried to leave, and the strict policy refused nothing (issue 15 item 11)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    outside: list[str] = []

    def only_the_service(route) -> None:
        url = route.request.url
        if url.startswith(service.base_url + "/") or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_the_service)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.goto(service.base_url + "/docs")
    page.wait_for_selector(".opblock .opblock-summary-path")
    paths = {text.replace("\u200b", "") for text in page.locator(".opblock-summary-path").all_inner_texts()}
    assert {"/incidents", "/incidents/{number}/accept", "/network/snap", "/kpis"} <= paths, paths
    assert page.locator(".opblock").count() >= 20
    assert outside == [], outside
    assert page.evaluate("window.__cspViolations") == []
    assert errors == [], errors
    page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))
    context.close()
