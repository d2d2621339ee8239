"""Rows of the CSV tables: validated frames as plain dicts, and the id columns as written.

The validated frames drop broken rows; the raw columns keep them, so that a reference to an id whose
own row is broken is told apart from an unknown id (the broken row is already reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fleetplan.tables import read_cells


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
def _raw_column(path: Path, column: str) -> list[str] | None:
    """The non-empty values of ``column`` as written; ``None`` if the file or column is unusable."""
    cells, _ = read_cells(path)  # the problems are reported when the table itself is read
    if cells is None or column not in cells.columns:
        return None
    return cells.values(column)
