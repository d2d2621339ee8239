"""The instance build's CPU time on generated 1,000-coach fleets (issue 18 §5), without the solve.

Process time, best of ``--repeats`` builds, so that a busy second core moves it little; compare two
commits by running it in a worktree of each (``PYTHONPATH=. python -m bench.build_cpu``).

    python -m bench.build_cpu --seeds 20261208,4 --coaches 1000 --incidents 20
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from datetime import time as clock

from fleetplan.corridor import load_corridor

from solver.dispatch import prepare

from bench.fleet_generator import FleetSpec, generate_corridor
from bench.incidents import simultaneous_incidents


def build_cpu_s(seed: int, coaches: int, incidents: int, repeats: int) -> tuple[float, tuple[int, int, int]]:
    """The best process time of ``repeats`` builds, and the instance's crews, rescues and trip options."""
    spec = FleetSpec(coaches=coaches, seed=seed)
    corridor = generate_corridor(spec, load_corridor())
    moment = datetime.combine(spec.day, clock(7, 45))
    reports = [g.incident for g in simultaneous_incidents(corridor, moment, incidents, spec.seed)]
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        instance = prepare(corridor, reports, corridor.dataset.clear_conditions)
        best = min(best, time.process_time() - started)
    return best, (len(instance.crews), len(instance.rescue_options), len(instance.trip_options))


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="20261208,4", help="fleet seeds, comma-separated")
    parser.add_argument("--coaches", type=int, default=1000)
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    lines = ["| fleet seed | build CPU s | crews | rescue options | trip options |", "|---:|---:|---:|---:|---:|"]
    for seed in (int(s) for s in args.seeds.split(",")):
        seconds, (crews, rescues, trips) = build_cpu_s(seed, args.coaches, args.incidents, args.repeats)
        lines.append(f"| {seed} | {seconds:.2f} | {crews} | {rescues} | {trips} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
