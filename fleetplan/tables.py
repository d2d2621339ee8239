"""Reading CSV tables with pandera schemas, reporting *every* problem with file, row and column.

Rows are numbered as a person sees them in an editor or a spreadsheet (the file's line numbers): with
no comment above it the header is row 1 and the first data row is row 2. Lines starting with ``#``
are comments (used to label invented data), allowed anywhere, and keep their row numbers. CRLF line
ends are read as well; a byte order mark (a spreadsheet's "CSV UTF-8") is a problem, since the
independent oracle (:mod:`fleetplan.oracle`) reads the same files as plain UTF-8.

Nothing in a file makes reading raise: a missing, oversized, empty or unparseable file is a file-level
problem; a row with more cells than the header is a problem of that row; a cell that is not UTF-8
text, holds a control character (a NUL byte, a line break) or is longer than :data:`MAX_CELL_CHARS`
is a problem of that cell, as is a cell that cannot be read as its column's type or fails its check.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from fleetplan.errors import DataProblem

MAX_TABLE_BYTES = 16 * 1024 * 1024  # the corridor's tables are kilobytes; more is not a data table
MAX_CELL_CHARS = 1_000  # a cell is an id, a number, a date, a name or a short note
SHOWN_CHARS = 60  # how much of a bad value a problem quotes

# Runs without a delimiter, quote or line break longer than a cell may be are cut before the csv
# module sees them (it refuses fields over 131,072 characters): the cut keeps every cell boundary,
# and the cell is still too long, so it is reported with its row and column.
_LONG_RUN = re.compile(rf'[^,"\r\n]{{{MAX_CELL_CHARS + 2},}}')
_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def shown(value: Any) -> str:
    """``value`` quoted for a problem message, cut to a readable length (control characters escaped)."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[: SHOWN_CHARS - 1]}… ({len(value) if isinstance(value, str) else len(text)} characters)"


def clip(text: str) -> str:
    """``text`` cut to a readable length for a problem message."""
    return text if len(text) <= SHOWN_CHARS else f"{text[: SHOWN_CHARS - 1]}…"


@dataclass(frozen=True)
class CsvCells:
    """A CSV file's cells as written (stripped), before any schema.

    ``rows`` are as long as the header (short rows padded with empty cells, extra cells cut);
    ``row_numbers`` are their editor rows. ``columns`` maps each usable column name to its position
    (a column without a name, with a bad name or repeated is not usable). ``ragged`` holds the rows
    with more cells than the header and ``bad_text`` the cells whose text is unusable, by (row
    position, column name); both are already reported in the problems :func:`read_cells` returns.
    """

    header_row: int
    columns: dict[str, int]
    rows: list[list[str]]
    row_numbers: list[int]
    ragged: frozenset[int]
    bad_text: frozenset[tuple[int, str]]

    def values(self, column: str) -> list[str]:
        """The non-empty cells of ``column`` in every row, broken rows included (not unusable text)."""
        position = self.columns[column]
        return [cells[position] for cells in self.rows if cells[position] and not _text_fault(cells[position])]


def read_cells(path: Path) -> tuple[CsvCells | None, list[DataProblem]]:
    """Read the cells of the CSV file ``path`` and the problems of its text.

    Returns ``None`` (with a file-level problem) when the file is missing, too large, empty or cannot
    be parsed as CSV; otherwise the cells, with problems for bad header names, rows with more cells
    than the header, and cells that are not UTF-8, hold control characters or are too long.
    """
    label = path.name
    if not path.is_file():
        return None, [DataProblem(label, None, None, "file is missing")]
    try:
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            return None, [DataProblem(label, None, None, f"is {size:,} bytes; a table may have {MAX_TABLE_BYTES:,}")]
        # undecodable bytes become lone surrogates, reported with their cell below
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as error:
        return None, [DataProblem(label, None, None, f"cannot be read: {error.strerror or error}")]
    problems = []
    if text.startswith("\ufeff"):  # reported, then read past, so that the rest is checked too
        problems.append(DataProblem(label, 1, None, "starts with a byte order mark: save it as UTF-8 without one"))
        text = text.removeprefix("\ufeff")
    problems += _undecodable_comments(label, text)
    numbers: list[int] = []
    reader = csv.reader(_content_lines(text, numbers))
    records: list[tuple[int, list[str]]] = []
    while True:
        consumed = len(numbers)
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            row = numbers[consumed] if consumed < len(numbers) else None
            return None, [DataProblem(label, row, None, f"cannot be read as CSV: {error}")]
        records.append((numbers[consumed], [cell.strip() for cell in cells]))
    if not records:
        return None, [DataProblem(label, None, None, "file is empty: it needs a header row")]
    (header_row, header), body = records[0], records[1:]
    columns, found = _header(label, header_row, header)
    problems += found
    rows, row_numbers, ragged, bad_text = [], [], set(), set()
    for position, (row, cells) in enumerate(body):
        extra = [cell for cell in cells[len(header) :] if cell]
        if extra:
            ragged.add(position)
            problems.append(
                DataProblem(
                    label,
                    row,
                    None,
                    f"has {len(cells)} cells but the header has {len(header)} "
                    "columns (a comma inside a cell needs the cell in double quotes)",
                )
            )
        cells = (cells + [""] * len(header))[: len(header)]
        for name, index in columns.items():
            fault = _text_fault(cells[index])
            if fault and position not in ragged:
                bad_text.add((position, name))
                problems.append(DataProblem(label, row, name, fault))
        rows.append(cells)
        row_numbers.append(row)
    return CsvCells(header_row, columns, rows, row_numbers, frozenset(ragged), frozenset(bad_text)), problems


def _content_lines(text: str, numbers: list[int]) -> Iterator[str]:
    """The lines the csv module parses (comments and blank lines skipped), their numbers in ``numbers``."""
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):  # \n, \r\n and \r only
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        numbers.append(number)
        yield _LONG_RUN.sub(lambda run: run.group()[: MAX_CELL_CHARS + 1], line)


def _undecodable_comments(label: str, text: str) -> list[DataProblem]:
    """Comment lines that are not UTF-8: skipped by the loader, but the file is not UTF-8 text, which
    every other reader of it (the oracle, an editor) expects."""
    return [
        DataProblem(label, number, None, f"comment line is not UTF-8 text (byte 0x{ord(bad[0]) - 0xDC00:02x})")
        for number, line in enumerate(io.StringIO(text, newline=None), start=1)
        if line.lstrip().startswith("#") and (bad := [c for c in line if "\udc80" <= c <= "\udcff"])
    ]


def _header(label: str, row: int, header: list[str]) -> tuple[dict[str, int], list[DataProblem]]:
    columns: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        fault = "has no name" if not name else _text_fault(name)
        if fault:
            problems.append(DataProblem(label, row, None, f"column {index + 1} of the header {fault}"))
        elif name in columns:
            problems.append(
                DataProblem(label, row, name, f"column is repeated (columns {columns[name] + 1} and {index + 1})")
            )
        else:
            columns[name] = index
    return columns, problems


def _text_fault(cell: str) -> str | None:
    """What makes ``cell`` unusable as text, if anything."""
    if len(cell) > MAX_CELL_CHARS:
        return f"is longer than {MAX_CELL_CHARS:,} characters"
    for character in cell:
        if "\udc80" <= character <= "\udcff":
            return f"is not UTF-8 text (byte 0x{ord(character) - 0xDC00:02x}, value {shown(cell)})"
        if unicodedata.category(character) == "Cc":
            return f"contains the control character U+{ord(character):04X} (value {shown(cell)})"
    return None


# --------------------------------------------------------------------------- the schema
def read_table(path: Path, schema: pa.DataFrameSchema) -> tuple[pd.DataFrame, list[DataProblem]]:
    """Read ``path`` and validate it against ``schema`` lazily.

    Returns the typed frame of valid rows and the list of problems; never raises for bad content (see
    the module docstring; a header without rows is an empty table). Each bad cell is reported once:
    cells are first read one by one (empty, not a number of the column's type), then the schema's
    checks run on what was read. Unknown columns are reported too (usually a misspelt optional
    column). The frame has the schema's columns and a ``_row`` column with file rows; it has no
    columns at all when the file is unusable.
    """
    label = path.name
    cells, problems = read_cells(path)
    if cells is None:
        return pd.DataFrame(), problems
    unknown = [
        DataProblem(label, cells.header_row, name, f"unknown column; expected {', '.join(schema.columns)}")
        for name in cells.columns
        if name not in schema.columns
    ]
    missing = [name for name, column in schema.columns.items() if name not in cells.columns and column.required]
    if missing:
        problems += [DataProblem(label, cells.header_row, name, "column is missing") for name in missing]
        return pd.DataFrame(), _sorted(problems + unknown)
    names = [name for name in schema.columns if name in cells.columns]
    kept = [position for position in range(len(cells.rows)) if position not in cells.ragged]
    raw = pd.DataFrame(
        {name: [cells.rows[p][cells.columns[name]] or None for p in kept] for name in names},
        index=kept,
        columns=names,
        dtype=object,
    )
    rows = dict(enumerate(cells.row_numbers))
    unreadable = [(p, name) for p, name in cells.bad_text if name in schema.columns]
    for index, name, fault in _cell_faults(raw, schema, set(unreadable)):
        unreadable.append((index, name))
        problems.append(DataProblem(label, rows[index], name, fault))
    bad_rows = sorted({index for index, _ in unreadable})
    good, found = _check(raw.drop(index=bad_rows), schema, label, rows)
    problems += found
    for index in bad_rows:  # still check the other cells of a row with an unreadable cell
        failed = sorted({name for row, name in unreadable if row == index})
        _, row_problems = _check(raw.loc[[index]].drop(columns=failed), schema.remove_columns(failed), label, rows)
        problems += [p for p in row_problems if "unique" not in p.message]
    good = good.copy()
    good["_row"] = [rows[i] for i in good.index]
    return good, unknown + _sorted(problems)


def _sorted(problems: list[DataProblem]) -> list[DataProblem]:
    return sorted(set(problems), key=lambda p: (p.row or 0, p.column or "", p.message))


def _cell_faults(
    raw: pd.DataFrame, schema: pa.DataFrameSchema, known: set[tuple[int, str]]
) -> Iterator[tuple[int, str, str]]:
    """Cells that are empty in a column that needs a value, or cannot be read as the column's type."""
    for name in raw.columns:
        column = schema.columns[name]
        kind = str(column.dtype)
        for index, cell in zip(raw.index.tolist(), raw[name].tolist()):  # the index: row positions (int)
            if (index, name) in known:
                continue
            if cell is None:
                if not column.nullable:
                    yield index, name, "must not be empty"
                continue
            if kind in NUMBER_KINDS:
                fault = _number_fault(cell, whole=kind.startswith("int"))
                if fault:
                    yield index, name, f"{fault} (value {shown(cell)})"
            elif column.coerce and column.dtype is not None:
                try:
                    column.dtype.try_coerce(pd.Series([cell]))
                except Exception:  # pandera raises its own parser errors; any failure means unreadable
                    yield index, name, f"cannot be read as {_type_name(schema, name)} (value {shown(cell)})"


NUMBER_KINDS = ("int64", "float64")


def _number_fault(text: str, whole: bool) -> str | None:
    """Numbers are written with ASCII digits; a whole number fits 64 bits, a number is finite."""
    if whole:
        if not _WHOLE.fullmatch(text):
            return "cannot be read as a whole number"
        return None if abs(int(text)) < 2**63 else "is too large"
    if not _DECIMAL.fullmatch(text):
        return "cannot be read as a number"
    return None if math.isfinite(float(text)) else "is too large"


def _check(
    frame: pd.DataFrame, schema: pa.DataFrameSchema, label: str, rows: dict[int, int]
) -> tuple[pd.DataFrame, list[DataProblem]]:
    """Validate lazily; return the valid rows and the problems of the others.

    A failing row is dropped and the rest validated again until it passes: a check that fails on a
    whole column (no row named) is usually caused by a row already dropped, so it is reported only
    when it still fails on rows that pass everything else.
    """
    problems: list[DataProblem] = []
    while not frame.empty and len(frame.columns):
        try:
            return schema.validate(frame, lazy=True), problems
        except SchemaErrors as errors:
            cases = errors.failure_cases
            located = cases[cases["index"].notna()]
            if located.empty:
                return frame.iloc[0:0], problems + _problems_from(cases, label, rows)
            problems += _problems_from(located, label, rows)
            frame = frame.drop(index=sorted({int(index) for index in located["index"]}))
    return frame, problems


def _type_name(schema: pa.DataFrameSchema, column: str) -> str:
    return {
        "int64": "a whole number",
        "float64": "a number",
        "bool": "true/false",
        "datetime64[ns]": "a date/time",
    }.get(str(schema.columns[column].dtype), str(schema.columns[column].dtype))


def _problems_from(cases: pd.DataFrame, label: str, rows: dict[int, int]) -> list[DataProblem]:
    problems = []
    # the columns zipped, as itertuples does: the stubs type its rows as plain tuples, whose .index is the method
    for case_index, case_column, failure_case, check in zip(
        cases["index"], cases["column"], cases["failure_case"], cases["check"]
    ):
        index = None if pd.isna(case_index) else int(case_index)
        column = None if pd.isna(case_column) else str(case_column)
        value = "" if _is_missing(failure_case) else f" (value {shown(failure_case)})"
        problems.append(
            DataProblem(
                label, rows.get(index) if index is not None else None, column, f"{_describe(str(check))}{value}"
            )
        )
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: not a single missing value
        return False


def _describe(check: str) -> str:
    """Turn pandera's check names into plain words; a check's own ``error`` text ("must …") is kept."""
    if check.startswith("must"):
        return check
    if check.startswith("isin("):
        return "must be one of " + check.removeprefix("isin([").removesuffix("])").replace("'", "")
    if check.startswith("coerce_dtype"):
        return "cannot be read as " + check.removeprefix("coerce_dtype(").rstrip(")").strip("'")
    if check == "not_nullable":
        return "must not be empty"
    if check == "field_uniqueness":
        return "must be unique"
    return f"fails check {check}"
