"""Coach positions from the feeds, kept as received (issue 16 §1).

Every fix is a row of ``positions`` (migration 0006), never changed. The latest two fixes of each coach
— the second tells which way a coach on G1 goes when its heading does not — come from one windowed
query over the ``(vehicle_id, at)`` index, kept for :data:`LATEST_CACHE_S` so that a desk polling
``GET /positions`` and a dispatch reading live state do not query for every request; several service
processes each read what all of them stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from fleetplan.live import LiveFixes
from fleetplan.positions import Position, PositionSource

from api.records.schema import positions

LATEST_CACHE_S = 1.0  # a fix reaches the desk at most this much later than a fresh query would show it
LATEST_PER_COACH = 2


class PositionLog:
    """Append-only positions in the service's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[Position, ...]] = {}
        self._latest_read_at = -float("inf")

    def record(self, fixes: Iterable[Position], received_by: str, received_at: datetime) -> int:
        """Store ``fixes`` in one transaction; returns how many."""
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
                "received_by": received_by,
            }
            for fix in fixes
        ]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(insert(positions), rows)
            with self._lock:
                self._latest_read_at = -float("inf")  # this process's own fixes show at once
        return len(rows)

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

    def recent(self, since: datetime) -> dict[str, tuple[Position, ...]]:
        """Coach id → its fixes taken at or after ``since``, newest first (for detection)."""
        query = (
            select(positions)
            .where(positions.c.at >= since)
            .order_by(positions.c.vehicle_id, positions.c.at.desc(), positions.c.id.desc())
        )
        recent: dict[str, list[Position]] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                recent.setdefault(row["vehicle_id"], []).append(_position(row))
        return {vehicle_id: tuple(fixes) for vehicle_id, fixes in recent.items()}

    def _read_latest(self) -> dict[str, tuple[Position, ...]]:
        rank = func.row_number().over(
            partition_by=positions.c.vehicle_id, order_by=(positions.c.at.desc(), positions.c.id.desc())
        )
        ranked = select(positions, rank.label("rank")).subquery()
        query = select(ranked).where(ranked.c.rank <= LATEST_PER_COACH).order_by(ranked.c.vehicle_id, ranked.c.rank)
        latest: dict[str, list[Position]] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(query).mappings():
                latest.setdefault(row["vehicle_id"], []).append(_position(row))
        return {vehicle_id: tuple(fixes) for vehicle_id, fixes in latest.items()}


def _position(row: Any) -> Position:
    return Position(
        vehicle_id=row["vehicle_id"],
        lat=row["lat"],
        lon=row["lon"],
        at=row["at"],
        speed_kmh=row["speed_kmh"],
        heading_deg=row["heading_deg"],
        source=PositionSource(row["source"]),
        emergency=bool(row["emergency"]),
    )
