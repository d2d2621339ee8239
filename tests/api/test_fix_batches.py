"""Reports from many terminals stored together (api/feeds/fix_batches.py): each answered for its own fix,
each row naming its own terminal, one refused without taking the others with it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from fleetplan.corridor import load_corridor
from fleetplan.positions import PositionSource
from fleetplan.units import CHINA, china_now

from api.desk.times import TimeRules
from api.feeds.fix_batches import FixBatches
from api.feeds.intake import RawFix
from api.positions_log import PositionLog
from api.records.schema import positions
from api.settings import Settings


def test_a_moment_s_reports_share_a_transaction_and_keep_their_own_answers(store):
    corridor = load_corridor()
    rules = TimeRules.from_settings(Settings(), corridor.dataset)
    log = PositionLog(store.engine)
    batches = FixBatches(lambda: corridor, rules, log, PositionSource.JT808)
    now = china_now().replace(tzinfo=CHINA)
    coaches = [v.id for v in corridor.dataset.vehicles[:20]]
    fixes = [RawFix(coach, 43.49, 124.84, now - timedelta(seconds=5), 80.0, 41.0) for coach in coaches]
    fixes[7] = RawFix(coaches[7], 43.49, 124.84, now + timedelta(hours=2), 80.0, 41.0)  # ahead of the clock

    async def report_all():
        return await asyncio.gather(*(batches.store(fix, f"jt808:{k:04d}") for k, fix in enumerate(fixes)))

    answers = asyncio.run(report_all())
    assert [answer is None for answer in answers] == [k != 7 for k in range(20)]
    assert answers[7].field == "at"
    with store.engine.connect() as connection:
        rows = connection.execute(select(positions.c.vehicle_id, positions.c.received_by)).all()
    assert sorted(rows) == sorted((coaches[k], f"jt808:{k:04d}") for k in range(20) if k != 7)
