"""The engine against the independent oracle on random cases: how many plans does the oracle dispute?

Each case is one to ``--max-incidents`` coaches failing within half an hour of each other at any minute
of the template week (Monday 00:00 to Sunday 12:00), anywhere on G1 at a 100 m post on either
carriageway, with any number aboard up to the coach's seats, under a weather preset drawn from the data.
With ``--fixes`` eight other coaches also report a fresh GPS fix, near a place or on G1. Every case goes
through the real dispatch path (:func:`solver.dispatch.dispatch`, two alternatives); the path checks every
plan with the oracle, and this script counts the plans with a disagreement (of any solver status, an
"infeasible" one included) and prints the first few cases to replay.

Run: ``python -m bench.oracle_sweep [--cases 300] [--seed 1] [--max-incidents 3] [--fixes]``.
Target (a benchmark, not a test): no disputed plan.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.live import NO_FIXES, LiveFixes
from fleetplan.model import Incident, IncidentKind
from fleetplan.positions import Position

from solver.dispatch import Budget, SolveParams, dispatch

from bench import header, load_average, markdown_table

WEEK = datetime(2026, 12, 7)
LAST_MINUTE = (7 * 24 - 12) * 60  # the oracle's tests read the template week: keep next week's trips out
TOWARD = ("Changchun", "Siping")


def random_post(rng: random.Random) -> str:
    return f"G1 K{rng.randrange(0, 1334) / 10:g} toward {rng.choice(TOWARD)}"


def random_case(corridor: Corridor, rng: random.Random, max_incidents: int) -> tuple[list[Incident], str]:
    dataset = corridor.dataset
    first = WEEK + timedelta(minutes=rng.randrange(0, LAST_MINUTE))
    coaches = rng.sample(sorted(v.id for v in dataset.vehicles), rng.randint(1, max_incidents))
    incidents = [
        Incident(
            str(k + 1),
            rng.choice([IncidentKind.BREAKDOWN, IncidentKind.ACCIDENT]),
            coach,
            None,
            random_post(rng),
            first + timedelta(minutes=0 if k == 0 else rng.randrange(0, 31)),
            rng.randint(0, dataset.vehicle(coach).seats),
        )
        for k, coach in enumerate(coaches)
    ]
    return incidents, rng.choice([preset.name for preset in dataset.conditions])


def random_fixes(corridor: Corridor, rng: random.Random, at: datetime) -> LiveFixes:
    """Eight coaches seen in the last ten minutes, half near a place (within ~90 m), half on G1."""
    nodes = [(d["lat"], d["lon"]) for _, d in corridor.network.graph.nodes(data=True) if "lat" in d]
    latest = {}
    for coach in rng.sample(sorted(v.id for v in corridor.dataset.vehicles), 8):
        if rng.random() < 0.5:
            lat, lon = rng.choice(nodes)
            lat, lon = lat + rng.uniform(-8e-4, 8e-4), lon + rng.uniform(-8e-4, 8e-4)
        else:
            point = corridor.network.locate(random_post(rng))
            lat, lon = point.lat + rng.uniform(-2e-4, 2e-4), point.lon + rng.uniform(-2e-4, 2e-4)
        latest[coach] = [Position(coach, lat, lon, at - timedelta(minutes=rng.randrange(0, 10)))]
    return LiveFixes(latest)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.oracle_sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300, help="random cases (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-incidents", type=int, default=3, help="coaches failing per case (default 3)")
    parser.add_argument("--fixes", action="store_true", help="eight other coaches report a fresh GPS fix")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.max_incidents < 1:
        parser.error("--cases and --max-incidents must be at least 1")
    load_at_start = load_average()
    corridor, rng = load_corridor(), random.Random(args.seed)
    statuses: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    disputed = []
    for _ in range(args.cases):
        incidents, preset = random_case(corridor, rng, args.max_incidents)
        fixes = random_fixes(corridor, rng, incidents[0].at) if args.fixes else NO_FIXES
        params = SolveParams(budget=Budget.wall_clock(5.0), alternatives=2)
        outcome = dispatch(corridor, incidents, corridor.dataset.conditions_named(preset), params=params, fixes=fixes)
        statuses[outcome.result.status.value] += 1
        found = [p for problems in outcome.problems for p in problems]
        kinds.update(dict(p.numbers).get("kind", p.code.value) for p in found)
        if found:
            disputed.append((preset, incidents, found[0].message))
    print(header("The engine against the oracle on random cases", load_at_start))
    print(f"- {args.cases} cases, seed {args.seed}, 1–{args.max_incidents} incidents each, fixes: {args.fixes}\n")
    rows = [[status, count] for status, count in sorted(statuses.items())]
    rows.append(["cases with a disputed plan", len(disputed)])
    print(markdown_table(["solver status", "cases"], rows))
    if kinds:
        print("\n" + markdown_table(["disagreement", "count"], sorted(kinds.items())))
    for preset, incidents, message in disputed[:10]:
        cases = "; ".join(
            f"{i.vehicle_id} {i.location} {i.at:%a %H:%M} {i.passengers} {i.kind.value}" for i in incidents
        )
        print(f"\n- {preset}: {cases}\n  {message[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
