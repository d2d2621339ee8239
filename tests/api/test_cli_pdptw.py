"""``fleetplan pdptw``'s bad input: one line naming the option or the file, exit 2, nothing solved."""

from __future__ import annotations

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
