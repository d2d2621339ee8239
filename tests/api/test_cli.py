"""The ``fleetplan`` command line: output contracts, JSON, and exit 2 with one line on bad input."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from tests.api.http_support import run_cli as run

DATA = Path(__file__).resolve().parents[2] / "data" / "default"


def run_json(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def assert_one_line_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    message = lines[-1]
    assert "Traceback" not in err
    for word in words:
        assert word in message, message


# --- route --------------------------------------------------------------------------------------------
def test_route_json_between_depots_by_day_on_g1(capsys):
    view = run_json(capsys, "route", "siping_depot", "changchun_depot", "--at", "10:00")
    assert 80 <= view["minutes"] <= 130
    assert 100 <= view["km"] <= 150
    ids = [step["id"] for step in view["path"]]
    assert ids[0] == "siping_depot" and ids[-1] == "changchun_depot"
    assert all(step["name"] for step in view["path"])


def test_route_is_slower_at_night_and_in_snow(capsys):
    day = run_json(capsys, "route", "siping_depot", "changchun_depot", "--at", "10:00")["minutes"]
    night = run_json(capsys, "route", "siping_depot", "changchun_depot", "--at", "23:00")["minutes"]
    snow = run_json(capsys, "route", "siping_depot", "changchun_depot", "--at", "10:00", "--conditions", "snow")[
        "minutes"
    ]
    assert night > day
    assert snow >= 1.5 * day


def test_route_blizzard_uses_g102(capsys):
    clear = run_json(capsys, "route", "siping_depot", "changchun_depot")
    blizzard = run_json(capsys, "route", "siping_depot", "changchun_depot", "--conditions", "blizzard")
    assert {clear["path"][i]["id"] for i in range(len(clear["path"]))} != {
        blizzard["path"][i]["id"] for i in range(len(blizzard["path"]))
    }
    assert any("G102" in road for road in blizzard["roads"])
    assert not any(road.startswith("G1 ") or road == "G1" for road in blizzard["roads"])


def test_route_to_a_kilometre_post_and_text_output(capsys):
    code, out, err = run(capsys, "route", "changchun_depot", "G1 K78 toward Changchun")
    assert code == 0, err
    assert " km, " in out and " min" in out


def test_route_path_starts_and_ends_at_kilometre_posts_given_as_its_ends(capsys):
    # the posts lie between nodes: the path of nodes alone began and ended at the interchanges beside them
    view = run_json(capsys, "route", "G1 K90 toward Siping", "G1 K40 toward Siping")
    ids = [step["id"] for step in view["path"]]
    assert ids[0] == "G1 K90 toward Siping" and ids[-1] == "G1 K40 toward Siping"
    assert all("." in node for node in ids[1:-1])  # carriageway nodes between them, toward Siping
    code, out, err = run(capsys, "route", "changchun_depot", "G1 K78 toward Changchun")
    assert code == 0, err
    lines = out.splitlines()
    assert "changchun_depot" in lines[1] and "G1 K78 toward Changchun" in lines[-1]


def test_route_between_two_posts_on_one_stretch_or_at_one_post(capsys):
    ids = [step["id"] for step in run_json(capsys, "route", "G1 K90 toward Siping", "G1 K89.5 toward Siping")["path"]]
    assert ids == ["G1 K90 toward Siping", "G1 K89.5 toward Siping"]
    ids = [step["id"] for step in run_json(capsys, "route", "G1 K90 toward Siping", "G1 K90+000 toward Siping")["path"]]
    assert ids == ["G1 K90 toward Siping"]


def test_route_minutes_are_rounded_not_cut():
    """A drive of 12 min 59 s reads 13.0 min (cut, it read 12 or 12.9)."""
    from fleetplan.corridor import load_corridor
    from fleetplan.model import VehicleClass
    from fleetplan.network import SpeedRules, TravelTimes

    from api import views

    corridor = load_corridor(DATA)
    conditions = corridor.dataset.conditions_named("clear")
    times = TravelTimes(
        corridor.network, conditions, VehicleClass.COACH_12M, SpeedRules.for_policy(corridor.dataset.driving_policy)
    )
    depart_at = datetime(2026, 12, 7, 10, 0)
    route = dataclasses.replace(times.route("siping_depot", "changchun_depot", depart_at), travel_time_s=12 * 60 + 59)
    view = views.route_view(corridor.network, route, depart_at, "clear", VehicleClass.COACH_12M)
    assert view["minutes"] == 13.0
    assert views.route_text(view).splitlines()[0].startswith("123.3 km, 13.0 min  (depart 2026-12-07T10:00, ")


@pytest.mark.parametrize(
    "origin, destination",
    [
        ("siping_depot", "siping_depot"),
        ("siping_depot", "43.1457,124.3448"),  # its coordinates: the same node
        ("G1 K78 toward Changchun", "G1 K78+000 toward Changchun"),  # one post, written two ways
    ],
)
def test_route_between_one_place_says_so(capsys, origin, destination):
    code, out, err = run(capsys, "route", origin, destination)
    assert code == 0, err
    head, *steps = out.splitlines()
    assert head.startswith("FROM and TO are the same place: 0 km, 0 min  (depart "), head
    assert "via" not in head and len(steps) == 1 and origin.split()[0] in steps[0]
    view = run_json(capsys, "route", origin, destination)
    assert (view["km"], view["minutes"], view["roads"], len(view["path"])) == (0, 0, [], 1)


def test_route_on_interchange_ramps_alone_names_no_empty_via(capsys):
    code, out, err = run(capsys, "route", "wulipo_ic", "wulipo_ic.to_changchun")
    assert code == 0, err
    head = out.splitlines()[0]
    assert head.endswith(", clear, coach_12m)") and "via" not in head and "same place" not in head, head
    assert float(head.split(" km")[0]) > 0


@pytest.mark.parametrize(
    "argv, words",
    [
        (["route", "siping_depot", "nowhere"], ["nowhere"]),
        (["route", "siping_depot", "G1 K140 toward Changchun"], ["K140", "K0"]),
        (["route", "siping_depot", "changchun_depot", "--at", "25:00"], ["25:00"]),
        (["route", "siping_depot", "changchun_depot", "--conditions", "hail"], ["hail"]),
        (["route", "siping_depot", "changchun_depot", "--vehicle-class", "bus"], ["bus"]),
    ],
)
def test_route_bad_input_exits_2_with_one_line(capsys, argv, words):
    assert_one_line_error(*run(capsys, *argv), *words)


# --- fleet, drivers --------------------------------------------------------------------------------------
def test_fleet_list_json_has_the_contract_fields(capsys):
    vehicles = run_json(capsys, "fleet", "list")["vehicles"]
    assert 24 <= len(vehicles) <= 30
    for vehicle in vehicles:
        assert {"id", "class", "seats", "length_m", "depot", "status"} <= vehicle.keys()
    assert {v["status"] for v in vehicles} >= {"in_service", "standby", "workshop"}


def test_drivers_list_json_has_the_contract_fields(capsys):
    drivers = run_json(capsys, "drivers", "list")["drivers"]
    assert 30 <= len(drivers) <= 40
    assert {d["licence_class"] for d in drivers} == {"A1", "B1"}
    assert all({"id", "licence_class", "depot"} <= d.keys() for d in drivers)


def test_fleet_list_text_is_a_table(capsys):
    code, out, _ = run(capsys, "fleet", "list")
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["id", "plate", "class"]


# --- data validate ------------------------------------------------------------------------------------------
def test_data_validate_default_is_valid(capsys):
    code, out, _ = run(capsys, "data", "validate", str(DATA))
    assert code == 0
    assert "valid" in out


def test_data_validate_reports_every_bad_cell_and_exits_2(capsys, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    vehicles = copy / "vehicles.csv"
    lines = vehicles.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    data_rows = [i for i, line in enumerate(lines) if i > 0 and not line.startswith("#")]
    edits = [(data_rows[0], "seats", "abc"), (data_rows[1], "length_m", "-3"), (data_rows[2], "status", "flying")]
    for index, column, value in edits:
        cells = lines[index].split(",")
        cells[header.index(column)] = value
        lines[index] = ",".join(cells)
    vehicles.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_json_code(capsys, 2, "data", "validate", str(copy))
    found = {(p["file"], p["row"], p["column"]) for p in report["problems"]}
    assert found == {("vehicles.csv", index + 1, column) for index, column, _ in edits}


def run_json_code(capsys, expected_code: int, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == expected_code, err
    return json.loads(out)


def test_data_validate_missing_directory_exits_2(capsys, tmp_path):
    assert_one_line_error(*run(capsys, "data", "validate", str(tmp_path / "absent")), "absent")


# --- dispatch --------------------------------------------------------------------------------------------
def test_dispatch_json_contract(capsys):
    view = run_json(
        capsys,
        "dispatch",
        "--vehicle",
        "c01",
        "--at",
        "G1 K78 toward Siping",
        "--time",
        "07:40",
        "--passengers",
        "42",
        "--alternatives",
        "2",
    )
    assert view["status"] in ("optimal", "feasible")
    assert isinstance(view["solve_ms"], int)
    assert 1 <= len(view["plans"]) <= 2
    plan = view["plans"][0]
    assert plan["rank"] == 1
    assert list(plan["objective"]) == [
        "passengers_not_reached",
        "late_penalty",
        "passenger_delay_min",
        "trips_uncovered",
        "trips_retimed_min",
        "trips_recrewed",
        "deadhead_km",
        "coverage_lost",
        "rescue_coaches",
    ]
    assert plan["explanation"]
    assert plan["why_below_first"] == ""
    assert all(alternative["why_below_first"] for alternative in view["plans"][1:])
    assert plan["evaluator_problems"] == []
    for assignment in plan["assignments"]:
        assert {
            "vehicle_id",
            "driver_id",
            "origin",
            "scene_eta_min",
            "limit_min",
            "passengers",
            "destination_arrival",
        } <= assignment.keys()
        assert assignment["scene_eta_min"] > 0
    assert sum(a["passengers"] for a in plan["assignments"]) == 42
    for trip in plan["recovered_trips"]:
        assert {"trip_id", "vehicle_id", "driver_id", "departure_shift_min"} <= trip.keys()
    assert view["rejected"] and all({"candidate", "reason"} <= r.keys() for r in view["rejected"])


def test_dispatch_accepts_a_plate_and_prints_a_table(capsys):
    plate = run_json(capsys, "fleet", "list")["vehicles"][0]["plate"]
    code, out, err = run(
        capsys,
        "dispatch",
        "--vehicle",
        plate,
        "--at",
        "G1 K78 toward Siping",
        "--time",
        "07:40",
        "--passengers",
        "10",
        "--alternatives",
        "1",
    )
    assert code == 0, err
    assert "plan 1" in out and "rejected" in out


def test_dispatch_text_says_why_each_alternative_ranks_below_the_first(capsys):
    code, out, err = run(
        capsys, "dispatch", "--vehicle", "c01", "--at", "siping_depot", "--time", "07:00", "--passengers", "30"
    )
    assert code == 0, err
    plans = out.split("\nplan ")[1:]
    assert len(plans) > 1
    assert "below plan 1:" not in plans[0]
    assert all("  below plan 1: " in plan for plan in plans[1:])


def test_dispatch_infeasible_under_full_closure_lists_reasons_and_relaxations(capsys):
    # all G1 entrances closed: no coach may enter the expressway to reach a scene on it
    view = run_json(
        capsys,
        "dispatch",
        "--vehicle",
        "c01",
        "--at",
        "G1 K78 toward Siping",
        "--time",
        "07:40",
        "--passengers",
        "42",
        "--conditions",
        "blizzard",
        "--alternatives",
        "1",
    )
    assert view["status"] == "infeasible"
    kinds = {r["kind"]: r for r in view["relaxations"]}
    assert kinds["more_seats"]["amount"] == 42
    assert "closure_exemption" in kinds
    assert any(r["code"] == "unreachable" for r in view["rejected"])
    assert view["reasons"]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--vehicle", "c99"], ["c99"]),
        (["--passengers", "-1"], ["-1"]),
        (["--passengers", "80"], ["passengers", "seats"]),
        (["--at", "somewhere over the rainbow"], ["somewhere"]),
        (["--time", "25:00"], ["25:00"]),
        (["--conditions", "hail"], ["hail"]),
        (["--day", "9999-12-31"], ["--day", "9999-12-31", "outside"]),
        (["--day", "0001-01-01"], ["--day", "outside"]),
    ],
)
def test_dispatch_bad_input_exits_2_with_one_line(capsys, argv, words):
    base = {"--vehicle": "c01", "--at": "G1 K78 toward Siping", "--time": "07:40", "--passengers": "10"}
    for flag, value in zip(argv[::2], argv[1::2]):
        base[flag] = value
    args = ["dispatch"] + [item for pair in base.items() for item in pair]
    assert_one_line_error(*run(capsys, *args), *words)


# --- pdptw ------------------------------------------------------------------------------------------------
LILIM = Path(__file__).resolve().parents[3] / "shared" / "data" / "lilim"


@pytest.mark.skipif(not (LILIM / "lc101.txt").is_file(), reason="Li & Lim instances not found beside the repo")
@pytest.mark.parametrize(
    "engine", [(), ("--engine", "or-tools"), ("--portfolio",)], ids=["default", "or-tools", "portfolio-flag"]
)
def test_pdptw_json_routes_cover_every_request(capsys, engine):
    from solver.pdptw import check_pdp_solution, read_lilim

    view = run_json(capsys, "pdptw", str(LILIM / "lc101.txt"), "--time-limit", "1", *engine)
    problem = read_lilim(LILIM / "lc101.txt")
    assert view["vehicles"] == len(view["routes"]) <= problem.vehicle_count
    assert view["distance"] > 0
    visited = sorted(node for route in view["routes"] for node in route)
    assert visited == list(range(1, problem.node_count))  # depot excluded, every other node once
    routes = [list(route) for route in view["routes"]] + [
        [] for _ in range(problem.vehicle_count - len(view["routes"]))
    ]
    assert check_pdp_solution(problem, routes) == []


def test_pdptw_bad_file_exits_2(capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("25 200 1\n0 40 50 0 0 1236 0 0 0\n1 x 68 -10 912 967 90 11 0\n")
    assert_one_line_error(*run(capsys, "pdptw", str(bad)), "bad.txt")
