"""Each coach's latest two fixes in ``latest_positions`` (migration 0008), on both backends: kept by
every store, never overwritten by a late fix, and filled from the stored fixes on upgrade."""

from __future__ import annotations

from datetime import datetime, timedelta

from alembic import command
from sqlalchemy import insert

from fleetplan.positions import Position, PositionSource

from api.positions_log import PositionLog
from api.records.engine import WRITE_OPTION, _alembic_config, create_store_engine
from api.records.schema import positions

T0 = datetime(2026, 12, 7, 7, 40)


def fix(vehicle: str, seconds: int, lat: float = 43.49) -> Position:
    return Position(vehicle, lat, 124.84, T0 + timedelta(seconds=seconds), 80.0, 41.0, PositionSource.JSON)


def test_the_newest_and_the_one_before_are_kept_and_a_late_fix_is_only_history(store):
    log = PositionLog(store.engine)
    log.record([fix("c01", 0), fix("c02", 0)], "feed1", T0)
    log.record([fix("c01", 10, 43.50), fix("c01", 5, 43.495), fix("c02", 10)], "feed1", T0)  # two of c01 at once
    latest = log.latest()
    assert [f.at for f in latest["c01"]] == [T0 + timedelta(seconds=10), T0 + timedelta(seconds=5)]
    assert latest["c01"][0].lat == 43.50
    log.record([fix("c01", 1, 44.0)], "feed1", T0)  # arrives late: the coach is not back there
    log._latest_read_at = -float("inf")
    assert [f.at for f in log.latest()["c01"]] == [T0 + timedelta(seconds=10), T0 + timedelta(seconds=5)]
    with store.engine.connect() as connection:
        assert len(connection.execute(positions.select()).all()) == 6  # every fix stays in the history


def test_upgrading_fills_the_latest_fixes_from_those_stored(store_url):
    engine = create_store_engine(store_url)
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        command.upgrade(_alembic_config(connection), "0007")
        rows = [
            {
                "vehicle_id": v,
                "lat": 43.0 + s / 1000,
                "lon": 124.8,
                "at": T0 + timedelta(seconds=s),
                "received_at": T0,
                "speed_kmh": 50.0,
                "heading_deg": None,
                "source": "json",
                "emergency": False,
                "received_by": "feed1",
            }
            for v, s in (("c01", 0), ("c01", 20), ("c01", 10), ("c05", 3))
        ]
        connection.execute(insert(positions), rows)
        command.upgrade(_alembic_config(connection), "head")
    latest = PositionLog(engine).latest()
    assert [f.at.second for f in latest["c01"]] == [20, 10]
    assert [f.at.second for f in latest["c05"]] == [3]
    engine.dispose()
