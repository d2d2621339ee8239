"""Best-plan objectives of the seeded single incidents, one JSON line each, to compare two versions of
the code: a restructuring must not change them.

Each line holds the incident, the status, every plan's objective (best first), the instance's size
and a fingerprint of its rescue options and rejections, and the evaluator's finding count per plan.
The status and objectives are deterministic when every solve is optimal; which of several equally
good plans a solve returns is not, so plans themselves are not compared.

Run it in two checkouts and compare::

    python -m bench.objectives --incidents 200 --seed 20261207 > after.jsonl
    git worktree add /tmp/before 86abe63 && (cd /tmp/before && python -m bench.objectives ...) > before.jsonl
    python -m bench.objectives --compare before.jsonl after.jsonl

It imports the dispatch path as it was before issue 13 too (``solver.service``), so the same file can
be copied into an older checkout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from fleetplan.corridor import load_corridor

from bench.incidents import DEFAULT_SEED, generate_incidents

try:
    from solver.dispatch import dispatch
except ImportError:  # a checkout from before the one dispatch path
    from solver.service import dispatch


def fingerprint(values: object) -> str:
    return hashlib.sha1(repr(values).encode()).hexdigest()[:16]


def record(incident_count: int, seed: int) -> list[dict[str, Any]]:
    """One row per generated incident, dispatched with the default parameters (1 s, 3 plans)."""
    corridor = load_corridor()
    conditions = corridor.dataset.conditions_named("clear")
    rows = []
    for generated in generate_incidents(corridor, incident_count, seed):
        outcome = dispatch(corridor, [generated.incident], conditions)
        instance = outcome.instance
        options = sorted((o.id, o.scene_arrival.isoformat(), o.late_s, o.deadhead_m) for o in instance.rescue_options)
        rejections = sorted((r.candidate, r.code.value, r.reason, r.group_id) for r in instance.rejections)
        rows.append(
            {
                "incident": generated.incident.id,
                "status": outcome.result.status.value,
                "objectives": [plan.objective.as_dict() for plan in outcome.result.plans],
                "instance": [
                    len(instance.crews),
                    len(instance.rescue_options),
                    len(instance.trip_options),
                    len(instance.trip_tasks),
                    len(instance.rejections),
                    fingerprint(options),
                    fingerprint(rejections),
                ],
                "problems": [len(found) for found in outcome.problems],
            }
        )
    return rows


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str:
    """A one-paragraph verdict: how many incidents agree in each respect."""
    if [r["incident"] for r in before] != [r["incident"] for r in after]:
        return "the two files hold different incidents"
    pairs = list(zip(before, after))
    same = {
        "best-plan objective": sum(b["objectives"][:1] == a["objectives"][:1] for b, a in pairs),
        "every plan's objective": sum(b["objectives"] == a["objectives"] for b, a in pairs),
        "status": sum(b["status"] == a["status"] for b, a in pairs),
        "instance": sum(b["instance"] == a["instance"] for b, a in pairs),
    }
    problems = sum(sum(a["problems"]) for a in after)
    lines = [
        f"{len(pairs)} incidents; identical: "
        + ", ".join(f"{name} {n}" for name, n in same.items())
        + f"; evaluator findings after: {problems}"
    ]
    lines += [
        f"  differs: {b['incident']}: {b['objectives'][:1]} → {a['objectives'][:1]}"
        for b, a in pairs
        if b["objectives"][:1] != a["objectives"][:1]
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("BEFORE", "AFTER"),
        help="compare two files written by this command instead of dispatching",
    )
    args = parser.parse_args(argv)
    if args.compare:
        before, after = ([json.loads(line) for line in path.read_text().splitlines() if line] for path in args.compare)
        print(compare(before, after))
        return 0
    for row in record(args.incidents, args.seed):
        sys.stdout.write(json.dumps(row, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
