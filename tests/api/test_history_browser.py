"""The incident history and the KPI page in a real browser against the real service (issue 17).

One ``fleetplan serve`` runs a drill clock fixed at Wednesday 2026-12-09 15:00, so that "today" is known;
six incidents are reported over HTTP on four days of that week and taken through their lifecycle.
Debian's Chromium (Playwright) then searches the history by coach and by text, filters it by status and
tier, checks that it opens on today's incidents, downloads the CSV of a filter, draws the KPI page's
charts against ``GET /kpis``, looks for raw ids in both languages, and keeps screenshots at 1366×768 and
1920×1080 in ``test-artifacts/``. Any page script error or Content-Security-Policy violation fails a test.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.api.browser_util import ARTIFACTS, Service, running_service

TODAY = "2026-12-09"
CLOCK = {"clock_from": f"{TODAY}T15:00"}
UI_TIMEOUT_MS = 30_000
SMALL = {"width": 1366, "height": 768}
LARGE = {"width": 1920, "height": 1080}
CSP_LISTENER = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " (e) => window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));"
)
KEEP_LANGUAGE = "if (!localStorage.getItem('fleetplan.lang')) localStorage.setItem('fleetplan.lang', 'en');"
RAW_SERVICE_IDS = ["near_backup", "pre_departure", "on_scene", "followed_up", "driver_illness"]


# --------------------------------------------------------------------------- the service and its records
@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("history"), **CLOCK) as running:
        yield running


def call(service: Service, method: str, path: str, body: dict | None = None) -> dict:
    status, answer = service.json(method, path, body)
    assert status in (200, 201), (method, path, status, answer)
    return answer


def on_scene_time(incident: dict, late_by_min: int | None = None) -> str:
    """The accepted plan's first arrival plus a minute, or ``late_by_min`` after the limit."""
    reported = datetime.fromisoformat(incident["reported_at"])
    if late_by_min is not None:
        return (reported + timedelta(minutes=incident["limit_min"] + late_by_min)).isoformat(timespec="minutes")
    eta = min(a["scene_eta_min"] for a in incident["accepted"]["plan"]["assignments"])
    return (reported + timedelta(minutes=int(eta) + 1)).isoformat(timespec="minutes")


@pytest.fixture(scope="module")
def seeded(service) -> dict[str, int]:
    """Six incidents: three today (followed up, accepted, options), one voided yesterday, one late and
    one in time earlier in the week."""

    def report(vehicle: str, location: str, time: str, passengers: int, **extra) -> dict:
        body = {"vehicle_id": vehicle, "location": location, "time": time, "passengers": passengers, **extra}
        return call(service, "POST", "/incidents", {**body, "alternatives": 1})

    def accept(incident: dict) -> dict:
        return call(service, "POST", f"/incidents/{incident['number']}/accept", {"rank": 1})

    numbers = {}
    done = accept(report("c01", "G1 K78 toward Siping", f"{TODAY}T07:40", 42))
    call(service, "POST", f"/incidents/{done['number']}/on-scene", {"at": on_scene_time(done)})
    call(service, "POST", f"/incidents/{done['number']}/resolved", {"at": f"{TODAY}T10:30"})
    call(service, "POST", f"/incidents/{done['number']}/follow-up", {"note": "passengers thanked the crew"})
    numbers["done"] = done["number"]
    numbers["accepted"] = accept(report("c15", "siping_depot", f"{TODAY}T08:10", 20, kind="accident"))["number"]
    numbers["options"] = report("c03", "G1 K40 toward Changchun", f"{TODAY}T12:30", 35, kind="weather")["number"]
    voided = report("c04", "changchun_depot", "2026-12-08T17:20", 30, kind="driver_illness")
    call(service, "POST", f"/incidents/{voided['number']}/void", {"reason": "entered twice by mistake"})
    numbers["voided"] = voided["number"]
    late = accept(report("c05", "gongzhuling_sa", "2026-12-07T07:50", 38))
    call(service, "POST", f"/incidents/{late['number']}/on-scene", {"at": on_scene_time(late, late_by_min=12)})
    numbers["late"] = late["number"]
    in_time = accept(report("c06", "G1 K100 toward Changchun", "2026-12-01T18:00", 25))
    call(service, "POST", f"/incidents/{in_time['number']}/on-scene", {"at": on_scene_time(in_time)})
    numbers["in_time"] = in_time["number"]
    return numbers


def listed(service: Service, **params) -> list[int]:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return [incident["number"] for incident in call(service, "GET", f"/incidents?limit=1000&{query}")]


# --------------------------------------------------------------------------- the pages
@pytest.fixture
def open_page(browser, service, seeded):
    """Opens a page signed in as the dispatcher; each page fails its test on a script error or a CSP refusal."""
    opened = []

    def open_(path: str, viewport: dict = SMALL, lang: str = "en"):
        context = browser.new_context(
            viewport=viewport, locale="en-GB", timezone_id="Asia/Shanghai", accept_downloads=True
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        context.add_init_script(KEEP_LANGUAGE.replace("'en'", f"'{lang}'"))
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.goto(service.base_url + path)
        page.fill("#token", service.token)
        page.press("#token", "Enter")
        opened.append((context, page, errors))
        return page

    yield open_
    for context, page, errors in opened:
        refused = [] if page.is_closed() else page.evaluate("window.__cspViolations")
        context.close()
        assert not [e for e in errors if "Failed to load resource" not in e], errors
        assert refused == [], refused


def shown_numbers(page) -> list[int]:
    return [int(n) for n in page.locator("#results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.number)")]


def wait_for_rows(page, numbers: list[int]) -> None:
    page.wait_for_function(
        "want => JSON.stringify([...document.querySelectorAll('#results tbody tr')].map(r => Number(r.dataset.number)))"
        " === JSON.stringify(want)",
        arg=numbers,
    )


def history(open_page, **kwargs):
    page = open_page("/history", **kwargs)
    page.wait_for_function("() => document.querySelector('#count').textContent.length > 0")
    return page


def whole_week(page) -> None:
    page.fill("#from", "2026-12-01")
    page.fill("#to", TODAY)
    page.dispatch_event("#to", "change")


# --------------------------------------------------------------------------- history
def test_the_history_opens_on_today_only(open_page, service, seeded):
    page = history(open_page)
    assert page.input_value("#from") == page.input_value("#to") == TODAY
    today = listed(service, day=TODAY)
    assert sorted(today) == sorted([seeded["done"], seeded["accepted"], seeded["options"]])
    wait_for_rows(page, today)
    assert page.inner_text("#count") == "3 incidents"
    row = page.locator(f"#results tr[data-number='{seeded['accepted']}']")
    text = row.inner_text()
    assert "Siping service base" in text and "accident" in text and "accepted" in text
    assert "siping_depot" not in text


def test_search_finds_an_incident_by_coach_and_by_text(open_page, service, seeded):
    page = history(open_page)
    whole_week(page)
    wait_for_rows(page, listed(service, **{"from": "2026-12-01", "to": TODAY}))
    page.fill("#q", "c05")
    wait_for_rows(page, [seeded["late"]])
    plate = next(v["plate"] for v in call(service, "GET", "/fleet") if v["id"] == "c04")
    page.fill("#q", plate.split("·")[1])  # part of the plate
    wait_for_rows(page, [seeded["voided"]])
    page.fill("#q", "ENTERED TWICE")  # the void's reason, any case
    wait_for_rows(page, [seeded["voided"]])
    page.fill("#q", "k100")
    page.press("#q", "Enter")
    wait_for_rows(page, [seeded["in_time"]])
    page.fill("#q", "")
    page.select_option("#vehicle", "c01")
    wait_for_rows(page, [seeded["done"]])
    assert page.inner_text("#count") == "1 incident"


def test_the_status_and_tier_filters(open_page, service, seeded):
    page = history(open_page)
    whole_week(page)
    week = {"from": "2026-12-01", "to": TODAY}
    page.select_option("#status", "voided")
    wait_for_rows(page, [seeded["voided"]])
    page.select_option("#status", "open")
    wait_for_rows(page, listed(service, status="open", **week))
    assert seeded["voided"] not in shown_numbers(page) and seeded["done"] not in shown_numbers(page)
    page.select_option("#status", "")
    tiers = {i["number"]: i["tier"] for i in call(service, "GET", "/incidents?limit=1000")}
    for tier in sorted(set(tiers.values())):
        page.select_option("#tier", tier)
        wait_for_rows(page, listed(service, tier=tier, **week))
        assert {
            page.locator(f"#results tr[data-number='{n}']").get_attribute("data-tier") for n in shown_numbers(page)
        } == {tier}
    page.select_option("#tier", "")
    page.select_option("#kind", "accident")
    wait_for_rows(page, [seeded["accepted"]])


def test_the_csv_export_downloads_the_filtered_rows(open_page, service, seeded, tmp_path):
    page = history(open_page)
    whole_week(page)
    page.select_option("#status", "accepted")
    expected = listed(service, status="accepted", **{"from": "2026-12-01", "to": TODAY})
    wait_for_rows(page, expected)
    with page.expect_download() as download_info:
        page.click("#export")
    download = download_info.value
    assert download.suggested_filename == f"incidents-2026-12-01-{TODAY}.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    raw = target.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [int(row["number"]) for row in rows] == expected
    assert {row["status"] for row in rows} == {"accepted"}
    plates = {v["id"]: v["plate"] for v in call(service, "GET", "/fleet")}
    assert all(row["plate"] == plates[row["vehicle_id"]] for row in rows)
    assert not any(
        "token" in url or service.token in url for url in page.evaluate("performance.getEntries().map(e => e.name)")
    )


def test_a_row_opens_its_printable_record(open_page, seeded):
    page = history(open_page)
    row = page.locator(f"#results tr[data-number='{seeded['done']}']")
    with page.context.expect_page() as opened:
        row.locator(".record-link").click()
    record = opened.value
    record.wait_for_selector("#record-number")
    assert record.url == "about:blank"
    assert record.locator("#record-number").inner_text() == f"No. {seeded['done']:06d}"


# --------------------------------------------------------------------------- KPIs
def kpi_page(open_page, **kwargs):
    page = open_page("/kpis/page", **kwargs)
    page.wait_for_function("() => document.body.dataset.loaded")
    return page


def test_the_kpi_page_draws_the_period_s_numbers(open_page, service, seeded):
    page = kpi_page(open_page)
    start = (datetime.fromisoformat(TODAY) - timedelta(days=29)).date().isoformat()
    assert (page.input_value("#from"), page.input_value("#to")) == (start, TODAY)
    kpis = call(service, "GET", f"/kpis?from={start}&to={TODAY}")

    bars = page.locator("#chart-days svg rect.bar")
    assert bars.count() == len(kpis["by_day"]) == 3  # 1, 7 and 9 December: the 8th's one incident is voided
    drawn = bars.evaluate_all("bars => bars.map(b => [b.dataset.key, Number(b.dataset.value)])")
    assert drawn == [[row["day"], row["incidents"]] for row in kpis["by_day"]]
    assert page.locator("#chart-days svg").get_attribute("role") == "img"

    measured = [row for row in kpis["by_tier"] if row["response_mean_min"] is not None]
    response = page.locator("#chart-response svg rect.bar").evaluate_all(
        "bars => bars.map(b => [b.dataset.key, Number(b.dataset.value)])"
    )
    assert response == [[row["tier"], row["response_mean_min"]] for row in measured]
    limits = page.locator("#chart-response svg line.limit-mark").evaluate_all(
        "marks => marks.map(m => [m.dataset.key, Number(m.dataset.value)])"
    )
    assert limits == [[row["tier"], row["limit_min"]] for row in kpis["by_tier"]]
    share = page.locator("#chart-share svg rect.bar").evaluate_all("bars => bars.map(b => Number(b.dataset.value))")
    assert share[:-1] == [row["compliance"] for row in kpis["by_tier"] if row["compliance"] is not None]
    reached = sum(row["reached_within_limit"] for row in kpis["by_tier"])
    assert share[-1] == pytest.approx(reached / sum(row["measured"] for row in kpis["by_tier"]))
    in_time = page.locator("#chart-passengers svg rect.bar.ok").evaluate_all(
        "bars => bars.map(b => Number(b.dataset.value))"
    )
    assert sum(in_time) == sum(row["passengers_reached_within_limit"] for row in kpis["by_tier"])

    assert page.locator("#tile-incidents .value").get_attribute("data-value") == str(
        sum(row["incidents"] for row in kpis["by_tier"])
    )
    assert page.locator("#tile-incidents .value").inner_text() == "5"  # six reported, one voided
    assert page.locator("#tile-response .value").inner_text() == f"{kpis['response_min']['mean']:g} min"
    for chart in ("days", "response", "share", "passengers"):  # each chart has a title and a table of its numbers
        assert page.locator(f"#chart-{chart} figcaption h2").inner_text()
        assert page.locator(f"#chart-{chart} details table tbody tr").count() >= 1

    page.click("[data-days='7']")
    page.wait_for_function(f"() => document.body.dataset.loaded === '2026-12-03/{TODAY}'")
    week = call(service, "GET", f"/kpis?from=2026-12-03&to={TODAY}")
    assert page.locator("#chart-days svg rect.bar").count() == len(week["by_day"]) == 2


# --------------------------------------------------------------------------- words, not ids; layout
def raw_ids(service: Service) -> list[str]:
    network = call(service, "GET", "/network")
    places = [f["properties"]["id"] for f in network["features"] if f["geometry"]["type"] == "Point"]
    return places + RAW_SERVICE_IDS


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_both_pages_show_words_not_ids_in_both_languages(open_page, service, seeded, lang):
    ids = raw_ids(service)
    for page in (history(open_page, lang=lang), kpi_page(open_page, lang=lang)):
        if "history" in page.url:
            whole_week(page)
            wait_for_rows(page, listed(service, **{"from": "2026-12-01", "to": TODAY}))
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        text = page.evaluate("() => document.body.innerText")
        assert [raw for raw in ids if raw in text] == []
        assert ("历史" in text or "指标" in text) == (lang == "zh")
        assert page.evaluate("() => document.documentElement.lang") == ("zh-CN" if lang == "zh" else "en")
    page.click("#lang")  # the toggle switches and is remembered for the desk too
    assert page.evaluate("() => localStorage.getItem('fleetplan.lang')") == ("en" if lang == "zh" else "zh")


@pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["1366", "1920"])
def test_screenshots_and_nothing_clipped(open_page, service, seeded, viewport):
    ARTIFACTS.mkdir(exist_ok=True)
    width = viewport["width"]
    for lang in ("en", "zh"):
        page = history(open_page, viewport=viewport, lang=lang)
        whole_week(page)
        wait_for_rows(page, listed(service, **{"from": "2026-12-01", "to": TODAY}))
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert overflowing(page) == []
        suffix = "" if lang == "en" else "-zh"
        page.screenshot(path=str(ARTIFACTS / f"history-{width}{suffix}.png"))
        page = kpi_page(open_page, viewport=viewport, lang=lang)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert overflowing(page) == []
        page.screenshot(path=str(ARTIFACTS / f"kpis-{width}{suffix}.png"), full_page=True)


def overflowing(page) -> list[str]:
    """Elements whose content is wider than their box without a scroller to reach it (clipped text),
    and elements reaching past the right edge of the window."""
    return json.loads(
        page.evaluate(
            """() => JSON.stringify([...document.querySelectorAll('body *')].filter(e => {
                const box = e.getBoundingClientRect();
                if (box.width <= 1 || getComputedStyle(e).visibility === 'hidden') return false;  // 1 px: .visually-hidden
                if (box.right > document.documentElement.clientWidth + 1) return true;
                const style = getComputedStyle(e);
                const scrolls = ['auto', 'scroll'].includes(style.overflowX);
                const ellipsis = style.textOverflow === 'ellipsis';
                return !scrolls && !ellipsis && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
                    && !(e instanceof SVGElement) && e.tagName !== 'SELECT';
            }).map(e => `${e.tagName}#${e.id}.${e.className}`))"""
        )
    )


# --------------------------------------------------------------------------- exercises (run last: it adds one)
def test_the_kpi_page_lists_an_exercise_apart_and_counts_it_nowhere(open_page, service, seeded):
    body = {"vehicle_id": "c06", "location": "G1 K60 toward Siping", "time": f"{TODAY}T18:00", "passengers": 20}
    exercise = call(service, "POST", "/incidents", {**body, "alternatives": 1})  # ahead of the 15:00 clock
    for lang, said in (("en", "reported for"), ("zh", "上报时间")):
        page = kpi_page(open_page, lang=lang)
        listed = page.locator("#exercises li")
        assert listed.count() == 1
        assert listed.inner_text() == f"#{exercise['number']}: {said} {TODAY} 18:00"
        assert page.locator("#tile-incidents .value").inner_text() == "5"  # as before the exercise
