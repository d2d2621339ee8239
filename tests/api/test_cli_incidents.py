"""``fleetplan dispatch --incidents FILE`` (issue #18 §2): several incidents planned together, each plan's
per-incident ``carried``/``on_time`` and its ``routes`` stop by stop — the plans checked by the independent
oracle from the file's own rows, not by the engine — and a bad file refused with its row and column."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.oracle import Case, CaseIncident, check_dispatch, read_world, tier_of
from fleetplan.wording import names_of

import solver.dispatch

from api.cli import main
from api.incidents_file import read_incidents
from api.messaging.facts import calls_before
from api.route_views import route_view

from tests.api.http_support import run_cli as run

DATA = Path(__file__).resolve().parents[2] / "data" / "default"
HEADER = "vehicle,at,time,passengers,day"
C01 = "c01,G1 K78 toward Siping,07:40,42,2026-12-07"
C02 = "c02,G1 K40 toward Changchun,07:50,30,2026-12-07"
# the same two rows as the oracle reads them: the test's own account of the file, not the engine's
CASE = Case(
    (
        CaseIncident("cli-1", "c01", "G1 K78 toward Siping", datetime(2026, 12, 7, 7, 40), 42),
        CaseIncident("cli-2", "c02", "G1 K40 toward Changchun", datetime(2026, 12, 7, 7, 50), 30),
    ),
    "clear",
)
RAW_ID = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # siping_depot, jlnu_siping_campus, gongzhuling_sa …


def csv_file(tmp_path: Path, text: str, name: str = "incidents.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def solved(argv: list[str]) -> tuple[dict, list]:
    """``fleetplan ARGV --json`` in-process: the JSON view and the outcome the dispatch path returned."""
    outcomes = []
    real = solver.dispatch.dispatch

    def recording(*args, **kwargs):
        outcomes.append(real(*args, **kwargs))
        return outcomes[-1]

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        patch.setattr(solver.dispatch, "dispatch", recording)
        code = main([*argv, "--json"])
    assert code == 0, err.getvalue()
    (outcome,) = outcomes
    return json.loads(out.getvalue()), outcome


@pytest.fixture(scope="module")
def dispatched(tmp_path_factory):
    path = csv_file(tmp_path_factory.mktemp("two"), f"{HEADER}\n{C01}\n{C02}\n")
    return solved(["dispatch", "--incidents", str(path), "--time-limit", "2", "--alternatives", "2"])


@pytest.fixture(scope="module")
def two(dispatched) -> tuple[dict, list]:
    """The JSON view and its plans (the engine's objects, for the oracle)."""
    view, outcome = dispatched
    return view, list(outcome.result.plans)


@pytest.fixture(scope="module")
def world():
    return read_world(DATA)


# --- two incidents together -----------------------------------------------------------------------------
def test_two_incidents_are_planned_together_and_the_oracle_agrees_with_every_plan(two, world):
    view, plans = two
    assert view["status"] in ("optimal", "feasible")
    assert [(i["incident_id"], i["vehicle_id"], i["passengers"]) for i in view["incidents"]] == [
        ("cli-1", "c01", 42),
        ("cli-2", "c02", 30),
    ]
    assert plans and len(plans) == len(view["plans"])
    for rank, found in enumerate(check_dispatch(world, CASE, plans), start=1):
        assert found == (), (rank, found)
    for plan in view["plans"]:
        assert plan["evaluator_problems"] == []
        assert {r["vehicle_id"] for r in plan["routes"]} >= {a["vehicle_id"] for a in plan["assignments"]}


def test_each_plan_s_carried_and_on_time_follow_from_its_rescues_and_the_oracle_s_deadlines(two, world):
    view, plans = two
    deadline = {i.id: tier_of(world, i, CASE).deadline for i in CASE.incidents}
    for plan, shown in zip(plans, view["plans"]):
        by_incident = {item["incident_id"]: item for item in shown["incidents"]}
        assert set(by_incident) == {"cli-1", "cli-2"}
        for incident in CASE.incidents:
            mine = [r for r in plan.rescues if r.group_id == incident.group]
            carried = sum(r.passengers for r in mine)
            on_time = sum(r.passengers for r in mine if r.scene_arrival <= deadline[incident.id])
            assert by_incident[incident.id] == {
                "incident_id": incident.id,
                "passengers": incident.passengers,
                "carried": carried,
                "on_time": on_time,
            }
        outcome = shown["outcome"]
        assert outcome["reached_in_time"] == sum(i["on_time"] for i in shown["incidents"])
        assert outcome["not_reached"] == sum(i["passengers"] - i["carried"] for i in shown["incidents"])


def test_every_route_is_in_time_order_names_its_places_and_matches_the_assignments(two):
    view, _ = two
    names = {i["incident_id"]: i["location_name"] for i in view["incidents"]}
    for plan in view["plans"]:
        alone = [a for a in plan["assignments"] if a["route_id"] is None]
        single = [r for r in plan["routes"] if r["route_id"] is None]
        assert len(single) == len(alone)
        for route, assignment in zip(single, alone):
            stops = route["stops"]
            assert (route["vehicle_id"], route["driver_id"]) == (assignment["vehicle_id"], assignment["driver_id"])
            assert [s["at"] for s in stops] == sorted(s["at"] for s in stops)
            kinds = [s["kind"] for s in stops]
            assert kinds[0] == "depart" and kinds[1] == "pickup" and kinds[-1] == "deliver"
            assert set(kinds[2:-1]) <= {"rest"}
            for stop in stops:
                assert stop["place_name"] and stop["place_name_zh"], stop
                assert not RAW_ID.match(stop["place_name"]), stop  # a node by its name, a km post as said
            pickup, deliver = stops[1], stops[-1]
            assert pickup["incident"] == deliver["incident"]
            assert pickup["place_name"] == names[pickup["incident"]]
            assert pickup["passengers"] == deliver["passengers"] == assignment["passengers"]
            assert deliver["place"] == assignment["destination"]
            assert deliver["place_name"] == assignment["destination_name"]
            assert deliver["at"][11:] == assignment["destination_arrival"]
        carried = {i["incident_id"]: i["carried"] for i in plan["incidents"]}
        for incident_id, total in carried.items():
            picked = [
                s["passengers"]
                for r in plan["routes"]
                for s in r["stops"]
                if s["kind"] == "pickup" and s["incident"] == incident_id
            ]
            assert sum(picked) == total


NIGHT = "c22,G1 K8 toward Changchun,23:00,30,2026-12-08\nc23,G1 K15 toward Changchun,23:00,20,2026-12-08\n"
NIGHT_CASE = Case(
    (
        CaseIncident("cli-1", "c22", "G1 K8 toward Changchun", datetime(2026, 12, 8, 23, 0), 30),
        CaseIncident("cli-2", "c23", "G1 K15 toward Changchun", datetime(2026, 12, 8, 23, 0), 20),
    ),
    "clear",
)


def test_one_night_driver_collects_both_groups_on_one_route_shown_stop_by_stop(tmp_path, world):
    """Issue 18 §1 through the command line: the only Siping driver on shift at 23:00 collects the 30 at
    K8 and the 20 at K15 on one route; the oracle, from the file's own rows, agrees with every plan."""
    path = csv_file(tmp_path, f"{HEADER}\n{NIGHT}")
    view, outcome = solved(["dispatch", "--incidents", str(path), "--time-limit", "2", "--alternatives", "2"])
    for rank, found in enumerate(check_dispatch(world, NIGHT_CASE, list(outcome.result.plans)), start=1):
        assert found == (), (rank, found)
    best = view["plans"][0]
    assert [(i["carried"], i["on_time"]) for i in best["incidents"]] == [(30, 30), (20, 20)]
    (route,) = best["routes"]
    assert route["route_id"] and route["driver_id"] == "d28"
    assert [(s["kind"], s["incident"]) for s in route["stops"]] == [
        ("depart", None),
        ("pickup", "cli-1"),
        ("pickup", "cli-2"),
        ("deliver", "cli-1"),
        ("deliver", "cli-2"),
    ]
    assert [s["at"] for s in route["stops"]] == sorted(s["at"] for s in route["stops"])
    assert [s["passengers"] for s in route["stops"][1:]] == [30, 20, 30, 20]
    assert {a["route_id"] for a in best["assignments"]} == {route["route_id"]}
    assert [a["incident_id"] for a in best["assignments"]] == ["cli-1", "cli-2"]
    assert "by way of G1 K8" in best["explanation"] and "途经" in best["explanation_zh"]
    # the crew's message for the second incident says it collects the first group on the way there
    first, second = best["assignments"]
    assert calls_before(first, best) == ()
    ((en, zh),) = calls_before(second, best)
    assert en == route["stops"][1]["place_name"] and zh == route["stops"][1]["place_name_zh"] and "K8" in en


def test_a_route_shows_the_rests_in_time_order_and_a_passing_coach_sets_out_on_its_trip(dispatched):
    _, outcome = dispatched
    instance = outcome.instance
    rescue = outcome.result.plans[0].rescues[0]
    rested = replace(
        rescue,
        rest_at_scene_s=20 * 60,
        rest_on_way_node="gongzhuling_sa",
        rest_on_way_at=rescue.boarding_at + timedelta(minutes=45),
        rest_on_way_s=25 * 60,
    )
    stops = route_view(instance, rested, names_of(instance.network, instance.dataset))["stops"]
    assert [s["kind"] for s in stops] == ["depart", "pickup", "rest", "rest", "deliver"]
    assert [s["at"] for s in stops] == sorted(s["at"] for s in stops)
    assert [s["rest_min"] for s in stops[2:4]] == [20, 25]
    assert stops[3]["place"] == "gongzhuling_sa" and not RAW_ID.match(stops[3]["place_name"])
    passing = replace(rescue, passing_trip_id="T1207-AM3", origin_node="on trip (c03)", depart_at=rescue.scene_arrival)
    depart = route_view(instance, passing, names_of(instance.network, instance.dataset))["stops"][0]
    assert depart["place"] is None and "T1207-AM3" in depart["place_name"] and "T1207-AM3" in depart["place_name_zh"]


def test_the_text_form_prints_a_table_per_plan_of_the_incidents_and_the_routes_stop_by_stop(capsys, tmp_path):
    path = csv_file(tmp_path, f"{HEADER}\n{C01}\n{C02}\n")
    code, out, err = run(capsys, "dispatch", "--incidents", str(path), "--alternatives", "1")
    assert code == 0, err
    assert "incident cli-1: c01" in out and "incident cli-2: c02" in out
    assert re.search(r"incident\s+passengers\s+carried\s+on_time", out)
    assert re.search(r"cli-1\s+42\s+42\s+\d+", out) and re.search(r"cli-2\s+30\s+30\s+\d+", out)
    assert re.search(r"route c\d+ / d\d+:", out)
    assert "pick up" in out and "set down" in out and "G1 K78 toward Siping (42 passengers of cli-1)" in out


def test_the_single_form_has_routes_and_incidents_too_as_a_file_of_one_row(tmp_path):
    single, _ = solved(
        ["dispatch", "--vehicle", "c01", "--at", "G1 K78 toward Siping", "--time", "07:40", "--passengers", "42"]
        + ["--day", "2026-12-07", "--alternatives", "1"]
    )
    path = csv_file(tmp_path, f"{HEADER}\n{C01}\n")
    one_row, _ = solved(["dispatch", "--incidents", str(path), "--alternatives", "1"])
    for view in (single, one_row):
        (plan,) = view["plans"]
        assert [i["incident_id"] for i in plan["incidents"]] == ["cli-1"]
        assert plan["routes"] and all(route["stops"] for route in plan["routes"])
    assert single["incidents"] == one_row["incidents"]
    assert single["plans"][0]["objective"] == one_row["plans"][0]["objective"]


def test_a_byte_order_mark_blank_lines_a_plate_and_the_optional_columns_are_accepted(tmp_path):
    text = "Vehicle, at ,time,passengers,kind\n\n吉A·X0887,G1 K78 toward Siping,07:40,42,Breakdown\n ,, ,,\n\n"
    path = csv_file(tmp_path, text, bom=True)
    view, _ = solved(["dispatch", "--incidents", str(path), "--day", "2026-12-07", "--alternatives", "1"])
    (incident,) = view["incidents"]
    assert incident["reported_at"] == "2026-12-07T07:40" and incident["passengers"] == 42


# --- bad files: exit 2, the row and column named, nothing on stdout and nothing solved ------------------
@pytest.mark.parametrize(
    "text, where, words",
    [
        ("vehicle,at,time\nc01,G1 K78 toward Siping,07:40\n", "row 1, column passengers", ["missing"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,7.40,42,2026-12-07\n", "row 2, column time", ["7.40"]),
        (f"{HEADER}\n{C01}\nc02,G1 K40 toward Changchun,07:50,thirty,\n", "row 3, column passengers", ["thirty"]),
        (f"{HEADER}\n\nc99,G1 K78 toward Siping,07:40,42,\n", "row 3, column vehicle", ["c99"]),
        (f"{HEADER}\n{C01}\n{C02}\n{C01}\n", "row 4, column vehicle", ["row 2"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,07:40,420,\n", "row 2, column passengers", ["seats"]),
        (f"{HEADER}\nc01,G1 K140 toward Siping,07:40,42,\n", "row 2, column at", ["K140"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,07:40,42,2026-13-07\n", "row 2, column day", ["2026-13-07"]),
        (f"{HEADER},kind\n{C01},fire\n", "row 2, column kind", ["fire", "breakdown"]),
        ("", "row 1, column vehicle", ["empty"]),
        (f"{HEADER}\n\n", "row 2, column vehicle", ["no incident"]),
        (f"{C01}\n{C02}\n", "row 1, column vehicle", ["no header"]),
        (f"{HEADER},pax\n{C01},1\n", "row 1, column pax", ["unknown column"]),
        (f"{HEADER}\n{C01}\nc02,G1 K40 toward Changchun,17:50,30,\n", "row 3, column time", ["610 min", "row 2"]),
        (f"{HEADER}\nc02,G1 K40 toward Changchun,07:50,30,2026-12-08\n{C01}\n", "row 2, column day", ["row 3"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,07:40,4_2,\n", "row 2, column passengers", ["4_2"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,07:40,+5,\n", "row 2, column passengers", ["+5"]),
        (f"{HEADER},\n{C01},oops\n", "row 2, column 6", ["oops", "unnamed"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,2026-12-07T07:40,42,2026-12-08\n", "row 2, column day", ["2026-12-07"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,2026-12-07T31:40,42,\n", "row 2, column time", ["YYYY-MM-DDTHH:MM"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,07:40,42,9999-12-31\n", "row 2, column day", ["9999-12-31", "outside"]),
        (f"{HEADER}\nc01,G1 K78 toward Siping,0001-01-01T07:40,42,\n", "row 2, column time", ["outside"]),
    ],
    ids=[
        "missing-column", "bad-time", "bad-passengers", "unknown-vehicle", "duplicate-vehicle", "above-seats",
        "bad-location", "bad-day", "bad-kind", "empty-file", "header-only", "no-header", "unknown-column",
        "hours-apart", "days-apart", "underscore-number", "plus-number", "value-under-unnamed-column",
        "day-not-the-moment-s", "bad-moment", "day-past-the-calendar", "moment-before-the-calendar",
    ],
)  # fmt: skip
def test_a_bad_file_exits_2_naming_row_and_column_and_solves_nothing(capsys, tmp_path, monkeypatch, text, where, words):
    monkeypatch.setattr(solver.dispatch, "dispatch", lambda *a, **k: pytest.fail("a bad file must not be solved"))
    path = csv_file(tmp_path, text)
    code, out, err = run(capsys, "dispatch", "--incidents", str(path), "--json")
    assert (code, out) == (2, ""), err
    (line,) = err.strip().splitlines()
    assert f"{path}: {where}: " in line, line
    assert "Traceback" not in err
    for word in words:
        assert word in line, line


def test_a_spreadsheet_s_trailing_comma_and_full_width_digits_are_read(capsys, tmp_path):
    path = csv_file(tmp_path, f"{HEADER},\n{C01},\nc02,G1 K40 toward Changchun,07:50,３０,2026-12-07,\n")
    code, out, err = run(capsys, "dispatch", "--incidents", str(path), "--json")
    assert code == 0, err
    assert [i["passengers"] for i in json.loads(out)["incidents"]] == [42, 30]


def test_reports_within_the_desk_s_joint_window_are_planned_together_and_the_window_follows_its_setting(
    capsys, tmp_path, monkeypatch
):
    path = csv_file(tmp_path, f"{HEADER}\n{C01}\nc02,G1 K40 toward Changchun,09:40,30,\n")  # 120 min apart
    code, out, err = run(capsys, "dispatch", "--incidents", str(path), "--json")
    assert code == 0, err
    assert len(json.loads(out)["incidents"]) == 2
    monkeypatch.setenv("FLEETPLAN_JOINT_WINDOW_MIN", "90")
    code, out, err = run(capsys, "dispatch", "--incidents", str(path), "--json")
    assert (code, out) == (2, "")
    assert "row 3, column time" in err and "within 90 min" in err


@pytest.mark.parametrize(
    "time_cell, day_cell",
    [
        ("2026-12-07T07:40", ""),
        ("2026-12-07 07:40", "2026-12-07"),
        ("2026-12-06T23:40Z", ""),
        ("2026-12-07T07:40:30", ""),
    ],
    ids=["desk-form", "space-and-same-day", "utc-offset", "seconds-dropped"],
)
def test_a_whole_moment_in_the_time_column_reads_as_time_and_day(tmp_path, time_cell, day_cell):
    corridor = load_corridor(DATA)
    split = read_incidents(csv_file(tmp_path, f"{HEADER}\n{C01}\n", "split.csv"), corridor, date(2026, 12, 1))
    whole = csv_file(tmp_path, f"{HEADER}\nc01,G1 K78 toward Siping,{time_cell},42,{day_cell}\n", "whole.csv")
    assert read_incidents(whole, corridor, date(2026, 12, 1)) == split  # the default day does not apply


def test_every_bad_row_is_named_not_only_the_first(capsys, tmp_path):
    path = csv_file(tmp_path, f"{HEADER}\nc01,G1 K78 toward Siping,25:00,42,\nc02,G1 K40 toward Changchun,07:50,-3,\n")
    code, out, err = run(capsys, "dispatch", "--incidents", str(path))
    assert (code, out) == (2, "")
    assert "row 2, column time" in err and "row 3, column passengers" in err


def test_a_missing_file_exits_2_naming_it(capsys, tmp_path):
    code, out, err = run(capsys, "dispatch", "--incidents", str(tmp_path / "nope.csv"))
    assert (code, out) == (2, "") and "nope.csv" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--incidents", "x.csv", "--vehicle", "c01"], ["--vehicle", "--incidents"]),
        (["--time", "07:40", "--passengers", "4"], ["--incidents", "--vehicle", "required"]),
        (["--incidents", "x.csv", "--at", "siping_depot"], ["--at", "--incidents"]),
        (["--vehicle", "c01", "--time", "07:40"], ["--at", "--passengers"]),
    ],
    ids=["both", "neither", "file-with-single-option", "single-form-incomplete"],
)
def test_the_file_and_the_single_form_exclude_each_other_as_a_usage_error(capsys, argv, words):
    code, out, err = run(capsys, "dispatch", *argv)
    assert (code, out) == (2, "")
    (message,) = err.strip().splitlines()  # one line, as any bad input, pointing to the help
    assert message.startswith("fleetplan dispatch: error: ") and "--help" in message and "Traceback" not in err
    for word in words:
        assert word in message, message
