"""The incident history over HTTP (issue 17): ``GET /incidents`` filtered in the database by day or
period, status, tier, coach, kind and free text, a page at a time with ``X-Total-Count``; and
``GET /incidents/export.csv`` with the same filters, as a spreadsheet opens it and safe from formulas."""

from __future__ import annotations

import csv
import io

import pytest

from api.incident_history import CSV_COLUMNS, safe_cell
from api.records import Role

from tests.api.http_support import bearer, running_desk, sqlite_url

HOSTILE_NAME = "=HYPERLINK(evil)"  # a user name a spreadsheet would run as a formula


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Five incidents over three days of the timetable week, in several states, one by a hostile user name."""
    with running_desk(sqlite_url(tmp_path_factory.mktemp("history"))) as desk:
        with desk.records() as store:
            desk.tokens["hostile"] = store.add_user(HOSTILE_NAME, Role.DISPATCHER)
        numbers = {}
        numbers["k78"] = desk.report(time="2026-12-07T07:40").json()["number"]
        accepted = desk.post(f"/incidents/{numbers['k78']}/accept", {"rank": 1})
        assert accepted.status_code == 200, accepted.text
        numbers["depot"] = desk.report(
            vehicle_id="c02", location="siping_depot", time="2026-12-08T08:10", passengers=20, kind="accident"
        ).json()["number"]
        assert desk.post(f"/incidents/{numbers['depot']}/void", {"reason": "Entered twice"}).status_code == 200
        numbers["snow"] = desk.report(
            vehicle_id="c03", location="G1 K40 toward Changchun", time="2026-12-09T17:30", conditions="snow"
        ).json()["number"]
        numbers["hostile"] = desk.client.post(
            "/incidents",
            json={"vehicle_id": "c04", "location": "changchun_depot", "time": "2026-12-09T07:50", "passengers": 30},
            headers=bearer(desk.tokens["hostile"]),
        ).json()["number"]
        numbers["late"] = desk.report(vehicle_id="c05", time="2026-12-09T23:50", passengers=12).json()["number"]
        yield desk, numbers


def found(desk, **params) -> list[int]:
    response = desk.get("/incidents", params=params)
    assert response.status_code == 200, response.text
    return [incident["number"] for incident in response.json()]


def test_a_day_or_a_period_of_reported_days(history):
    desk, n = history
    assert found(desk, day="2026-12-08") == [n["depot"]]
    assert found(desk, day="2026-12-09") == sorted([n["snow"], n["hostile"], n["late"]], reverse=True)
    assert found(desk, **{"from": "2026-12-08", "to": "2026-12-09"}) == sorted(
        [n["depot"], n["snow"], n["hostile"], n["late"]], reverse=True
    )
    assert found(desk, **{"from": "2026-12-09"}) == sorted([n["snow"], n["hostile"], n["late"]], reverse=True)
    assert found(desk, **{"to": "2026-12-07"}) == [n["k78"]]
    assert found(desk, day="2026-12-10") == []


def test_free_text_any_case_over_coach_plate_location_number_recorder_and_notes(history):
    desk, n = history
    plate = next(v["plate"] for v in desk.get("/fleet").json() if v["id"] == "c04")
    assert found(desk, q="C03") == [n["snow"]]
    assert found(desk, q=plate) == [n["hostile"]]
    assert found(desk, q=plate.replace("·", "")[-4:]) == [n["hostile"]]  # part of a plate
    assert found(desk, q="k40 TOWARD") == [n["snow"]]
    assert found(desk, q="siping_depot") == [n["depot"]]
    assert found(desk, q="entered TWICE") == [n["depot"]]  # the void's reason
    assert found(desk, q="hyperlink") == [n["hostile"]]  # who recorded it
    assert found(desk, q=f"#{n['late']}") == [n["late"]]
    assert found(desk, q="%") == [] and found(desk, q="_") == sorted(
        [n["depot"], n["hostile"]], reverse=True
    )  # literal, not wildcards
    assert found(desk, q="   ") == found(desk)


def test_status_tier_coach_and_kind(history):
    desk, n = history
    assert found(desk, status="voided") == [n["depot"]]
    assert found(desk, status="accepted") == [n["k78"]]
    assert n["depot"] not in found(desk, status="open")
    assert found(desk, kind="accident") == [n["depot"]]
    plate = next(v["plate"] for v in desk.get("/fleet").json() if v["id"] == "c03")
    assert found(desk, vehicle_id="c03") == found(desk, vehicle_id=plate) == [n["snow"]]
    assert found(desk, vehicle_id="c-sold-in-2020") == []  # a coach no longer in the data: looked up as recorded
    tiers = {i["number"]: i["tier"] for i in desk.get("/incidents").json()}
    for tier in set(tiers.values()):
        assert found(desk, tier=tier) == sorted((k for k, v in tiers.items() if v == tier), reverse=True)
    assert found(desk, tier="city", kind="weather") == []


def test_pages_and_the_total(history):
    desk, n = history
    everything = found(desk)
    assert everything == sorted(n.values(), reverse=True)
    response = desk.get("/incidents", params={"limit": 2, "offset": 1})
    assert [i["number"] for i in response.json()] == everything[1:3]
    assert response.headers["x-total-count"] == "5"
    response = desk.get("/incidents", params={"day": "2026-12-09", "limit": 1})
    assert len(response.json()) == 1 and response.headers["x-total-count"] == "3"


@pytest.mark.parametrize(
    "params, status, field",
    [
        ({"day": "2026-02-30"}, 422, "day"),
        ({"day": "9 Dec"}, 422, "day"),
        ({"from": "2026-12-10", "to": "2026-12-08"}, 400, "from"),
        ({"day": "2026-12-08", "from": "2026-12-01"}, 400, "day"),
        ({"tier": "nearby"}, 422, "tier"),
        ({"status": "closed"}, 422, "status"),
        ({"kind": "flood"}, 422, "kind"),
        ({"limit": 0}, 422, "limit"),
        ({"offset": -1}, 422, "offset"),
        ({"q": "x" * 101}, 422, "q"),
    ],
)
def test_a_bad_filter_names_its_parameter(history, params, status, field):
    desk, _ = history
    paths = ["/incidents"] if {"limit", "offset"} & params.keys() else ["/incidents", "/incidents/export.csv"]
    for path in paths:
        response = desk.get(path, params=params)
        assert response.status_code == status, (path, response.text)
        detail = response.json()["detail"]
        if status == 400:
            assert detail.startswith(f"{field}:")
        else:
            assert [problem["loc"] for problem in detail] == [["query", field]]


# --------------------------------------------------------------------------- CSV
def export(desk, **params) -> tuple[object, list[dict[str, str]]]:
    response = desk.get("/incidents/export.csv", params=params)
    assert response.status_code == 200, response.text
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    return response, rows


def test_the_csv_has_the_filtered_rows_with_every_column(history):
    desk, n = history
    response, rows = export(desk, **{"from": "2026-12-08", "to": "2026-12-09"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="incidents-2026-12-08-2026-12-09.csv"'
    assert response.content.decode("utf-8-sig").splitlines()[0].split(",") == list(CSV_COLUMNS)
    assert [int(row["number"]) for row in rows] == found(desk, **{"from": "2026-12-08", "to": "2026-12-09"})
    depot = next(row for row in rows if int(row["number"]) == n["depot"])
    assert depot["status"] == "voided" and depot["kind"] == "accident" and depot["location"] == "siping_depot"
    assert depot["reported_at"] == "2026-12-08T08:10" and depot["passengers"] == "20"
    plate = next(v["plate"] for v in desk.get("/fleet").json() if v["id"] == "c02")
    assert depot["plate"] == plate and "吉" in response.content.decode("utf-8")  # Chinese as UTF-8
    assert depot["recorded_by"] == "dispatcher-user"


def test_the_csv_names_the_accepted_coaches_and_the_filters_apply(history):
    desk, n = history
    _, rows = export(desk, q="k78", day="2026-12-07")
    (row,) = rows
    incident = desk.get(f"/incidents/{n['k78']}").json()
    coaches = [a["vehicle_id"] for a in incident["accepted"]["plan"]["assignments"]]
    assert row["accepted_rescue_coaches"].split() == coaches and row["status"] == "accepted"
    assert row["tier"] == incident["tier"] and row["limit_min"] == str(incident["limit_min"])
    response, rows = export(desk, status="voided", day="2026-12-08")
    assert [int(row["number"]) for row in rows] == [n["depot"]]
    assert 'filename="incidents-2026-12-08-2026-12-08.csv"' in response.headers["content-disposition"]
    response, rows = export(desk)
    assert len(rows) == 5 and 'filename="incidents-all.csv"' in response.headers["content-disposition"]
    response, _ = export(desk, **{"from": "2026-12-08"})
    assert 'filename="incidents-2026-12-08-all.csv"' in response.headers["content-disposition"]


def test_no_csv_cell_runs_as_a_formula(history):
    desk, n = history
    _, rows = export(desk, q="hyperlink")
    assert rows[0]["recorded_by"] == "'" + HOSTILE_NAME
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", 42, None)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "a=b",
        "42",
        "",
    ]


def test_the_export_needs_a_token_and_is_not_taken_for_an_incident_number(history):
    desk, _ = history
    assert desk.client.get("/incidents/export.csv").status_code == 401
    assert desk.get("/incidents/export.csv", role="planner").status_code == 200
    assert desk.get("/incidents/1").status_code == 200
