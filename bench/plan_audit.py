"""Audit of the plans a dispatch offers: gratuitous re-crews and alternatives that are not alternatives
(issue 14, items 6 and 7).

For each of N seeded single incidents (:mod:`bench.incidents`, the same as ``dispatch_quality``) the
instance is built and solved with the default :class:`SolveParams` (1 s, 3 plans); then, from the
dataset alone (not the solver's account), it counts

- **re-crews**: trip covers whose coach or driver differs from the timetable's although the incident
  does not force it (the trip's planned coach is not a failed coach, its planned driver does not drive
  a failed coach, neither is unavailable). They split into *idle* re-crews (neither the planned coach
  nor the planned driver is in any rescue of the plan: the trip was re-crewed for nothing, e.g. two
  coaches swapping their evening runs) and *pulled* ones (the plan took the trip's crew for a rescue);
  an idle re-crew of a trip for which the instance holds no option with its planned crew (the builder
  did not offer it, e.g. its driver is off shift at the report and on shift by the trip) is counted
  apart as *not offered*: no solver could keep that crew;
- **repeated rescue crews**: an alternative whose rescue crews (coach and driver pairs) are those of a
  plan ranked above it, so it differs only in the trip covers or the passenger split;
- **dominated alternatives**: a plan whose rescue crews include all of another plan's (the same or
  more crews) while its objective (recomputed by the evaluator) is no better;
- **empty alternatives**: an alternative that sends no coach while the first plan sends one.

Run: ``python -m bench.plan_audit [--incidents 200] [--seed 20261207]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.evaluate import recompute_objective
from fleetplan.instance import Instance
from fleetplan.plan import Objective, Plan

from solver.dispatch import Result, SolveParams, prepare, solve

from bench import header, load_average, markdown_table
from bench.incidents import DEFAULT_SEED, GeneratedIncident, generate_incidents


@dataclass(frozen=True)
class PlanAudit:
    """What one plan of a result gets wrong (counts)."""

    idle_recrews: int
    unoffered_recrews: int
    pulled_recrews: int
    repeats_crews: bool  # its rescue crews are those of a plan ranked above it
    dominated: bool  # another plan of the result dominates it
    empty: bool  # sends no coach although the first plan sends one


@dataclass(frozen=True)
class IncidentAudit:
    generated: GeneratedIncident
    status: str
    plans: tuple[PlanAudit, ...]


def rescue_crews(plan: Plan) -> frozenset[tuple[str, str]]:
    """The (coach, driver) pairs sent to the scenes."""
    return frozenset((r.vehicle_id, r.driver_id) for r in plan.rescues)


def recrews(instance: Instance, plan: Plan) -> tuple[int, int, int]:
    """(idle, not offered, pulled) trip covers that change a trip's planned coach or driver without
    the incident forcing it, judged from the timetable."""
    dataset = instance.dataset
    failed = {g.failed_vehicle_id for g in instance.groups}
    failed_drivers = {dataset.trip(g.trip_id).driver_id for g in instance.groups if g.trip_id}
    unusable = failed | failed_drivers | set(instance.unavailable)
    rescuing = {r.vehicle_id for r in plan.rescues} | {r.driver_id for r in plan.rescues}
    offered = {(o.trip_id, o.vehicle_id, o.driver_id) for o in instance.trip_options}
    idle = unoffered = pulled = 0
    for cover in plan.trip_covers:
        trip = dataset.trip(cover.trip_id)
        if (cover.vehicle_id, cover.driver_id) == (trip.vehicle_id, trip.driver_id):
            continue
        if trip.vehicle_id in unusable or trip.driver_id in unusable:
            continue  # forced by the incident
        if trip.vehicle_id in rescuing or trip.driver_id in rescuing:
            pulled += 1
        elif (trip.id, trip.vehicle_id, trip.driver_id) not in offered:
            unoffered += 1
        else:
            idle += 1
    return idle, unoffered, pulled


def dominates(first: tuple[Plan, Objective], second: tuple[Plan, Objective]) -> bool:
    """``first`` dominates ``second``: ``second`` sends the same or more crews for no better objective."""
    return rescue_crews(second[0]) >= rescue_crews(first[0]) and second[1] >= first[1]


def audit(instance: Instance, result: Result) -> tuple[PlanAudit, ...]:
    scored = [(plan, recompute_objective(plan, instance)) for plan in result.plans]
    audits = []
    for index, (plan, objective) in enumerate(scored):
        idle, unoffered, pulled = recrews(instance, plan)
        earlier = [rescue_crews(p) for p, _ in scored[:index]]
        others = [entry for other, entry in enumerate(scored) if other != index]
        audits.append(
            PlanAudit(
                idle,
                unoffered,
                pulled,
                rescue_crews(plan) in earlier,
                any(dominates(entry, (plan, objective)) for entry in others),
                index > 0 and not plan.rescues and bool(result.plans[0].rescues),
            )
        )
    return tuple(audits)


def audit_incident(corridor: Corridor, generated: GeneratedIncident, params: SolveParams) -> IncidentAudit:
    instance = prepare(corridor, [generated.incident], corridor.dataset.clear_conditions)
    result = solve(instance, params)
    return IncidentAudit(generated, result.status.value, audit(instance, result))


def summary_rows(audits: Sequence[IncidentAudit]) -> list[list[object]]:
    """One row per count: over the best plans, over the alternatives, and incidents affected."""
    best = [a.plans[0] for a in audits if a.plans]
    alternatives = [p for a in audits for p in a.plans[1:]]

    def row(name: str, count) -> list[object]:
        return [
            name,
            sum(count(p) for p in best),
            sum(count(p) for p in alternatives),
            sum(1 for a in audits if any(count(p) for p in a.plans)),
        ]

    return [
        ["plans", len(best), len(alternatives), len(audits)],
        row("re-crews for nothing (idle)", lambda p: p.idle_recrews),
        row("re-crews, planned crew not offered", lambda p: p.unoffered_recrews),
        row("re-crews of a pulled crew's trip", lambda p: p.pulled_recrews),
        row("repeated rescue crews", lambda p: int(p.repeats_crews)),
        row("dominated plans", lambda p: int(p.dominated)),
        row("alternatives sending no coach", lambda p: int(p.empty)),
    ]


def report(audits: Sequence[IncidentAudit], seed: int, load_at_start: str | None = None) -> str:
    lines = [
        header(f"Plan audit, default data ({len(audits)} incidents, seed {seed})", load_at_start),
        markdown_table(["count", "best plans", "alternatives", "incidents with any"], summary_rows(audits)),
    ]
    flagged = [
        a
        for a in audits
        if any(p.idle_recrews or p.pulled_recrews or p.repeats_crews or p.dominated or p.empty for p in a.plans)
    ]
    if flagged:
        lines += ["", "First incidents with findings:", ""]
        for a in flagged[:10]:
            incident = a.generated.incident
            lines.append(
                f"- {incident.vehicle_id} at {incident.location}, {incident.at:%a %H:%M}, "
                f"{incident.passengers} passengers: " + "; ".join(_findings(p) for p in a.plans)
            )
    return "\n".join(lines)


def _findings(plan: PlanAudit) -> str:
    words = [
        f"{plan.idle_recrews} idle re-crews" if plan.idle_recrews else "",
        f"{plan.pulled_recrews} pulled re-crews" if plan.pulled_recrews else "",
        f"{plan.unoffered_recrews} re-crews not offered" if plan.unoffered_recrews else "",
        "repeats crews" if plan.repeats_crews else "",
        "dominated" if plan.dominated else "",
        "empty" if plan.empty else "",
    ]
    return ", ".join(w for w in words if w) or "ok"


def main(argv: Sequence[str] | None = None) -> str:
    """Run the audit; print and return the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    load_at_start = load_average()
    corridor = load_corridor()
    params = SolveParams()
    audits = [audit_incident(corridor, g, params) for g in generate_incidents(corridor, args.incidents, args.seed)]
    text = report(audits, args.seed, load_at_start)
    print(text)
    return text


if __name__ == "__main__":
    main()
