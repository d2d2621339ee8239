"""The desk's record questions as the records grow (issue 18 §5): every report asks which incidents
are open (who broke down where, who is booked, whom to plan it with); a desk that has run for years
holds thousands of closed incidents beside the few open ones.

Fills a fresh SQLite store with ``--incidents`` closed incidents (each reported, given about 60 KB of
options, voided) and ``--open`` open ones, then times each question ``--repeats`` times:

- the open incidents without their entries (``incident_heads``, the desk's partners and list);
- the coaches broken down in an open incident (:func:`api.desk.availability.broken_down`);
- the booked incidents with their entries (``incidents``, for the crews of accepted joint plans);
- the active bookings.

Run: ``python -m bench.record_growth [--incidents 300,3000] [--open 20] [--repeats 20]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from api.desk.availability import broken_down
from api.desk.warnings import OPEN_LIMIT
from api.records import EntryKind, SqlRecordStore, open_store
from api.records.lifecycle import BOOKED_STATUSES
from api.records.usability import OPEN_STATUSES

from bench import header, load_average, markdown_table

OPTIONS_PAYLOAD = {"plans": [{"note": "x" * 200, "stops": list(range(50))} for _ in range(150)]}  # ≈60 KB
FIRST_REPORT = datetime(2026, 1, 1, 7, 0)


def fill(store: SqlRecordStore, closed: int, still_open: int) -> None:
    """``closed`` voided incidents, then ``still_open`` with their options, 20 minutes apart."""
    for index in range(closed + still_open):
        report = {"vehicle_id": f"c{index % 40 + 1:02d}", "kind": "breakdown", "passengers": 30}
        record, _ = store.report(report, FIRST_REPORT + timedelta(minutes=20 * index), "bench", None)
        store.append(record.number, EntryKind.OPTIONS, "bench", OPTIONS_PAYLOAD)
        if index < closed:
            store.append(record.number, EntryKind.VOID, "bench", {"reason": "bench"})


def questions(store: SqlRecordStore) -> dict[str, Callable[[], Sequence]]:
    return {
        "open incidents (heads)": lambda: store.incident_heads(set(OPEN_STATUSES), limit=OPEN_LIMIT),
        "broken down in an open incident": lambda: list(broken_down(store, None, None).items()),
        "booked incidents (records)": lambda: store.incidents(set(BOOKED_STATUSES), limit=OPEN_LIMIT),
        "active bookings": store.bookings,
    }


def measure(closed: int, still_open: int, repeats: int) -> list[list[object]]:
    with tempfile.TemporaryDirectory() as directory, open_store(f"sqlite:///{Path(directory) / 'r.db'}") as store:
        started = time.perf_counter()
        fill(store, closed, still_open)
        filled_s = time.perf_counter() - started
        rows = []
        for name, ask in questions(store).items():
            found = ask()  # warm: the first read also loads the pages
            started = time.perf_counter()
            for _ in range(repeats):
                ask()
            rows.append([closed + still_open, name, len(found), 1000 * (time.perf_counter() - started) / repeats])
        rows.append([closed + still_open, "(filling the store, s)", "", filled_s])
        return rows


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", default="300,3000", help="incidents on record, a comma list (default 300,3000)")
    parser.add_argument("--open", type=int, default=20, help="of which still open (default 20)")
    parser.add_argument("--repeats", type=int, default=20, help="times each question is asked (default 20)")
    args = parser.parse_args(argv)
    load_at_start = load_average()
    rows = [
        row
        for total in (int(value) for value in args.incidents.split(","))
        for row in measure(max(0, total - args.open), min(args.open, total), args.repeats)
    ]
    text = "\n".join(
        [
            header("The desk's record questions as the records grow (SQLite)", load_at_start),
            markdown_table(["incidents on record", "question", "rows", "ms per question"], rows),
        ]
    )
    print(text)
    return text


if __name__ == "__main__":
    main()
