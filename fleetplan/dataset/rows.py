"""Rows of the CSV tables: validated frames as plain dicts, and the id columns as written.

The validated frames drop broken rows; the raw columns keep them, so that a reference to an id whose
own row is broken is told apart from an unknown id (the broken row is already reported).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with ``None`` for empty cells (pandas uses NaN)."""
    if frame.empty:
        return []
    # into=dict is pandas' default, spelled out so that the stubs type the rows as plain dicts (their keys,
    # the column names, are text: the tables read every header as a string)
    return [
        {key: (None if _is_missing(value) else value) for key, value in record.items()}
        for record in frame.to_dict("records", into=dict)
    ]


def _is_missing(value: Any) -> bool:
    return not isinstance(value, (str, list, tuple)) and bool(pd.isna(value))


@dataclass(frozen=True)
class RawTables:
    """Values of the id columns as written, broken rows included, to tell an unknown id from an
    id whose row is already reported. ``None`` when the file or column is missing."""

    directory: Path

    def values(self, file: str, column: str) -> list[str] | None:
        return _raw_column(self.directory / file, column)

    def known(self, file: str, column: str = "id") -> set[str] | None:
        values = self.values(file, column)
        return None if values is None else set(values)


# --------------------------------------------------------------------------- raw CSV reading
def _raw_table(path: Path) -> tuple[list[str], list[list[str]]] | None:
    """Header and rows of a CSV as written, comment lines skipped; ``None`` if it cannot be read."""
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    kept = [line for number, line in enumerate(lines) if number == 0 or not line.lstrip().startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(kept)))
    header = [name.strip() for name in next(reader, [])]
    return header, [cells for cells in reader if cells]


def _raw_column(path: Path, column: str) -> list[str] | None:
    """The non-empty values of ``column`` as written; ``None`` if the file or column is unusable."""
    table = _raw_table(path)
    if table is None or column not in table[0]:
        return None
    index = table[0].index(column)
    return [cells[index].strip() for cells in table[1] if len(cells) > index and cells[index].strip()]
