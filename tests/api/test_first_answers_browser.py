"""The best plan first on the desk page (issue 18 §5), in a real browser against the real service: an
incident whose options hold the best plan alone says that more are coming, in English and Chinese, and
when the full options are stored the page shows them without a click.

The planner's two writes are made here through the store, as the service's planner makes them (a burst
of reports is not reproducible in a test): first the best plan alone marked ``more_options_coming``,
then the full options.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from api.records import EntryKind, open_store

from tests.api.browser_util import Service, desk_page, running_service
from tests.api.test_http_joint import FR1

VIEWPORT = {"width": 1440, "height": 1000}
COMING_EN = "Best option shown first: the other options are being computed while other reports are answered."
COMING_ZH = "先显示最优方案：其余备选方案将在处理完其他上报后算出。"


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("first-answers"), clock_from="2026-12-11T14:30") as running:
        yield running


@pytest.fixture
def desk(browser, service):
    with desk_page(browser, service, VIEWPORT) as page:
        yield page


def store_options(service: Service, number: int, payload: dict) -> None:
    store = open_store(service.database_url)
    try:
        store.append(number, EntryKind.OPTIONS, "planner", payload)
    finally:
        store.close()


def test_a_first_answer_says_more_are_coming_and_the_page_shows_them_when_they_come(desk, service):
    page = desk
    status, reported = service.json("POST", "/incidents", FR1)
    assert status == 201, reported
    number, full = reported["number"], reported["options"]
    assert len(full["plans"]) > 1
    first = copy.deepcopy(full)
    first["plans"], first["more_options_coming"] = first["plans"][:1], True
    store_options(service, number, first)

    row = page.locator(f"#incidents tbody tr[data-number='{number}']")
    row.wait_for()
    row.locator("button[data-focus='show']").click()
    note = page.locator("#options p.more-coming")
    note.wait_for()
    assert note.inner_text() == COMING_EN
    assert page.locator("#options article.plan").count() == 1
    page.click("#lang")
    assert note.inner_text() == COMING_ZH
    page.click("#lang")

    store_options(service, number, full)  # the alternatives, stored when the desk is free
    page.locator(f"#options article.plan[data-rank='{len(full['plans'])}']").wait_for(timeout=15_000)
    assert page.locator("#options p.more-coming").count() == 0
    assert page.locator("#options article.plan").count() == len(full["plans"])
