"""GET /fleet, PATCH /fleet/{id} (recorded status changes used by later dispatches), GET /drivers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fleetplan.corridor import load_corridor

from api.operations_log import vehicle_status_changes

from tests.api.http_support import running_desk, sqlite_url


@pytest.fixture
def desk(tmp_path):
    with running_desk(sqlite_url(tmp_path)) as running:
        yield running


def test_fleet_lists_the_coaches_with_status_and_no_booking(desk):
    fleet = desk.get("/fleet").json()
    assert 24 <= len(fleet) <= 30
    for vehicle in fleet:
        assert {
            "id",
            "plate",
            "class",
            "seats",
            "length_m",
            "age_years",
            "depot",
            "status",
            "permit_valid_until",
            "booked_by",
        } <= vehicle.keys()
        assert vehicle["booked_by"] is None
    assert {v["status"] for v in fleet} == {"in_service", "standby", "workshop"}


def test_a_status_change_is_recorded_and_shown(desk):
    response = desk.client.patch(
        "/fleet/c09", json={"status": "workshop", "reason": "brake warning"}, headers=desk.headers("dispatcher")
    )
    assert response.status_code == 200
    assert response.json()["status"] == "workshop"
    assert next(v for v in desk.get("/fleet").json() if v["id"] == "c09")["status"] == "workshop"
    desk.client.patch("/fleet/c09", json={"status": "standby", "reason": "repaired"}, headers=desk.headers())
    assert next(v for v in desk.get("/fleet").json() if v["id"] == "c09")["status"] == "standby"
    with desk.client.app.state.log.engine.connect() as connection:  # append-only: both changes kept
        assert connection.execute(select(func.count()).select_from(vehicle_status_changes)).scalar() == 2


@pytest.mark.parametrize("plate", ["吉A·X0887", "吉AX0887", " 吉a x0887 "])
def test_a_status_change_names_the_coach_by_plate_as_a_report_may(desk, plate):
    response = desk.client.patch(
        f"/fleet/{plate}", json={"status": "workshop", "reason": "brakes"}, headers=desk.headers()
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == "c01"  # recorded under the coach's id, whatever the desk typed
    assert next(v for v in desk.get("/fleet").json() if v["id"] == "c01")["status"] == "workshop"


def test_a_coach_sent_to_the_workshop_is_not_dispatched(desk):
    before = desk.report().json()["options"]
    used = {a["vehicle_id"] for plan in before["plans"] for a in plan["assignments"]}
    assert used, "the report should have a rescue to compare with"
    coach = sorted(used)[0]
    desk.client.patch(f"/fleet/{coach}", json={"status": "workshop", "reason": "gearbox"}, headers=desk.headers())
    after = desk.report(vehicle_id="c02").json()["options"]
    assert coach not in {a["vehicle_id"] for plan in after["plans"] for a in plan["assignments"]}
    assert {"candidate": coach, "code": "in_workshop"} in [
        {"candidate": r["candidate"], "code": r["code"]} for r in after["rejected"]
    ]
    assert after["inputs"]["vehicle_statuses"][coach] == "workshop"


@pytest.mark.parametrize("role, status", [("viewer", 403), ("planner", 403), ("admin", 200)])
def test_changing_a_status_needs_the_dispatcher_role(desk, role, status):
    response = desk.client.patch(
        "/fleet/c10", json={"status": "workshop", "reason": "check"}, headers=desk.headers(role)
    )
    assert response.status_code == status


def test_status_change_without_token_is_401_and_changes_nothing(desk):
    assert desk.client.patch("/fleet/c10", json={"status": "workshop", "reason": "x"}).status_code == 401
    assert next(v for v in desk.get("/fleet").json() if v["id"] == "c10")["status"] == "standby"


def test_unknown_coach_is_404_and_bad_status_is_422_naming_the_field(desk):
    response = desk.client.patch("/fleet/c99", json={"status": "workshop", "reason": "x"}, headers=desk.headers())
    assert response.status_code == 404
    assert response.json()["detail"].startswith("vehicle_id:")
    response = desk.client.patch("/fleet/c10", json={"status": "broken", "reason": "x"}, headers=desk.headers())
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "status"]


def test_drivers_list_and_bookings_after_an_accept(desk):
    drivers = desk.get("/drivers").json()
    assert 30 <= len(drivers) <= 40
    assert all(
        {"id", "name", "licence_class", "licence_issued", "age", "qualified_until", "depot", "shift", "booked_by"}
        <= d.keys()
        for d in drivers
    )
    incident = desk.report().json()
    plan = incident["options"]["plans"][0]
    assert desk.post(f"/incidents/{incident['number']}/accept", {"rank": 1}).status_code == 200
    booked_drivers = {d["id"]: d["booked_by"] for d in desk.get("/drivers").json() if d["booked_by"]}
    booked_coaches = {v["id"]: v["booked_by"] for v in desk.get("/fleet").json() if v["booked_by"]}
    assert booked_drivers == {a["driver_id"]: incident["number"] for a in plan["assignments"] + plan["recovered_trips"]}
    assert booked_coaches == {
        a["vehicle_id"]: incident["number"] for a in plan["assignments"] + plan["recovered_trips"]
    }


def test_driver_mobiles_are_shown_to_dispatchers_and_admins_only(desk):
    phones = {role: {d["id"]: d["phone"] for d in desk.get("/drivers", role=role).json()} for role in (
        "viewer", "planner", "dispatcher", "admin")}  # fmt: skip
    assert set(phones["viewer"].values()) == {None} and set(phones["planner"].values()) == {None}
    known = {d.id: d.phone for d in load_corridor().dataset.drivers}
    assert phones["dispatcher"] == phones["admin"] == known
    assert any(phone for phone in known.values())  # the default drivers have mobiles


def test_ages_are_judged_on_the_desk_s_own_day(tmp_path):
    """A drill desk dated 2030: every coach and driver is as old as they are then, not on the timetable's
    template day (the ages a dispatcher reads are today's)."""
    from datetime import date, datetime

    dataset = load_corridor().dataset
    with running_desk(sqlite_url(tmp_path), clock_from=datetime(2030, 12, 9, 8, 0)) as later:
        drivers = {d["id"]: d for d in later.get("/drivers").json()}
        fleet = {v["id"]: v for v in later.get("/fleet").json()}
    day = date(2030, 12, 9)
    assert all(drivers[d.id]["age"] == d.age_years(day) for d in dataset.drivers)
    assert all(fleet[v.id]["age_years"] == round(v.age_years(day), 1) for v in dataset.vehicles)
    assert any(d.age_years(day) != d.age_years(date(2026, 12, 7)) for d in dataset.drivers)
