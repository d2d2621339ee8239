"""``fleetplan whatif``: the JSON contract, the files it writes, and exit 2 with one line on bad input."""

from __future__ import annotations

import argparse
import csv
import json

import pytest

import api.cli as cli
from api.cli_whatif import add_whatif_command

PERIOD = ["--from", "2027-01-04", "--to", "2027-01-05"]
BACKUPS = ["--backups", "siping_depot=2,changchun_depot=1,gongzhuling_sa=1"]


@pytest.fixture
def main(monkeypatch):
    """``api.cli.main`` with ``whatif`` registered (a no-op once the lead wires it into build_parser)."""
    original = cli.build_parser

    def build_parser():
        parser = original()
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "whatif" not in subparsers.choices:
            add_whatif_command(subparsers)
        return parser

    monkeypatch.setattr(cli, "build_parser", build_parser)
    return cli.main


def run(main, capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["whatif", *argv])
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_has_kpis_per_tier_and_the_files_are_written(main, capsys, tmp_path):
    code, out, err = run(
        main,
        capsys,
        *PERIOD,
        *BACKUPS,
        "--conditions-calendar",
        "winter",
        "--reps",
        "2",
        "--seed",
        "3",
        "--out",
        str(tmp_path),
        "--json",
    )
    assert code == 0, err
    view = json.loads(out)
    assert [row["tier"] for row in view["kpis"]] == ["city", "near_backup", "corridor", "pre_departure", "all"]
    assert view["scenario"] == {
        "from": "2027-01-04",
        "to": "2027-01-05",
        "calendar": "winter",
        "solve_budget_s": 0.3,
        "backups": {"changchun_depot": 1, "gongzhuling_sa": 1, "siping_depot": 2},
    }
    assert view["summary"]["reps"] == 2 and view["summary"]["seed"] == 3 and view["engine"] == "local"
    everything = view["kpis"][-1]
    assert set(everything) >= {
        "incidents",
        "reached_within_limit",
        "ci_low",
        "ci_high",
        "response_mean_min",
        "response_p90_min",
        "passenger_delay_mean_min",
        "trips_lost",
    }
    with (tmp_path / "kpis.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["tier"] for row in rows] == [row["tier"] for row in view["kpis"]]
    assert int(rows[-1]["incidents"]) == everything["incidents"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compliance.png", "kpis.csv", "response_times.png"]
    assert sorted(view["files"]) == sorted(str(p) for p in tmp_path.iterdir())


def test_text_output_is_a_table(main, capsys):
    code, out, err = run(
        main, capsys, "--from", "2027-01-04", "--to", "2027-01-04", "--backups", "siping_depot=1", "--reps", "1"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("what-if 2027-01-04…2027-01-04")
    assert lines[1].split()[:3] == ["tier", "incidents", "incidents_per_rep"]
    assert any(line.startswith("all ") for line in lines)


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--from", "2027-01-10", "--to", "2027-01-04", *BACKUPS], ["--to", "before", "2027-01-10"]),
        ([*PERIOD, "--backups", "harbin_depot=1"], ["unknown site", "harbin_depot", "siping_depot"]),
        ([*PERIOD, "--backups", "siping_depot=-1"], ["--backups", "negative"]),
        ([*PERIOD, "--backups", "siping_depot=two"], ["--backups", "'two'"]),
        ([*PERIOD, "--backups", "siping_depot"], ["--backups", "SITE=N"]),
        ([*PERIOD, "--backups", "siping_depot=1,siping_depot=2"], ["twice"]),
        ([*PERIOD, "--backups", "siping_depot=20"], ["backups", "standby"]),
        (["--from", "2027-02-30", "--to", "2027-03-01", *BACKUPS], ["--from", "2027-02-30"]),
        ([*PERIOD, *BACKUPS, "--reps", "0"], ["--reps", "0"]),
        ([*PERIOD, *BACKUPS, "--seed", "-4"], ["--seed", "-4"]),
        ([*PERIOD, *BACKUPS, "--engine", "spark"], ["--engine", "spark", "dask"]),
        ([*PERIOD, *BACKUPS, "--scheduler", "tcp://127.0.0.1:8786"], ["--scheduler", "dask"]),
        ([*PERIOD, *BACKUPS, "--engine", "dask", "--scheduler", "garbage"], ["scheduler", "'garbage'"]),
        ([*PERIOD, *BACKUPS, "--conditions-calendar", "monsoon"], ["calendar", "monsoon"]),
    ],
)
def test_bad_input_exits_2_with_one_line(main, capsys, argv, words):
    code, out, err = run(main, capsys, *argv)
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]


def test_the_summary_lists_incidents_by_kind_as_words_not_a_python_dict():
    from api.cli_whatif import per_kind_text

    assert per_kind_text({"accident": 0.3, "breakdown": 1.25}) == "accident 0.3, breakdown 1.25"
    assert per_kind_text({}) == "none"
