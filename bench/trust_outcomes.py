"""Outcomes a dispatcher can trust, per seeded incident: the best plan's passengers reached in time, late
and not reached, covers run outside the driver's shift (judged from ``drivers.csv`` alone), and the
problems the dispatch path found (the evaluator's and the independent oracle's) over every plan.

One JSON line per incident, then with ``--summary`` one line of totals. It only uses ``dispatch`` and
the plan's fields, so the same file runs in an older checkout for a before/after comparison (issue 14)::

    python -m bench.trust_outcomes --incidents 200 --seed 20261207 > after.jsonl
    python -m bench.trust_outcomes --summary after.jsonl

``--conditions snow`` dispatches the same incidents (placed on the timetable) under a named preset; the
rows then also count the rescues whose driver rests at the scene or on the way (read with ``getattr``,
so older code without rests on the way counts none).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from fleetplan.corridor import load_corridor
from fleetplan.model import Driver

from solver.dispatch import Budget, SolveParams, dispatch

from bench.incidents import DEFAULT_SEED, generate_incidents


def on_shift(driver: Driver, start: datetime, end: datetime) -> bool:
    """Whether ``[start, end]`` lies in one of the driver's shifts (the day's or the one from the day before)."""
    for day in (start.date() - timedelta(days=1), start.date()):
        begins = datetime.combine(day, driver.shift_start)
        ends = datetime.combine(day, driver.shift_end)
        ends += timedelta(days=1) if ends <= begins else timedelta(0)
        if begins <= start and end <= ends:
            return True
    return False


def outcome_rows(incidents: int, seed: int, conditions_name: str = "clear") -> list[dict]:
    corridor = load_corridor()
    conditions = corridor.dataset.conditions_named(conditions_name)
    params = SolveParams(budget=Budget.wall_clock(2.0), alternatives=3)
    rows = []
    for generated in generate_incidents(corridor, incidents, seed):
        incident = generated.incident
        outcome = dispatch(corridor, [incident], conditions, params=params)
        group, best = outcome.instance.groups[0], (outcome.result.plans or (None,))[0]
        on_time = late = off_shift = 0
        worst_late_s = 0.0
        for rescue in best.rescues if best else ():
            late_s = (rescue.scene_arrival - group.deadline).total_seconds()
            on_time += rescue.passengers if late_s <= 0 else 0
            late += rescue.passengers if late_s > 0 else 0
            worst_late_s = max(worst_late_s, late_s)
        for cover in best.trip_covers if best else ():
            trip, shift = corridor.dataset.trip(cover.trip_id), timedelta(seconds=cover.departure_shift_s)
            off_shift += not on_shift(
                corridor.dataset.driver(cover.driver_id), trip.departure + shift, trip.arrival + shift
            )
        problems = [p for found in outcome.problems for p in found]
        rows.append(
            {
                "incident": [incident.vehicle_id, incident.location, incident.at.isoformat(), incident.passengers],
                "tier": group.tier,
                "status": outcome.result.status.value,
                "on_time": on_time,
                "late": late,
                "not_reached": group.passengers - on_time - late,
                "worst_late_min": round(worst_late_s / 60, 1),
                "off_shift_covers": off_shift,
                "problems": len(problems),
                "oracle": sum(1 for p in problems if p.code.value == "oracle_disagrees"),
                "rests_at_scene": sum(1 for r in best.rescues if getattr(r, "rest_at_scene_s", 0)) if best else 0,
                "rests_on_way": sum(1 for r in best.rescues if getattr(r, "rest_on_way_node", "")) if best else 0,
            }
        )
    return rows


def summary(rows: Sequence[dict]) -> dict:
    keys = (
        "on_time",
        "late",
        "not_reached",
        "off_shift_covers",
        "problems",
        "oracle",
        "rests_at_scene",
        "rests_on_way",
    )
    totals: dict = {key: sum(row.get(key, 0) for row in rows) for key in keys}
    totals["worst_late_min"] = max((row["worst_late_min"] for row in rows), default=0)
    totals["status"] = dict(Counter(row["status"] for row in rows))
    totals["tier"] = dict(Counter(row["tier"] for row in rows))
    return totals


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200, help="seeded incidents (default 200)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default {DEFAULT_SEED})")
    parser.add_argument("--summary", type=Path, help="print the totals of a JSON-lines file of this script instead")
    parser.add_argument("--conditions", default="clear", help="conditions preset to dispatch under (default clear)")
    args = parser.parse_args(argv)
    if args.summary:
        rows = [json.loads(line) for line in args.summary.read_text(encoding="utf-8").splitlines() if line]
        print(json.dumps(summary(rows), ensure_ascii=False))
        return
    for row in outcome_rows(args.incidents, args.seed, args.conditions):
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
