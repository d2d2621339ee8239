"""Joint re-planning on the desk page (issue 18 §3), in a real browser against the real service: the
options say with which incident they were planned and why a proposal changed, "Plan together" plans
the open incidents again, an accept takes the joint plan for both, and an accepted plan is released
from its step button. Writes ``test-artifacts/desk-joint.png`` (and ``desk-joint-zh.png``).

The data are the Friday scenario of ``test_http_joint.py``: one backup (c19) can reach both groups in
time, only by collecting both on one route.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.browser_util import ARTIFACTS, Service, desk_page, running_service
from tests.api.test_http_joint import FR1, FR2, OUT

VIEWPORT = {"width": 1440, "height": 1000}


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("joint"), clock_from="2026-12-11T14:30") as running:
        for vehicle_id in OUT:
            status, _, _ = running.request(
                "PATCH", f"/fleet/{vehicle_id}", {"status": "workshop", "reason": "test"}, token=running.token
            )
            assert status == 200
        yield running


@pytest.fixture
def desk(browser, service):
    with desk_page(browser, service, VIEWPORT) as page:
        yield page


def shown(page, number: int) -> None:
    """Open incident ``number`` from the open-incidents list."""
    row = page.locator(f"#incidents tbody tr[data-number='{number}']")
    row.wait_for()
    row.locator("button[data-focus='show']").click()
    page.wait_for_selector(f"#options .incident-head[data-number='{number}']")


def test_joint_options_plan_together_accept_and_release_on_the_page(desk, service):
    page = desk
    status, one = service.json("POST", "/incidents", FR1)
    assert status == 201, one
    status, two = service.json("POST", "/incidents", FR2)
    assert status == 201, two
    shown(page, one["number"])
    note = page.locator("#options .joint-note")
    assert note.inner_text() == (
        f"Planned together with incident #{two['number']}: accepting an option accepts it for all of them."
    )
    changed = page.locator("#options article.plan[data-rank='1'] .changed-because")
    assert changed.inner_text().startswith(f"Changed: incident {two['number']} was reported")
    assert "both groups" in changed.inner_text()

    page.click("#options button.plan-together")
    page.wait_for_selector("#options .notice-ok")
    assert f"#{one['number']}, #{two['number']}" in page.locator("#options .notice-ok").inner_text()
    _, again = service.json("GET", f"/incidents/{one['number']}")
    assert again["options"]["joint"]["trigger"] == "the dispatcher asked to plan them together"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desk-joint.png"), full_page=True)
    page.click("#lang")
    assert page.locator("#options .joint-note").inner_text().startswith(f"与事件 #{two['number']} 合并规划")
    page.screenshot(path=str(ARTIFACTS / "desk-joint-zh.png"), full_page=True)
    page.click("#lang")

    page.locator("#options article.plan[data-rank='1'] button.accept").click()
    accepted = page.locator("#options .notice-ok", has_text="accepted")
    accepted.wait_for()
    assert f"planned together, for #{two['number']}" in accepted.inner_text()
    assert page.locator("#options .joint-note").inner_text() == f"Accepted together with incident #{two['number']}."
    _, partner = service.json("GET", f"/incidents/{two['number']}")
    assert partner["status"] == "accepted" and partner["accepted"]["accepted_with"] == [one["number"]]

    # the shared coach breaks down: the accepted plan is flagged on its row, in red, until it no longer holds
    _, mine = service.json("GET", f"/incidents/{one['number']}")
    coach = mine["accepted"]["plan"]["assignments"][0]["vehicle_id"]
    failed = {"vehicle_id": coach, "location": "G1 K20 toward Changchun", "time": "2026-12-11T14:29", "passengers": 45}
    status, broken = service.json("POST", "/incidents", failed)
    assert status == 201, broken
    warning = page.locator("#incidents tbody tr .plan-warning")
    warning.wait_for()
    assert f"{coach}, booked in this plan, broke down (incident {broken['number']})" in warning.inner_text()
    service.json("POST", f"/incidents/{broken['number']}/void", {"reason": "browser test"})
    warning.wait_for(state="detached")

    release = page.locator("#options article.plan.is-accepted button[data-step='release']")
    release.click()
    page.wait_for_selector("#step-dialog[open]")
    page.fill("#step-note", "the driver is ill")
    page.click("#step-confirm")
    page.wait_for_selector("#options .incident-head .badge[data-status='options']")
    _, released = service.json("GET", f"/incidents/{one['number']}")
    assert released["status"] == "options" and released["options"]["planned_with"] == [two["number"]]
    assert any(e["payload"].get("release", {}).get("reason") == "the driver is ill" for e in released["entries"])
    for number in (one["number"], two["number"]):
        service.json("POST", f"/incidents/{number}/void", {"reason": "browser test"})
