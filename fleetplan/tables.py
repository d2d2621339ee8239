"""Reading CSV tables with pandera schemas, reporting *every* problem with file, row and column.

Rows are numbered as a person sees them in an editor or a spreadsheet (the file's line numbers): with
no comment above it the header is row 1 and the first data row is row 2. Lines starting with ``#``
are comments (used to label invented data), allowed anywhere, and keep their row numbers.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from fleetplan.errors import DataProblem


def read_table(path: Path, schema: pa.DataFrameSchema) -> tuple[pd.DataFrame, list[DataProblem]]:
    """Read ``path`` and validate it against ``schema`` lazily.

    Returns the typed frame of valid rows and the list of problems; never raises for bad content (a
    missing, empty, non-UTF-8 or unparseable file is a file-level problem; a header without rows is an
    empty table). Each bad cell is reported once: cells are first converted one by one to the column's
    type, then the schema's checks run on what converted. Unknown columns are reported too (usually a
    misspelt optional column). The frame gets a ``_row`` column with file rows.
    """
    label = path.name
    if not path.is_file():
        return pd.DataFrame(), [DataProblem(label, None, None, "file is missing")]
    try:
        raw, rows = _read_raw(path)
    except UnicodeDecodeError:
        return pd.DataFrame(), [DataProblem(label, None, None, "cannot be read: it is not UTF-8 text")]
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), [DataProblem(label, None, None, "file is empty: it needs a header row")]
    except pd.errors.ParserError as error:
        return pd.DataFrame(), [DataProblem(label, None, None, f"cannot be read as CSV: {error}")]
    header_row = rows.pop(HEADER_KEY)
    unknown = [
        DataProblem(label, header_row, name, f"unknown column; expected {', '.join(schema.columns)}")
        for name in raw.columns
        if name not in schema.columns
    ]
    missing = [name for name, column in schema.columns.items() if name not in raw.columns and column.required]
    if missing:
        return pd.DataFrame(), [DataProblem(label, header_row, name, "column is missing") for name in missing] + unknown
    if raw.empty:
        return pd.DataFrame(columns=[*raw.columns, "_row"]), unknown
    raw = raw.astype(object).where(raw != "", None)
    unconvertible = _unconvertible_cells(raw, schema)
    problems = [
        DataProblem(
            label,
            rows[index],
            column,
            f"cannot be read as {_type_name(schema, column)} (value {raw.at[index, column]!r})",
        )
        for index, column in unconvertible
    ]
    bad_rows = sorted({index for index, _ in unconvertible})
    good, good_problems = _check(raw.drop(index=bad_rows), schema, label, rows)
    problems += good_problems
    for index in bad_rows:  # still check the other cells of a row with an unreadable cell
        failed = [column for row, column in unconvertible if row == index]
        _, row_problems = _check(raw.loc[[index]].drop(columns=failed), schema.remove_columns(failed), label, rows)
        problems += [p for p in row_problems if "unique" not in p.message]
    good = good.copy()
    good["_row"] = [rows[i] for i in good.index]
    return good, unknown + sorted(set(problems), key=lambda p: (p.row or 0, p.column or "", p.message))


def _unconvertible_cells(raw: pd.DataFrame, schema: pa.DataFrameSchema) -> list[tuple[int, str]]:
    cells = []
    for name, column in schema.columns.items():
        if name not in raw.columns or not column.coerce or column.dtype is None:
            continue
        for index, cell in raw[name].items():
            if cell is None:
                continue
            try:
                column.dtype.try_coerce(pd.Series([cell]))
            except Exception:  # pandera raises its own parser errors; any failure means unreadable
                cells.append((index, name))
    return cells


def _check(
    frame: pd.DataFrame, schema: pa.DataFrameSchema, label: str, rows: dict[int, int]
) -> tuple[pd.DataFrame, list[DataProblem]]:
    """Validate lazily; return the valid rows and the problems of the others."""
    if frame.empty:
        return schema.validate(frame.iloc[0:0], lazy=True) if len(frame.columns) else frame, []
    try:
        return schema.validate(frame, lazy=True), []
    except SchemaErrors as errors:
        problems = _problems_from(errors.failure_cases, label, rows)
        bad = {int(i) for i in errors.failure_cases["index"].dropna()}
        kept = frame.drop(index=list(bad))
        return (schema.validate(kept, lazy=True) if not kept.empty else kept), problems


def _type_name(schema: pa.DataFrameSchema, column: str) -> str:
    return {
        "int64": "a whole number",
        "float64": "a number",
        "bool": "true/false",
        "datetime64[ns]": "a date/time",
    }.get(str(schema.columns[column].dtype), str(schema.columns[column].dtype))


HEADER_KEY = -1  # key of the header's row number in the row map


def _read_raw(path: Path) -> tuple[pd.DataFrame, dict[int, int]]:
    """All cells as strings with comment lines skipped (also before the header), plus a map from
    frame index to file row; the header's row is under ``HEADER_KEY``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    content = [
        number for number, line in enumerate(lines, start=1) if line.strip() and not line.lstrip().startswith("#")
    ]
    if not content:
        raise pd.errors.EmptyDataError("no header")
    header_row, data_rows = content[0], content[1:]
    text = "\n".join(lines[number - 1] for number in content)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [str(column).strip() for column in frame.columns]
    frame = frame.apply(lambda column: column.str.strip()) if not frame.empty else frame
    return frame, {HEADER_KEY: header_row, **dict(enumerate(data_rows))}


def _problems_from(cases: pd.DataFrame, label: str, rows: dict[int, int]) -> list[DataProblem]:
    problems = []
    # the columns zipped, as itertuples does: the stubs type its rows as plain tuples, whose .index is the method
    for case_index, case_column, failure_case, check in zip(
        cases["index"], cases["column"], cases["failure_case"], cases["check"]
    ):
        index = None if pd.isna(case_index) else int(case_index)
        column = None if pd.isna(case_column) else str(case_column)
        value = "" if pd.isna(failure_case) else f" (value {failure_case!r})"
        problems.append(
            DataProblem(
                label, rows.get(index) if index is not None else None, column, f"{_describe(str(check))}{value}"
            )
        )
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))


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
