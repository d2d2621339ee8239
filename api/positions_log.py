"""Coach positions from the feeds, kept as received (issue 16 §1).

Every fix is a row of ``positions`` (migration 0006), never changed. The latest two fixes of each coach
— the second tells which way a coach on G1 goes when its heading does not — are kept up to date in
``latest_positions`` (migration 0008) in the same transaction, and read from there, kept for
:data:`LATEST_CACHE_S` so that a desk polling
``GET /positions`` and a dispatch reading live state do not query for every request; several service
processes each read what all of them stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from fleetplan.live import LiveFixes
from fleetplan.positions import Position, PositionSource

from api.records.schema import latest_positions, positions

LATEST_CACHE_S = 1.0  # a fix reaches the desk at most this much later than a fresh query would show it
LATEST_PER_COACH = 2


class PositionLog:
    """Append-only positions in the service's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[Position, ...]] = {}
        self._latest_read_at = -float("inf")

    def record(self, fixes: Iterable[Position], received_by: str | Sequence[str], received_at: datetime) -> int:
        """Store ``fixes`` in one transaction, received by one feed user or each by its own; how many."""
        fixes = list(fixes)
        senders = [received_by] * len(fixes) if isinstance(received_by, str) else list(received_by)
        rows = [
            {
                "vehicle_id": fix.vehicle_id,
                "lat": fix.lat,
                "lon": fix.lon,
                "at": fix.at,
                "received_at": received_at,
                "speed_kmh": fix.speed_kmh,
                "heading_deg": fix.heading_deg,
                "source": fix.source.value,
                "emergency": fix.emergency,
                "received_by": sender,
            }
            for fix, sender in zip(fixes, senders, strict=True)
        ]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(insert(positions), rows)
                for batch in _rounds(rows):  # a coach at most once per statement (PostgreSQL's rule)
                    connection.execute(self._upsert_latest, [_latest_row(row) for row in batch])
            self._merge_latest(fixes)
        return len(rows)

    def _merge_latest(self, fixes: list[Position]) -> None:
        """This process's own fixes show at once: merged into the cached latest (copied, not changed
        under a reader) rather than re-reading every coach after every write."""
        with self._lock:
            if self._latest_read_at == -float("inf"):
                return  # nothing cached yet: the first read finds them
            latest = dict(self._latest)
            for fix in sorted(fixes, key=lambda f: f.at):
                held = latest.get(fix.vehicle_id)
                if held is None:
                    latest[fix.vehicle_id] = (fix,)
                elif fix.at >= held[0].at:
                    latest[fix.vehicle_id] = (fix, held[0])
            self._latest = latest

    def latest(self) -> dict[str, tuple[Position, ...]]:
        """Coach id → its latest fixes, newest first (at most :data:`LATEST_PER_COACH`)."""
        with self._lock:
            if time.monotonic() - self._latest_read_at < LATEST_CACHE_S:
                return self._latest
        latest = self._read_latest()
        with self._lock:
            self._latest, self._latest_read_at = latest, time.monotonic()
        return latest

    def as_fixes(self, fresh_s: float) -> LiveFixes:
        """The latest fixes as dispatch reads them: fresh for ``fresh_s`` seconds."""
        return LiveFixes(self.latest(), fresh_s)

    def recent(self, since: datetime, vehicle_ids: Iterable[str] | None = None) -> dict[str, tuple[Position, ...]]:
        """Coach id → its fixes taken at or after ``since`` (of ``vehicle_ids`` only, if given), newest first."""
        query = (
            select(positions)
            .where(positions.c.at >= since)
            .order_by(positions.c.vehicle_id, positions.c.at.desc(), positions.c.id.desc())
        )
        if vehicle_ids is not None:
            query = query.where(positions.c.vehicle_id.in_(sorted(set(vehicle_ids))))
        recent: dict[str, list[Position]] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                recent.setdefault(row["vehicle_id"], []).append(_position(row))
        return {vehicle_id: tuple(fixes) for vehicle_id, fixes in recent.items()}

    def stored_after(self, last_id: int, since: datetime) -> tuple[int, list[Position]]:
        """The fixes stored after row ``last_id`` and taken at or after ``since``, in the order stored,
        and the last row's id (``last_id`` when there is none): what a reader that keeps up needs."""
        query = select(positions).where(positions.c.id > last_id, positions.c.at >= since).order_by(positions.c.id)
        found = []
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                last_id = row["id"]
                found.append(_position(row))
        return last_id, found

    def _read_latest(self) -> dict[str, tuple[Position, ...]]:
        latest: dict[str, tuple[Position, ...]] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(select(latest_positions)).mappings():
                newest = _position(row)
                previous = _position(row, "prev_") if row["prev_at"] is not None else None
                latest[newest.vehicle_id] = (newest,) if previous is None else (newest, previous)
        return dict(sorted(latest.items()))

    @cached_property
    def _upsert_latest(self) -> Any:
        """Insert a coach's row, or make the fix its newest and the newest its previous — unless the
        fix is older than the newest (a late fix is history, not the coach's place)."""
        dialect = self.engine.dialect.name
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(latest_positions)
        target = latest_positions.c
        moved = {f"prev_{name}": target[name] for name in FIX_FIELDS}
        newest = {name: statement.excluded[name] for name in FIX_FIELDS}
        return statement.on_conflict_do_update(
            index_elements=[target.vehicle_id], set_={**moved, **newest}, where=statement.excluded.at >= target.at
        )


FIX_FIELDS = ("lat", "lon", "at", "speed_kmh", "heading_deg", "source", "emergency")


def _latest_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"vehicle_id": row["vehicle_id"], **{name: row[name] for name in FIX_FIELDS}}


def _rounds(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``rows`` in time order, split so that no coach appears twice in one round."""
    rounds: list[list[dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["at"]):
        index = seen.get(row["vehicle_id"], -1) + 1
        seen[row["vehicle_id"]] = index
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(row)
    return rounds


def _position(row: Any, prefix: str = "") -> Position:
    return Position(
        vehicle_id=row["vehicle_id"],
        lat=row[f"{prefix}lat"],
        lon=row[f"{prefix}lon"],
        at=row[f"{prefix}at"],
        speed_kmh=row[f"{prefix}speed_kmh"],
        heading_deg=row[f"{prefix}heading_deg"],
        source=PositionSource(row[f"{prefix}source"]),
        emergency=bool(row[f"{prefix}emergency"]),
    )
