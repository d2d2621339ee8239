"""Twenty simultaneous incidents on a generated multi-city fleet of 1,000 coaches (issue 3, item 7;
issue 18 §5).

The fleet is :func:`bench.fleet_generator.generate_corridor`'s (six depot cities and the G1 service
areas on the default road network). Then ``incidents`` coaches running a trip at ``moment`` fail at
once, each where its timetable puts it (:func:`bench.incidents.simultaneous_incidents`), and the batch
is dispatched: build time, solve time (a 5 s budget, one plan), the evaluator's check of the plans (the
dispatch path runs it before it answers), status and gap. The gap compares ``Result.bound`` with the
best plan's objective on the first term where they differ, relative to the plan's value.

Run: ``python -m bench.large_fleet [--coaches 1000] [--incidents 20] [--seed 20261208,2,3] [--profile]``.
Target (issue 18 §5): ≤ 2 s end to end (build and solve), proven optimal, on all 8 generated fleets.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import pstats
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from datetime import time as clock

from fleetplan.collector import collector_paused
from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import evaluate
from fleetplan.model import Incident
from fleetplan.operations import OperationsPolicy
from fleetplan.plan import Objective
from fleetplan.state import snapshot

from solver.dispatch import Budget, Result, SolveParams, prepare, solve

from bench import header, load_average, markdown_table
from bench.fleet_generator import DEFAULT_SEED, FleetSpec, generate_corridor
from bench.incidents import simultaneous_incidents


# --------------------------------------------------------------------------- measuring
def gap(result: Result) -> tuple[str | None, float]:
    """(term, relative gap) on the first objective term where the bound and the best plan differ;
    (None, 0.0) when optimal or equal."""
    if result.bound is None or result.best is None:
        return None, 0.0
    best, bound = result.best.objective.as_dict(), result.bound.as_dict()
    for name in Objective.term_names():
        if best[name] != bound[name]:
            return name, (best[name] - bound[name]) / max(abs(best[name]), 1)
    return None, 0.0


def crew_census(corridor: Corridor, incidents: Sequence[Incident], moment: datetime) -> Counter:
    """Candidate crews by kind, without building the instance (cheap: no routing, no options).

    Uses the instance builder's own crew enumeration, so the count is exactly what the builder
    works with.
    """
    from fleetplan.builder import BuildContext, candidate_crews

    context = BuildContext(
        corridor, corridor.dataset.clear_conditions, OperationsPolicy(), moment, snapshot(corridor.dataset, moment)
    )
    crews = candidate_crews(context, (), {incident.vehicle_id for incident in incidents})
    return Counter(crew.kind.value for crew in crews)


def measure(
    spec: FleetSpec, incidents: int, moment: datetime, params: SolveParams, report_to=None, profile: bool = False
) -> dict:
    """Generate, place the incidents, build and solve; evaluate the best plan untimed.

    ``report_to`` (a callable) receives the partial summary after each phase, so a parent process
    that stops this one at its time budget still knows how far it got. Returns the summary dict.
    """
    report_to = report_to or (lambda summary: None)
    base = load_corridor()
    started = time.perf_counter()
    corridor = generate_corridor(spec, base)
    generated = simultaneous_incidents(corridor, moment, incidents, spec.seed)
    dataset = corridor.dataset
    summary: dict = {
        "coaches": len(dataset.vehicles),
        "drivers": len(dataset.drivers),
        "trips": len(dataset.trips),
        "sites": len(dataset.sites),
        "generate_s": time.perf_counter() - started,
        "whereabouts": Counter(s.whereabouts.value for s in snapshot(dataset, moment).vehicles.values()),
        "kinds": Counter(g.incident.kind.value for g in generated),
        "placements": Counter(g.placement for g in generated),
        "passengers": sum(g.incident.passengers for g in generated),
        "crews_by_kind": crew_census(corridor, [g.incident for g in generated], moment),
        "phase": "build",
    }
    report_to(dict(summary))
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    instance = prepare(corridor, [g.incident for g in generated], corridor.dataset.clear_conditions)
    summary.update(
        build_s=time.perf_counter() - started,
        phase="solve",
        crews=len(instance.crews),
        rescue_options=len(instance.rescue_options),
        trip_tasks=len(instance.trip_tasks),
        trip_options=len(instance.trip_options),
        rejections=len(instance.rejections),
        tiers=Counter(g.tier for g in instance.groups),
    )
    report_to(dict(summary))
    started = time.perf_counter()
    result = solve(instance, params)
    summary.update(
        solve_s=time.perf_counter() - started,
        phase="done",
        status=result.status.value,
        solve_ms=result.solve_ms,
        plans=len(result.plans),
        gap=gap(result),
        best=result.best.objective.as_dict() if result.best else None,
        bound=result.bound.as_dict() if result.bound else None,
    )
    if profiler:
        profiler.disable()
        summary["profile"] = _profile_text(profiler)
    started = time.perf_counter()  # the dispatch path checks every plan before it answers: timed too
    with collector_paused():  # as the dispatch path checks them (dispatch_prepared)
        problems = [evaluate(plan, instance) for plan in result.plans]
    summary.update(check_s=time.perf_counter() - started, problems=len(problems[0]) if problems else 0)
    report_to(dict(summary))
    return summary


def _profile_text(profiler: cProfile.Profile, lines: int = 25) -> str:
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(lines)
    return stream.getvalue()


def _child(sending, spec: FleetSpec, incidents: int, moment: datetime, params: SolveParams) -> None:
    try:
        measure(spec, incidents, moment, params, report_to=sending.send)
    except Exception as error:  # reported in the table rather than lost on stderr
        sending.send({"phase": "error", "error": f"{type(error).__name__}: {error}"})


def measure_within(spec: FleetSpec, incidents: int, moment: datetime, params: SolveParams, budget_s: float) -> dict:
    """:func:`measure` in a child process stopped after ``budget_s`` seconds; the summary says how far
    it got (``phase`` is ``build``, ``solve`` or ``done``) and ``stopped_after_s`` if it was stopped.

    The child reports down a pipe, not a queue: a queue's feeder thread would make the build think
    its process threaded and keep it on one core (:mod:`fleetplan.builder.two_cores`)."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sending, spec, incidents, moment, params), daemon=True)
    started = time.perf_counter()
    child.start()
    sending.close()  # the child's end: end of file here once the child is gone
    summary: dict = {"phase": "generate"}
    while True:
        left = budget_s - (time.perf_counter() - started)
        message = None
        if receiving.poll(min(max(left, 0.01), 1.0)):
            try:
                message = receiving.recv()
            except EOFError:  # it failed: its traceback is on stderr
                child.join()
                summary["crashed"] = f"exit code {child.exitcode}"
                return summary
        if message is None:
            if left <= 0:
                child.kill()
                child.join()
                summary["stopped_after_s"] = budget_s
                return summary
            continue
        summary = {**summary, **message} if message.get("phase") == "error" else message
        if summary.get("phase") in ("done", "error"):
            child.join()
            return summary


# --------------------------------------------------------------------------- report
def _counts(counter: Counter) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counter.items())) or "–"


def _seconds(summary: dict, key: str) -> str:
    if key in summary:
        return f"{summary[key]:.2f}"
    return f"> {summary['stopped_after_s']:.0f} (stopped)" if summary.get("phase") == key[:-2] else "–"


def _end_to_end(summary: dict) -> str:
    """Build, solve and the evaluator's check of the plans: what a dispatcher waits for."""
    parts = [summary.get(key) for key in ("build_s", "solve_s", "check_s")]
    return "–" if None in parts else f"{sum(parts):.2f}"


def summary_row(spec: FleetSpec, incidents: int, summary: dict) -> list[object]:
    term, relative = summary.get("gap", (None, 0.0))
    if "error" in summary:
        status = f"error: {summary['error']}"
    elif "crashed" in summary:
        status = f"crashed ({summary['crashed']})"
    else:
        status = summary.get("status", "–")
    gap_text = f"{relative:.2%} ({term})" if term else ("0" if status in ("optimal", "feasible") else "–")
    return [
        spec.coaches,
        spec.seed,
        incidents,
        summary.get("crews", sum(summary.get("crews_by_kind", {}).values())),
        summary.get("rescue_options", "–"),
        summary.get("trip_tasks", "–"),
        summary.get("trip_options", "–"),
        _seconds(summary, "build_s"),
        _seconds(summary, "solve_s"),
        _seconds(summary, "check_s"),
        _end_to_end(summary),
        status,
        gap_text,
        summary.get("problems", "–"),
    ]


SUMMARY_HEADERS = [
    "coaches",
    "fleet seed",
    "incidents",
    "crews",
    "rescue options",
    "trip tasks",
    "trip options",
    "build_instance s",
    "solve s",
    "check s",
    "end to end s",
    "status",
    "gap (term)",
    "evaluator problems",
]


def report(
    runs: Sequence[tuple[FleetSpec, int, dict]],
    moment: datetime,
    params: SolveParams,
    budget_s: float,
    load_at_start: str | None = None,
) -> str:
    parts = [
        header("Simultaneous incidents on a generated multi-city fleet", load_at_start),
        f"Moment {moment:%Y-%m-%d %H:%M}; SolveParams budget {params.budget.seconds:g} s, alternatives "
        f"{params.alternatives}, workers {params.workers}; "
        + (
            f"each size runs in a child process stopped after {budget_s:.0f} s."
            if budget_s > 0
            else "run in this process."
        ),
        "",
        markdown_table(SUMMARY_HEADERS, [summary_row(spec, n, summary) for spec, n, summary in runs]),
        "",
    ]
    for spec, _incidents, summary in runs:
        parts += [
            f"- {spec.coaches} coaches (seed {spec.seed}): {summary.get('drivers', '?')} drivers, "
            f"{summary.get('trips', '?')} trips, {summary.get('sites', '?')} sites, generated in "
            f"{summary.get('generate_s', float('nan')):.1f} s; at the moment: {_counts(summary.get('whereabouts', Counter()))}; "
            f"candidate crews by kind: {_counts(summary.get('crews_by_kind', Counter()))}; incidents: "
            f"{_counts(summary.get('kinds', Counter()))}, placed {_counts(summary.get('placements', Counter()))}, "
            f"{summary.get('passengers', '?')} passengers, tiers {_counts(summary.get('tiers', Counter()))}."
        ]
        if summary.get("best"):
            bound = summary["bound"] or (
                "none (greedy fallback)" if summary["status"] == "greedy_fallback" else "equal to the best (optimal)"
            )
            parts.append(f"  best objective {summary['best']}; bound {bound}")
        if summary.get("profile"):
            parts += ["", "```", summary["profile"].strip(), "```"]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> str:
    """Run the benchmark; print and return the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coaches", default="1000", help="fleet size, or several separated by commas")
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--moment", default="07:45", help="clock time of the incidents on the generated day")
    parser.add_argument("--time-limit", type=float, default=5.0, help="the solve budget in wall-clock seconds")
    parser.add_argument(
        "--budget",
        type=float,
        default=240.0,
        help="seconds before a size's run (in a child process) is stopped; 0: run in this process",
    )
    parser.add_argument(
        "--seed",
        default=str(DEFAULT_SEED),
        help="fleet generation seed, or several separated by commas (each size runs with each)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run in this process without a budget and profile build + solve with cProfile",
    )
    args = parser.parse_args(argv)
    load_at_start = load_average()
    params = SolveParams(budget=Budget.wall_clock(args.time_limit), alternatives=1)
    runs = []
    sizes = [int(size) for size in args.coaches.split(",")]
    seeds = [int(seed) for seed in args.seed.split(",")]
    for coaches, seed in ((size, seed) for size in sizes for seed in seeds):
        spec = FleetSpec(coaches=coaches, seed=seed)
        hours, minutes = map(int, args.moment.split(":"))
        moment = datetime.combine(spec.day, clock(hours, minutes))
        if args.profile or args.budget <= 0:
            summary = measure(spec, args.incidents, moment, params, profile=args.profile)
        else:
            summary = measure_within(spec, args.incidents, moment, params, args.budget)
        runs.append((spec, args.incidents, summary))
    text = report(runs, moment, params, args.budget, load_at_start)
    print(text)
    return text


if __name__ == "__main__":
    main()
