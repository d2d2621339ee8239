"""Fuzzing the data loader: a corrupted data folder is loaded or refused with its problems, never a crash.

Hypothesis takes the bundled ``data/default`` folder (the road network included) and corrupts it: cells
replaced by junk (huge, NUL, control characters, empty, negative, non-numeric, quotes and commas), rows
with extra or missing cells, duplicated and deleted lines, truncated, emptied and deleted files, bad
UTF-8 bytes, and TOML files emptied, truncated or given keys and values of the wrong kind. Whatever it
does, :func:`fleetplan.corridor.validate_corridor` returns :class:`~fleetplan.errors.DataProblem` items
(one line each, naming the file and, for a cell, its row and column), :func:`load_dataset` loads or
raises :class:`~fleetplan.errors.DataValidationError`, and ``fleetplan data validate`` exits 0 or 2 with
one line per problem. A corrupted cell that can never be valid (a NUL byte, a control character, a
cell longer than the loader reads) must be reported at its file, row and column.

The number of examples is small by default (the suite runs on two cores); for a long run set
``FLEETPLAN_FUZZ_EXAMPLES`` (e.g. ``FLEETPLAN_FUZZ_EXAMPLES=2000 pytest tests/security/test_loader_fuzz.py``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect

from fleetplan.corridor import validate_corridor
from fleetplan.dataset import load_dataset, validate_dataset
from fleetplan.errors import DataProblem, DataValidationError
from fleetplan.tables import MAX_CELL_CHARS

from api.cli import main
from api.settings import sqlite_file

from tests.api.http_support import free_port

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "default"
EXAMPLES = int(os.environ.get("FLEETPLAN_FUZZ_EXAMPLES", "50"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

CSV_FILES = (
    "sites.csv",
    "vehicles.csv",
    "drivers.csv",
    "duty_log.csv",
    "trips.csv",
    "trip_stops.csv",
    "network/places.csv",
    "network/g1_posts.csv",
    "network/roads.csv",
)
TOML_FILES = ("tiers.toml", "policy.toml", "conditions.toml", "network/expressway.toml")
FILES = CSV_FILES + TOML_FILES
MAX_LINE_CHARS = 3 * MAX_CELL_CHARS  # one line a person can read: bad values are quoted cut short
HUGE = "<200,000 x>"  # stands for a cell over the csv module's field limit (kept short for hypothesis)

# Cells that are never valid, wherever they are: the loader must name their file, row and column.
NEVER_VALID = ["a\x00b", "\x00", HUGE, "line\nbreak", "bell\x07", "esc\x1b[31m", "del\x7f"]
JUNK = [
    *NEVER_VALID,
    "",
    " ",
    "-5",
    "-1",
    "0",
    "abc",
    "1e400",
    "-1e400",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1.5",
    "99999999999999999999999",
    "0x10",
    "٣",
    "５",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "2026-12-07T25:00",
    "2026-12-07T10:00+08:00",
    "24:00",
    "-00:01",
    "true",
    "None",
    "null",
    "#",
    '"',
    'a"b',
    "a,b",
    "\u202etxt",
    "9" * 5_000,
    "1e300",
    "1e-300",
    "9223372036854775807",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
]
BAD_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe4\xb8"]
TOML_VALUES = [
    "nan",
    "inf",
    "-inf",
    "1e400",
    "-1",
    "0",
    "99999999999999999999999",
    "1e300",
    "1e-300",
    '"x"',
    '""',
    '"\\u0000"',
    "[]",
    "[1, 2]",
    "{}",
    "true",
    "1979-05-27",
    "07:32:00",
    '"25:00"',
]


# --------------------------------------------------------------------------- the corruptions
@dataclass(frozen=True)
class Cell:
    """Replace one cell of a data row (quoted as CSV needs it) by ``value``."""

    file: str
    line: int  # taken modulo the data lines
    column: int  # taken modulo the header's columns
    value: str


@dataclass(frozen=True)
class Cells:
    """Give one data row ``delta`` more (positive) or fewer (negative) cells."""

    file: str
    line: int
    delta: int


@dataclass(frozen=True)
class Lines:
    """Duplicate, delete or replace (by ``text``) one line of a file, comments and header included."""

    file: str
    line: int
    action: str
    text: str = ""


@dataclass(frozen=True)
class Bytes:
    """Truncate the file at ``offset`` (modulo its size), insert bytes there, empty it or delete it."""

    file: str
    offset: int
    action: str
    data: bytes = b""


@dataclass(frozen=True)
class TomlValue:
    """Set one ``key = value`` line of a TOML file to ``value`` (or drop it)."""

    file: str
    line: int
    value: str | None


Corruption = Cell | Cells | Lines | Bytes | TomlValue

index = st.integers(min_value=0, max_value=10_000)
junk = st.one_of(st.sampled_from(JUNK), st.text(max_size=12), st.integers().map(str), st.floats().map(str))
corruptions = st.one_of(
    st.builds(Cell, st.sampled_from(CSV_FILES), index, index, junk),
    st.builds(Cells, st.sampled_from(CSV_FILES), index, st.sampled_from([-3, -1, 1, 2])),
    st.builds(
        Lines,
        st.sampled_from(FILES),
        index,
        st.sampled_from(["duplicate", "delete", "replace"]),
        st.one_of(st.sampled_from(["", ",,,", "id", "#", "[x", "a = ", "= 1"]), st.text(max_size=30)),
    ),
    st.builds(
        Bytes,
        st.sampled_from(FILES),
        index,
        st.sampled_from(["truncate", "insert", "empty", "delete", "bom", "crlf"]),
        st.sampled_from(BAD_UTF8),
    ),
    st.builds(TomlValue, st.sampled_from(TOML_FILES), index, st.one_of(st.none(), st.sampled_from(TOML_VALUES))),
)


@cache
def _original() -> dict[str, bytes]:
    return {name: (DATA / name).read_bytes() for name in FILES}


def _data_lines(lines: list[str]) -> list[int]:
    """Indices of the data rows: after the header, not comments, not blank."""
    content = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    return content[1:]


def _write_row(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().removesuffix("\n")


def corrupt(files: dict[str, bytes], corruption: Corruption) -> tuple[str, int, str] | None:
    """Apply ``corruption`` to ``files`` in place; a never-valid cell written returns (file, row, column)."""
    name = corruption.file
    if name not in files:
        return None
    if isinstance(corruption, Bytes):
        data = files[name]
        at = corruption.offset % (len(data) + 1)
        if corruption.action == "delete":
            del files[name]
        else:
            files[name] = {
                "truncate": data[:at],
                "insert": data[:at] + corruption.data + data[at:],
                "empty": b"",
                "bom": b"\xef\xbb\xbf" + data,
                "crlf": data.replace(b"\n", b"\r\n"),
            }[corruption.action]
        return None
    try:
        lines = files[name].decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    found = None
    if isinstance(corruption, Cell | Cells):
        rows = _data_lines(lines)
        if not rows or not lines[0].strip():
            return None
        at = rows[corruption.line % len(rows)]
        try:
            cells = next(csv.reader([lines[at]]))
            header = next(csv.reader([lines[0]]))
        except csv.Error:  # a huge cell written by an earlier change: the csv module refuses it
            return None
        if isinstance(corruption, Cell):
            column = corruption.column % len(header)
            cells += [""] * (len(header) - len(cells))
            cells[column] = "x" * 200_000 if corruption.value == HUGE else corruption.value
            if corruption.value in NEVER_VALID:
                found = (Path(name).name, at + 1, header[column].strip())
        elif corruption.delta > 0:
            cells += ["extra"] * corruption.delta
        else:
            cells = cells[: corruption.delta]
        lines[at] = _write_row(cells)
    elif isinstance(corruption, Lines):
        at = corruption.line % len(lines)
        if corruption.action == "duplicate":
            lines.insert(at, lines[at])
        elif corruption.action == "delete":
            del lines[at]
        else:
            lines[at] = corruption.text
    else:
        assignments = [i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
        if not assignments:
            return None
        at = assignments[corruption.line % len(assignments)]
        if corruption.value is None:
            del lines[at]
        else:
            lines[at] = lines[at].split("=", 1)[0] + "= " + corruption.value
    files[name] = "\n".join(lines).encode("utf-8", "surrogatepass")
    return found


def materialise(root: Path, files: dict[str, bytes]) -> Path:
    directory = root / uuid.uuid4().hex
    (directory / "network").mkdir(parents=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


# --------------------------------------------------------------------------- the oracle
def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def assert_well_formed(problems: list[DataProblem], directory: Path) -> None:
    names = {Path(name).name for name in FILES}
    for problem in problems:
        assert isinstance(problem, DataProblem), problem
        assert problem.file in names or problem.file == str(directory), problem
        assert problem.row is None or (isinstance(problem.row, int) and problem.row >= 1), problem
        assert problem.column is None or (isinstance(problem.column, str) and problem.column), problem
        assert problem.message.strip(), problem
        line = str(problem)
        assert "\n" not in line and "\r" not in line, repr(line)
        assert len(line) <= MAX_LINE_CHARS, line[:200]


def check_folder(directory: Path, must_report: list[tuple[str, int, str | None]]) -> list[DataProblem]:
    """Everything the loader and the CLI promise about one (possibly corrupted) folder."""
    problems = validate_corridor(directory)
    assert_well_formed(problems, directory)
    where = {(p.file, p.row, p.column) for p in problems}
    for cell in must_report:
        assert cell in where, (cell, [str(p) for p in problems])
    dataset_problems = validate_dataset(directory)
    try:
        load_dataset(directory)
    except DataValidationError as error:
        assert error.problems == dataset_problems and dataset_problems
    else:
        assert dataset_problems == []
    code, out, err = run_cli("data", "validate", str(directory))
    assert "Traceback" not in err
    if problems:
        assert code == 2, (out, err)
        lines = out.splitlines()
        assert len(lines) == 1 + len(problems), out[:2000]
        assert all(line.startswith("  ") for line in lines[1:])
    else:
        assert code == 0 and err == "", err
        assert_usable(directory)
    return problems


def assert_usable(directory: Path) -> None:
    """A folder the loader accepts must not crash the commands that use it (a value far out of range
    would overflow the travel times or the duty rules' date arithmetic)."""
    for argv in (
        ["route", "siping_depot", "changchun_depot", "--at", "07:30", "--conditions", "snow"],
        ["fleet", "list"],
        ["dispatch", "--vehicle", "c01", "--at", "G1 K78 toward Siping", "--time", "07:40", "--passengers", "40"],
    ):
        code, _, err = run_cli(
            *argv, "--data", str(directory), *(["--time-limit", "0.3"] if "dispatch" in argv else [])
        )
        assert code in (0, 2) and "Traceback" not in err, (argv, err)


@SETTINGS
@given(changes=st.lists(corruptions, min_size=1, max_size=3))
def test_a_corrupted_folder_is_loaded_or_refused_with_its_problems(tmp_path, changes):
    files = dict(_original())
    must_report = [found for change in changes if (found := corrupt(files, change)) is not None]
    if len(changes) > 1:
        must_report = []  # a later change may have overwritten or moved the cell
    check_folder(materialise(tmp_path, files), must_report)


# --------------------------------------------------------------------------- the crashes found, as examples
def _folder(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _set_cells(path: Path, column: str, values: list[str], first: int = 0) -> list[int]:
    """Write ``values`` into ``column`` of consecutive data rows; their editor rows."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    rows = _data_lines(lines)[first : first + len(values)]
    for at, value in zip(rows, values):
        cells = next(csv.reader([lines[at]]))
        cells += [""] * (len(header) - len(cells))
        cells[header.index(column)] = value
        lines[at] = _write_row(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    return [at + 1 for at in rows]


def test_three_bad_cells_in_one_column_are_three_problems(tmp_path):
    folder = _folder(tmp_path)
    rows = _set_cells(folder / "vehicles.csv", "seats", ["abc", "-5", ""])
    problems = check_folder(folder, [("vehicles.csv", row, "seats") for row in rows])
    assert len(problems) == 3, [str(p) for p in problems]


def test_a_row_with_more_cells_than_the_header_is_one_problem_at_its_row(tmp_path):
    folder = _folder(tmp_path)
    path = folder / "vehicles.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = _data_lines(lines)[4]
    lines[at] += ",extra"
    path.write_text("\n".join(lines), encoding="utf-8")
    problems = check_folder(folder, [])
    assert [(p.file, p.row) for p in problems] == [("vehicles.csv", at + 1)], [str(p) for p in problems]
    columns = len(lines[0].split(","))
    assert f"{columns + 1} cells" in problems[0].message and f"{columns} columns" in problems[0].message


@pytest.mark.parametrize("file, column", [("vehicles.csv", "note"), ("network/roads.csv", "name")])
def test_a_cell_over_the_csv_field_limit_is_named(tmp_path, file, column):
    folder = _folder(tmp_path)
    [row] = _set_cells(folder / file, column, ["x" * 200_000], first=2)
    problems = check_folder(folder, [(Path(file).name, row, column)])
    assert any(f"{MAX_CELL_CHARS:,}" in p.message for p in problems)


def test_a_nul_byte_in_a_cell_is_a_problem(tmp_path):
    folder = _folder(tmp_path)
    [row] = _set_cells(folder / "vehicles.csv", "plate", ["吉A\x00X0887"])
    check_folder(folder, [("vehicles.csv", row, "plate")])


def test_a_byte_that_is_not_utf8_is_named_at_its_cell(tmp_path):
    folder = _folder(tmp_path)
    path = folder / "drivers.csv"
    data = path.read_bytes()
    at = data.index("何庆丰".encode())
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    row = data[:at].count(b"\n") + 1
    problems = check_folder(folder, [("drivers.csv", row, "name")])
    assert len(problems) == 1


def test_a_byte_that_is_not_utf8_in_a_comment_line_is_a_problem_at_its_row(tmp_path):
    """The loader skips comments, but the oracle (and any editor) reads the file as UTF-8 text: once
    found by this fuzz as a dispatch that crashed in the oracle's reader."""
    folder = _folder(tmp_path)
    path = folder / "network" / "places.csv"
    data = path.read_bytes()
    at = data.index(b"# Places off the expressway") + 10
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    row = data[:at].count(b"\n") + 1
    (problem,) = check_folder(folder, [("places.csv", row, None)])
    assert "comment line is not UTF-8" in str(problem)


def test_crlf_line_ends_are_read_and_a_byte_order_mark_is_one_problem_per_file(tmp_path):
    folder = _folder(tmp_path)
    for name in CSV_FILES:
        path = folder / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert check_folder(folder, []) == []
    for name in CSV_FILES:
        path = folder / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    problems = check_folder(folder, [])
    assert sorted((p.file, p.row) for p in problems) == sorted((Path(name).name, 1) for name in CSV_FILES)
    assert all("byte order mark" in p.message for p in problems)


@pytest.mark.parametrize("file", TOML_FILES)
def test_an_empty_toml_file_is_a_problem(tmp_path, file):
    folder = _folder(tmp_path)
    (folder / file).write_text("# nothing here\n", encoding="utf-8")
    problems = check_folder(folder, [])
    assert any(p.file == Path(file).name for p in problems), [str(p) for p in problems]


@pytest.mark.parametrize(
    "file, old, new, key",
    [
        ("tiers.toml", "limit_min = 90", "limit_min = nan", "corridor.limit_min"),
        ("tiers.toml", "limit_min = 90", "limit_min = inf", "corridor.limit_min"),
        ("tiers.toml", "escalation_after_min = 30", "escalation_after_min = 1e400", "escalation_after_min"),
        ("policy.toml", "max_driving_7d_h = 44", "max_driving_7d_h = inf", "max_driving_7d_h"),
        ("policy.toml", "min_rest_min = 20", "min_rest_min = nan", "min_rest_min"),
        ("conditions.toml", 'description = "Clear', 'description = "\\u0000Clear', None),
        ("conditions.toml", "[ice]", '["i\\u0000ce"]', None),
    ],
)
def test_toml_numbers_that_are_not_finite_and_control_characters_are_problems(tmp_path, file, old, new, key):
    folder = _folder(tmp_path)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = check_folder(folder, [])
    assert any(p.file == file and (key is None or p.column == key) for p in problems), [str(p) for p in problems]


def test_a_toml_file_that_is_not_utf8_is_a_problem(tmp_path):
    folder = _folder(tmp_path)
    (folder / "network" / "expressway.toml").write_bytes(b"min_speed_kmh = 60 # \xff\n")
    problems = check_folder(folder, [])
    assert any(p.file == "expressway.toml" for p in problems)


def test_every_row_of_a_table_unreadable_is_not_a_crash(tmp_path):
    folder = _folder(tmp_path)
    path = folder / "network" / "roads.csv"
    count = len(_data_lines(path.read_text(encoding="utf-8").split("\n")))
    _set_cells(path, "length_m", ["long"] * count)
    problems = check_folder(folder, [])
    assert len([p for p in problems if p.column == "length_m"]) == count


# --------------------------------------------------------------------------- the command line
def test_serve_refuses_a_malformed_folder_with_one_line_per_problem(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr("api.cli_serve.serve_on", lambda *args, **kwargs: started.append(args))
    folder = _folder(tmp_path)
    rows = _set_cells(folder / "vehicles.csv", "seats", ["abc", "-5", ""])
    database = tmp_path / "db" / "x.db"
    code, out, err = run_cli("serve", "--data", str(folder), "--db", f"sqlite:///{database}")
    assert code == 2 and out == "" and not started
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 4, err  # a summary line, then one line per problem
    for row, line in zip(rows, lines[1:]):
        assert f"vehicles.csv, row {row}, column 'seats'" in line
    assert not database.exists()


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    folder = _folder(tmp_path)
    rows = _set_cells(folder / "vehicles.csv", "seats", ["abc", "-5", ""])
    _set_cells(folder / "vehicles.csv", "note", ["x" * 200_000, "a\x00b"], first=5)
    completed = subprocess.run(
        [sys.executable, "-m", "api.cli", "data", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("5 problem(s)")
    assert all(f"row {row}, column 'seats'" in " ".join(lines) for row in rows)


def test_a_real_serve_refuses_a_malformed_folder_before_it_touches_the_records(tmp_path, store_url):
    """``fleetplan serve --data`` as an operator starts it, on SQLite and on PostgreSQL: exit 2, one line
    per problem, no traceback, no port opened and no table created."""
    folder = _folder(tmp_path)
    rows = _set_cells(folder / "vehicles.csv", "seats", ["abc", "-5", ""])
    port = free_port()
    completed = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--data", str(folder), "--db", store_url, "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "FLEETPLAN_VAR_DIR": str(tmp_path / "var")},
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr and completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 4, completed.stderr
    assert all(f"vehicles.csv, row {row}, column 'seats'" in line for row, line in zip(rows, lines[1:]))
    database_file = sqlite_file(store_url)
    if database_file is not None:
        assert not database_file.exists()
        return
    engine = create_engine(store_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
