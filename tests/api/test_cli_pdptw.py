"""``fleetplan pdptw`` refuses bad input before it solves: one line naming the option or the file, exit 2."""

from __future__ import annotations

import pytest

from solver.pdp_routes import PdpResult, PdpStatus

from api import cli_routing

from tests.api.http_support import run_cli as run
from tests.api.test_cli import assert_one_line_error

# Li & Lim: a header "vehicles capacity speed", then "index x y demand earliest latest service pickup delivery"
DEPOT = "0 0 0 0 0 1000 0 0 0"


def lilim(tmp_path, header: str, *nodes: str) -> str:
    path = tmp_path / "instance.txt"
    path.write_text("\n".join([header, DEPOT, *nodes]) + "\n")
    return str(path)


def test_a_bad_instance_names_the_file_and_no_command_that_cannot_read_it(capsys, tmp_path):
    path = lilim(tmp_path, "2 10 1", "1 x 0 5 0 1000 10 0 2", "2 y 0 -5 0 1000 10 1 0")
    code, out, err = run(capsys, "pdptw", path)
    assert_one_line_error(code, out, err, "FILE", "instance.txt", "line 3", "1 more problem")
    assert "data validate" not in err  # that command checks a corridor directory, not a Li & Lim file


def test_an_inconsistent_instance_names_the_file(capsys, tmp_path):
    path = lilim(tmp_path, "2 -5 1", "1 10 0 5 0 1000 10 0 2", "2 20 0 -5 0 1000 10 1 0")
    assert_one_line_error(*run(capsys, "pdptw", path), "FILE", "instance.txt", "negative")


@pytest.mark.parametrize(
    "flags", [("--portfolio", "--engine", "or-tools"), ("--engine", "or-tools", "--portfolio")], ids=["before", "after"]
)
def test_portfolio_flag_with_the_or_tools_engine_is_refused_naming_both(capsys, tmp_path, flags):
    path = lilim(tmp_path, "2 10 1", "1 10 0 5 0 1000 10 0 2", "2 20 0 -5 0 1000 10 1 0")
    assert_one_line_error(*run(capsys, "pdptw", path, *flags), "--portfolio", "--engine or-tools")


def test_portfolio_flag_repeating_engine_portfolio_is_fine(capsys, tmp_path):
    path = lilim(tmp_path, "2 10 1", "1 10 0 5 0 1000 10 0 2", "2 20 0 -5 0 1000 10 1 0")
    code, out, err = run(capsys, "pdptw", path, "--engine", "portfolio", "--portfolio", "--time-limit", "0.2")
    assert code == 0, err
    assert "feasible" in out


@pytest.mark.parametrize("limit", ["3601", "1e9", "inf", "nan", "0", "-1", "ten"])
def test_time_limit_outside_0_to_an_hour_is_refused_naming_it(capsys, tmp_path, limit):
    path = lilim(tmp_path, "2 10 1", "1 10 0 5 0 1000 10 0 2", "2 20 0 -5 0 1000 10 1 0")
    assert_one_line_error(*run(capsys, "pdptw", path, f"--time-limit={limit}"), "--time-limit")


def test_the_time_limit_bound_is_an_hour_and_in_the_help(capsys):
    from api.cli_routing import MAX_TIME_LIMIT_S

    assert MAX_TIME_LIMIT_S == 3600
    code, out, _ = run(capsys, "pdptw", "--help")
    assert code == 0 and "at most 3600" in out


@pytest.mark.parametrize(
    "header, nodes, words",
    [
        ("2 0 1", ["1 10 0 5 0 1000 10 0 2", "2 20 0 -5 0 1000 10 1 0"], ["needs 5 places", "has 0"]),
        (
            "2 10 1",
            [
                "1 10 0 15 0 1000 10 0 2",
                "2 20 0 -15 0 1000 10 1 0",
                "3 10 5 5 0 1000 10 0 4",
                "4 20 5 -5 0 1000 10 3 0",
            ],
            ["needs 15 places", "has 10"],
        ),
        ("1 10 1", ["1 500 0 5 0 10 10 0 2", "2 20 0 -5 0 1000 10 1 0"], ["time windows"]),
    ],
    ids=["capacity-0", "demand-above-capacity", "out-of-reach"],
)
def test_an_unservable_instance_is_refused_as_bad_input_before_the_solve(capsys, tmp_path, header, nodes, words):
    path = lilim(tmp_path, header, *nodes)
    assert_one_line_error(*run(capsys, "pdptw", path, "--json"), "FILE", "instance.txt", "request 1→2", *words)


@pytest.mark.parametrize("status, code", [(PdpStatus.FEASIBLE, 0), (PdpStatus.PARTIAL, 1), (PdpStatus.NO_SOLUTION, 1)])
def test_the_exit_status_says_whether_every_request_was_served(capsys, tmp_path, monkeypatch, status, code):
    """The README's 1: the work failed (requests left unserved in the time given), the output still printed."""
    path = lilim(tmp_path, "2 10 1", "1 10 0 5 0 1000 10 0 2", "2 20 0 -5 0 1000 10 1 0")
    routes = ((1, 2),) if status == PdpStatus.FEASIBLE else ()
    unserved = () if status == PdpStatus.FEASIBLE else ((1, 2),)
    answer = PdpResult(status, routes, 40.0, len(routes), unserved=unserved)
    monkeypatch.setattr(cli_routing, "solve_pdp_portfolio", lambda problem, params: answer)
    returned, out, err = run(capsys, "pdptw", path)
    assert (returned, err) == (code, "") and status.value in out
