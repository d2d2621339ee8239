"""Fixed-width text tables for the command line's text output, lined up in English and Chinese."""

from __future__ import annotations

import unicodedata
from typing import Any


def table(rows: list[dict[str, Any]], columns: list[str], headers: list[str] | None = None) -> str:
    """A fixed-width text table of ``rows`` showing ``columns`` (headed by ``headers``, default the
    column names)."""
    headers = headers or columns
    cells = [[str(row.get(column, "")) for column in columns] for row in rows]
    widths = [max([shown_width(header)] + [shown_width(line[i]) for line in cells]) for i, header in enumerate(headers)]

    def line_of(values: list[str]) -> str:
        return "  ".join(value + " " * (width - shown_width(value)) for value, width in zip(values, widths)).rstrip()

    return "\n".join([line_of(headers), line_of(["-" * w for w in widths])] + [line_of(line) for line in cells])


def shown_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character takes two (the tables lined up only in
    English)."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)
