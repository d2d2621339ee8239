"""Smoke test of the dispatch benchmarks: each runs on a tiny size and prints its tables.

No timing is asserted (benchmarks are measurements); only that the scripts still run end to end and
that what they report is internally consistent.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.network import Direction

from bench import markdown_table, percentile
from bench.incidents import describe, generate_incidents, simultaneous_incidents, trip_track

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


def test_incidents_are_reproducible_and_lie_inside_their_trips(corridor):
    first = generate_incidents(corridor, 20, seed=7)
    assert first == generate_incidents(corridor, 20, seed=7)
    assert first != generate_incidents(corridor, 20, seed=8)
    assert sum(describe(first)["placement"].values()) == 20
    for generated in first:
        incident = generated.incident
        trip = corridor.dataset.trip(incident.trip_id)
        assert incident.passengers == trip.booked_passengers
        if generated.placement == "pre_departure":
            assert incident.at < trip.departure and incident.location == trip.origin
        else:
            assert trip.departure < incident.at < trip.arrival
        corridor.network.locate(incident.location)  # every location text resolves


def test_a_g1_incident_sits_where_the_timetable_puts_the_coach(corridor):
    trip = corridor.dataset.trip("T1207-AM1")  # Changchun → Siping
    track = trip_track(corridor, trip, corridor.dataset.clear_conditions)
    (stretch,) = track.g1_stretches
    assert stretch[0].direction == Direction.TO_SIPING and stretch[0].km > stretch[-1].km
    moment = track.moment_at_km(trip.departure, stretch, 78.0)
    assert trip.departure + timedelta(seconds=stretch[0].offset_s) < moment
    assert moment < trip.departure + timedelta(seconds=stretch[-1].offset_s)
    assert track.location_at(trip.departure, moment) == "G1 K78.0 toward Siping"


def test_simultaneous_incidents_use_distinct_running_coaches(corridor):
    moment = datetime(2026, 12, 7, 7, 40)
    generated = simultaneous_incidents(corridor, moment, 3, seed=1)
    assert len({g.incident.vehicle_id for g in generated}) == 3
    assert all(g.incident.at == moment for g in generated)
    with pytest.raises(ValueError):
        simultaneous_incidents(corridor, moment, 50)


def test_helpers():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5
    assert markdown_table(["a", "b"], [["x", 1.25]]).splitlines()[1] == "|---|---:|"


def test_latency_benchmark_runs(capsys):
    from bench import dispatch_latency

    text = dispatch_latency.main(["--incidents", "3", "--seed", "3"])
    assert "| build_instance |" in text and "alternatives=1" in text
    assert "machine:" in text and "python -m" in text
    assert capsys.readouterr().out.strip() == text.strip()


def test_latency_benchmark_runs_in_other_weather_and_names_an_unknown_preset(capsys):
    from bench import dispatch_latency

    text = dispatch_latency.main(["--incidents", "2", "--seed", "3", "--conditions", "snow"])
    assert "conditions snow" in text and "| build_instance |" in text
    with pytest.raises(SystemExit) as stopped:
        dispatch_latency.main(["--incidents", "2", "--conditions", "monsoon"])
    assert stopped.value.code == 2
    assert "--conditions" in capsys.readouterr().err


def test_quality_benchmark_runs():
    from bench import dispatch_quality

    text = dispatch_quality.main(["--incidents", "3", "--seed", "3"])
    for method in ("cp-sat", "greedy", "vroom", "vroom+late"):
        assert f"| {method} |" in text
    assert "| cp-sat vs greedy |" in text


def test_plan_audit_runs_and_finds_no_dominated_or_repeated_alternative(capsys):
    from bench import plan_audit

    text = plan_audit.main(["--incidents", "3", "--seed", "3"])
    rows = {line.split("|")[1].strip(): line.split("|")[2:5] for line in text.splitlines() if line.startswith("| ")}
    assert [cell.strip() for cell in rows["plans"]][0] == "3"
    for count in ("repeated rescue crews", "dominated plans", "alternatives sending no coach"):
        assert [cell.strip() for cell in rows[count]] == ["0", "0", "0"], count
    assert capsys.readouterr().out.strip() == text.strip()


def test_trust_outcomes_counts_each_incident_and_sums_them(capsys, tmp_path):
    from bench import trust_outcomes

    trust_outcomes.main(["--incidents", "3", "--seed", "3"])
    lines = capsys.readouterr().out.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 3
    for row in rows:  # every stranded passenger is counted once: in time, late or not reached
        assert row["on_time"] + row["late"] + row["not_reached"] == row["incident"][3]
        assert row["off_shift_covers"] == 0 and row["oracle"] == 0
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    trust_outcomes.main(["--summary", str(path)])
    totals = json.loads(capsys.readouterr().out)
    assert totals["on_time"] == sum(row["on_time"] for row in rows)


def test_blizzard_routes_benchmark_compares_both_dispatches_on_the_same_incidents(capsys, tmp_path):
    from bench import blizzard_routes

    plot = tmp_path / "blizzard.png"
    blizzard_routes.main(["--reps", "2", "--share", "1.0", "--workers", "1", "--plot", str(plot)])
    rows = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| one group") or line.startswith("| rescue routes")
    ]
    assert len(rows) == 2
    # common random numbers: both dispatches face the same incidents and the same passengers
    assert rows[0].split("|")[2:4] == rows[1].split("|")[2:4]
    assert plot.stat().st_size > 1000


def test_route_pool_benchmark_reports_bounded_routes_the_oracle_confirms(capsys):
    from bench import route_pool

    route_pool.main(["--groups", "6", "--time-limit", "0.5"])
    row = capsys.readouterr().out.strip().splitlines()[-1].strip("|").split("|")
    cells = [cell.strip() for cell in row]
    assert cells[0] == "6" and 0 < int(cells[2]) <= 300 and cells[-1] == "yes"


def test_oracle_sweep_counts_every_case_and_finds_no_disputed_plan(capsys):
    from bench import oracle_sweep

    oracle_sweep.main(["--cases", "6", "--seed", "3", "--fixes"])
    out = capsys.readouterr().out
    counted = [line.strip("|").split("|") for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    by_status = {cells[0].strip(): int(cells[1]) for cells in counted[1:]}
    assert by_status.pop("cases with a disputed plan") == 0
    assert sum(by_status.values()) == 6


def test_large_fleet_benchmark_runs():
    from bench import large_fleet

    text = large_fleet.main(
        ["--coaches", "30", "--incidents", "3", "--time-limit", "1", "--budget", "0", "--seed", "5,6"]
    )
    rows = [line for line in text.splitlines() if line.startswith("| 30 | ")]
    assert [row.split("|")[2].strip() for row in rows] == ["5", "6"]  # one row per fleet seed
    assert all("stopped" not in row and "crashed" not in row for row in rows)


def test_build_cpu_benchmark_runs():
    from bench import build_cpu

    text = build_cpu.main(["--coaches", "30", "--incidents", "3", "--seeds", "5,6", "--repeats", "1"])
    rows = [line.split("|") for line in text.splitlines()[2:]]
    assert [row[1].strip() for row in rows] == ["5", "6"] and all(float(row[2]) > 0 for row in rows)


def test_generated_fleet_matches_its_spec(corridor):
    from bench.fleet_generator import FleetSpec, generate_dataset

    dataset = generate_dataset(corridor, FleetSpec(coaches=60, seed=5))
    assert len(dataset.vehicles) == 60
    assert sum(v.status.value == "standby" for v in dataset.vehicles) == 6
    nodes = corridor.network.graph.nodes
    assert all(stop.node_id in nodes for trip in dataset.trips for stop in trip.stops)
    assert all(trip.booked_passengers <= dataset.vehicle(trip.vehicle_id).seats for trip in dataset.trips)


def test_feed_ingest_runs_through_every_door(capsys):
    from bench.feed_ingest import main

    assert main(["--coaches", "50", "--rate", "100", "--seconds", "2", "--connections", "5"]) == 0
    table = capsys.readouterr().out
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| json") or line.startswith("| gtfs")]
    rows += [line.split("|") for line in table.splitlines() if line.startswith("| jt808")]
    assert len(rows) == 3
    for row in rows:
        sent, stored, refused = (int(row[k]) for k in (2, 3, 4))
        assert sent > 0 and stored == sent and refused == 0  # everything sent was stored


def test_detection_benchmark_runs_and_counts(capsys):
    from bench.detection import main

    assert main(["--days", "2026-12-07", "--breakdowns", "2", "--every", "15", "--look", "30", "--no-wall"]) == 0
    out = capsys.readouterr().out
    assert "Clear days" in out and "injected breakdowns" in out


def test_desk_push_benchmark_sees_every_fix_on_the_map(capsys):
    from bench.desk_push import main

    # each fix stands 2 s and is polled every 0.5 s: a polled desk shows only the latest, so it would
    # miss a fix overwritten between two polls
    assert main(["--coaches", "4", "--every", "2", "--seconds", "5", "--poll", "0.5"]) == 0
    rows = [line.split("|") for line in capsys.readouterr().out.splitlines() if line.startswith("| p")]
    assert len(rows) == 2
    for row in rows:
        sent, seen = int(row[2]), int(row[3])
        assert sent > 0 and seen == sent  # every fix sent reached the desk's map, pushed and polled


def test_lilim_benchmark_checks_every_engine_on_one_instance(capsys):
    from bench.lilim import DEFAULT_DATA, main

    if not (DEFAULT_DATA / "lc101.txt").exists():
        pytest.skip(f"Li & Lim instances not found in {DEFAULT_DATA}")
    assert main(["--instances", "lc101", "--time-limit", "1"]) == 0
    out = capsys.readouterr().out
    engines = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| or-tools |")]
    engines += [line.split("|")[1].strip() for line in out.splitlines() if line.startswith(("| pyvrp", "| vroom"))]
    assert engines == ["or-tools", "pyvrp", "vroom"]  # one summary row each
    (row,) = [line.split("|") for line in out.splitlines() if line.startswith("| lc101")]
    assert [cell.strip() for cell in row[7:-1:4]] == ["yes", "yes", "yes"]  # every engine's plan passes the checker


def test_incidents_on_a_dataset_without_g1_trips_fail_with_a_reason(corridor):
    from dataclasses import replace

    from bench import incidents
    from bench.incidents import generate_incidents

    nobody = replace(corridor, dataset=replace(corridor.dataset, trips=()))
    with pytest.raises(ValueError, match="no trip of the data"):
        generate_incidents(nobody, 3)
    # every trip off G1 (the course as if none had a G1 stretch): G1 incidents cannot be placed
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(incidents, "_g1_incident", lambda *args: None)
        with pytest.raises(ValueError, match="no trip of the data takes a g1 incident"):
            generate_incidents(corridor, 3, pre_departure_share=0.0, stop_share=0.0)


def test_desk_latency_benchmark_runs_with_one_plan_per_report(capsys):
    from bench import desk_latency

    assert {body["alternatives"] for body in desk_latency.report_bodies(5, 3, alternatives=1)} == {1}
    assert desk_latency.main(["--clients", "1", "--duration", "2", "--alternatives", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 plan(s) asked per report" in out
    row = next(line for line in out.splitlines() if line.startswith("| 1 |"))
    assert row.split("|")[5].strip() == "0"  # no errors
    service_ms, workers_ms = (float(cell) for cell in row.split("|")[-3:-1])
    assert service_ms > 0, "the service spent CPU on the reports"
    if len(os.sched_getaffinity(0)) >= 2:  # a service on one core dispatches in its own process
        assert workers_ms > 0, "its dispatch workers spent CPU on the reports"
    with pytest.raises(SystemExit) as stopped:
        desk_latency.main(["--alternatives", "6"])
    assert stopped.value.code == 2


def test_desk_latency_burst_times_each_first_answer_and_waits_for_all_options(capsys):
    from bench import desk_latency

    chosen = desk_latency.near_in_time(desk_latency.report_bodies(40, 3), 4)
    assert len(chosen) == 4 and [b["time"] for b in chosen] == sorted(b["time"] for b in chosen)
    assert desk_latency.main(["--burst", "3"]) == 0
    out = capsys.readouterr().out
    assert "reports answered: 3 of 3" in out
    assert "every incident holds all its options: " in out and "not within" not in out
    with pytest.raises(SystemExit) as stopped:
        desk_latency.main(["--burst", "0"])
    assert stopped.value.code == 2


def test_record_growth_benchmark_runs():
    from bench import record_growth

    text = record_growth.main(["--incidents", "25,30", "--open", "5", "--repeats", "1"])
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| 25 |") or line.startswith("| 30 |")]
    assert len(rows) == 2 * 5  # four questions and the fill time, per size
    open_rows = [row for row in rows if "open incidents" in row[2]]
    assert [row[3].strip() for row in open_rows] == ["5", "5"]  # the five open ones, whatever lies closed beside them
