"""Write the drill and what-if notebooks as nbformat JSON (unexecuted, so they stay reviewable).

Run ``python notebooks/make_notebooks.py`` after editing a cell here; ``tests/test_notebooks.py`` executes
the written notebooks. Each notebook runs the real code, asserts what its drill or study expects and
shows a plot or a map. Reports go to ``$FLEETPLAN_NOTEBOOK_OUT`` (a temporary directory if unset).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from fleetplan.corridor import load_corridor
from fleetplan.units import minutes

corridor = load_corridor()
OUT = Path(os.environ.get("FLEETPLAN_NOTEBOOK_OUT") or tempfile.mkdtemp(prefix="fleetplan-"))
SEED = int(os.environ.get("FLEETPLAN_DRILL_SEED", "0"))  # change it for an unannounced drill
"""

SCORE_TABLE = """\
from fleetplan.units import ceil_minutes
from solver.planning.drills import incident_outcome


def promise_frame(report):
    \"\"\"The score against the promise, per tier and for all: this comes first.\"\"\"
    promise = report.promise
    return pd.DataFrame([{
        "tier": t.tier, "limit_min": None if t.limit_s is None else t.limit_s // 60,
        "incidents_within": f"{t.incidents_within}/{t.incidents}", "incidents_share": round(t.incidents_share, 2),
        "passengers_within": f"{t.passengers_within}/{t.passengers}", "passengers_share": round(t.passengers_share, 2),
        "reached_late": t.passengers_late, "not_reached": t.passengers_not_reached,
        "worst_late_min": ceil_minutes(t.worst_late_s), "worst_incident": t.worst_late_incident}
        for t in (*promise.tiers, promise.total)])


def remedies_frame(report):
    \"\"\"What would have met each missed limit: one more backup staged elsewhere, the relaxations named.\"\"\"
    return pd.DataFrame([{
        "incident": r.incident_id, "late_min": ceil_minutes(r.late_s), "backup_at": r.backup_site,
        "backup_meets_limit": r.backup_meets,
        "backup_response_min": None if r.backup is None or r.backup.response_s is None
        else ceil_minutes(r.backup.response_s),
        "relaxations": "; ".join(x.description for x in r.relaxations[:2])} for r in report.remedies],
        columns=["incident", "late_min", "backup_at", "backup_meets_limit", "backup_response_min", "relaxations"])


def scores_frame(report):
    return pd.DataFrame([{
        "incident": s.incident_id, "coach": s.vehicle_id, "where": s.location,
        "reported": s.reported_at.strftime("%a %H:%M"), "tier": s.tier, "limit_min": s.limit_s // 60,
        "passengers": s.passengers, "response_min": None if s.response_s is None else ceil_minutes(s.response_s),
        "within_limit": s.within_limit, "reached_late": s.passengers_late, "late_min": ceil_minutes(s.late_s),
        "not_reached": s.passengers_not_reached, "outcome": incident_outcome(s),
        "rescuers": "+".join(s.rescuers)} for s in report.scores])


def legs_frame(report):
    return pd.DataFrame([{
        "incident": leg.incident_id, "coach": leg.vehicle_id, "driver": leg.driver_id, "from": leg.origin,
        "leaves": leg.depart_at.strftime("%H:%M"), "on_scene": leg.scene_arrival.strftime("%H:%M"),
        "passengers": leg.passengers, "late_min": ceil_minutes(leg.late_s),
        "roads": " → ".join(leg.to_scene_roads + ("scene",) + leg.onward_roads)} for leg in report.legs])


def checks_frame(report):
    return pd.DataFrame([{"check": c.name, "passed": c.passed, "detail": c.detail} for c in report.checks])
"""


def breakdown_drill() -> nbformat.NotebookNode:
    return notebook(
        [
            md("""\
# 01 · Breakdown drill (quarterly)

The service plan promises a breakdown drill every quarter. This notebook stages one from the timetable
(the seed picks the staff run, the kilometre post and so the time), sends it through **the same dispatch
path as the desk** (`solver.dispatch.dispatch`: instance → CP-SAT → independent evaluator), scores the
response against the service promise and writes the drill report.

The report leads with the **promise**: per tier, the incidents and passengers reached within the limit,
the worst lateness — and, for a missed limit, **what would have met it** (one more backup staged
elsewhere, or the relaxation the dispatch names). A miss is the drill's finding, reported as "promise
NOT KEPT", never hidden behind passing checks. The **mechanics** come last and are asserted below: a
solver plan, no problem found by the evaluator, every stranded passenger collected, and the failed
coach's later trips re-covered."""),
            code(SETUP),
            code(SCORE_TABLE),
            md("## The scenario and the dispatch"),
            code("""\
from solver.planning.drills import draw_map, drill_text, run_drill, write_report

report = run_drill("breakdown", SEED, corridor)
print(drill_text(report))"""),
            md("## The promise first, then what would have met it"),
            code("""\
display(promise_frame(report))
display(remedies_frame(report))
display(scores_frame(report))
display(legs_frame(report))"""),
            md("## The mechanics the drill expects"),
            code("""\
display(checks_frame(report))
assert report.checks_passed, [c for c in report.checks if not c.passed]
assert report.problems == (), report.problems  # the independent evaluator agrees with every claim
(score,) = report.scores
assert score.passengers_carried == score.passengers
# the score is the dispatch's own numbers: the last rescuer on scene, counted from the report
last_on_scene = max(leg.scene_arrival for leg in report.legs)
assert score.response_s == (last_on_scene - score.reported_at).total_seconds()
assert score.within_limit == (score.response_s <= score.limit_s)
assert report.promise.kept == score.within_limit
assert bool(report.remedies) == (not score.within_limit)  # a missed limit says what would have met it
print(f"tier {score.tier}: on scene after {ceil_minutes(score.response_s)} min (limit {score.limit_s // 60} min) — "
      f"{incident_outcome(score)}")"""),
            md("## Map"),
            code("""\
fig, ax = plt.subplots(figsize=(8, 7))
draw_map(report, corridor, ax)
plt.show()"""),
            md("## The drill report"),
            code("""\
path = write_report(report, OUT, corridor)
assert path.exists() and (OUT / f"breakdown_drill_seed{SEED}_map.png").exists()
display(Markdown(path.read_text(encoding="utf-8").split("![map")[0]))
print("written to", path)"""),
            md("""\
## Where along the corridor do breakdowns go wrong?

The same drill on six seeds: different runs, kilometre posts and times of day. The bars show the
response against the limit; mid-corridor breakdowns on the carriageway away from the nearest depot are
the ones at risk — which is what the staging study (notebook 04) addresses."""),
            code("""\
reports = [run_drill("breakdown", seed, corridor, remedies=False) for seed in range(6)]
for drill in reports:
    assert drill.checks_passed and drill.problems == (), drill.scenario.seed
sweep = pd.DataFrame([{"seed": d.scenario.seed, "where": s.location, "when": s.reported_at.strftime("%a %H:%M"),
                       "tier": s.tier, "limit_min": s.limit_s // 60, "response_min": ceil_minutes(s.response_s),
                       "within_limit": s.within_limit, "outcome": incident_outcome(s)}
                      for d in reports for s in d.scores])
print(f"promise kept in {sum(d.promise.kept for d in reports)} of {len(reports)} drills")
display(sweep)
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar(sweep["seed"].astype(str), sweep["response_min"],
       color=["tab:green" if ok else "tab:red" for ok in sweep["within_limit"]])
ax.scatter(sweep["seed"].astype(str), sweep["limit_min"], marker="_", s=900, color="black", label="tier limit")
ax.set_xlabel("seed")
ax.set_ylabel("minutes to the scene")
ax.legend()
plt.show()"""),
        ]
    )


def accident_drill() -> nbformat.NotebookNode:
    return notebook(
        [
            md("""\
# 02 · Traffic-accident drill (half-yearly)

A coach on a Siping → Changchun run is in a collision between the Gongzhuling service area and the
Fanjiatun interchange. Nobody is hurt, but the coach **cannot be driven** and police **close the
carriageway** ahead of the wreck; debris closes the opposite carriageway alongside. Both closures are
closed edges of the road network, so every route the dispatch considers avoids them: the rescue coach
reaches the wreck from behind and leaves by the Fanjiatun exit and the G102.

Asserted: a sound plan (evaluator), every passenger collected, no closed section driven, the G102
detour taken — and the detour costs time compared with the same accident on an open road."""),
            code(SETUP),
            code(SCORE_TABLE),
            code("""\
from dataclasses import replace

from solver.planning.drills import draw_map, drill_text, run_drill, run_scenario, write_report

report = run_drill("accident", SEED, corridor)
print(drill_text(report))
display(promise_frame(report))
display(remedies_frame(report))
display(scores_frame(report))
display(legs_frame(report))"""),
            md("## The mechanics the drill expects"),
            code("""\
display(checks_frame(report))
(incident,) = report.scenario.incidents
assert incident.kind == "accident" and not incident.drivable
closed = report.scenario.conditions.closed_edges
assert closed, "an accident closes the carriageway"
assert report.checks_passed, [c for c in report.checks if not c.passed]
assert report.problems == ()
for leg in report.legs:
    for nodes in (leg.to_scene_nodes, leg.onward_nodes):
        assert not set(zip(nodes, nodes[1:])) & closed, (leg.vehicle_id, nodes)
    assert "G102" in leg.onward_roads, leg.onward_roads
print("closed:", ", ".join(f"{u} → {v}" for u, v in sorted(closed)))"""),
            md("""\
## What the closure costs

The same incident dispatched with the road open: the passengers reach their destination earlier."""),
            code("""\
open_road = replace(report.scenario, conditions=corridor.dataset.conditions_named("clear"))
baseline = run_scenario(open_road, corridor, remedies=False)  # its detour check fails by design: no detour
assert baseline.problems == ()
assert all(s.passengers_carried == s.passengers for s in baseline.scores)

def arrival(drill):
    plan = drill.dispatches[0].result.best
    return max(r.destination_arrival for r in plan.rescues)

closed_arrival, open_arrival = arrival(report), arrival(baseline)
assert closed_arrival > open_arrival
print(f"passengers at their destination {closed_arrival:%H:%M} with the closure, {open_arrival:%H:%M} without "
      f"(+{(closed_arrival - open_arrival).total_seconds() / 60:.0f} min by the G102 detour)")"""),
            md("## Map (closed sections dashed red)"),
            code("""\
fig, ax = plt.subplots(figsize=(8, 7))
draw_map(report, corridor, ax)
plt.show()"""),
            code("""\
path = write_report(report, OUT, corridor)
assert path.exists()
display(Markdown(path.read_text(encoding="utf-8").split("![map")[0]))
print("written to", path)"""),
        ]
    )


def blizzard_drill() -> nbformat.NotebookNode:
    return notebook(
        [
            md("""\
# 03 · Severe-weather (blizzard) drill (yearly)

Jilin winters close the G1 entrances between Siping and Changchun for hours to over a day (2016-12,
2018-02, 2025-01). In this drill a blizzard closes **every G1 entrance**; the evening staff runs are on
the **G102** instead; G1 is in blizzard, G102 snowy and the city streets **icy** (≤30 km/h). Three
coaches break down **at once**, on the G102 or in its towns, and are dispatched together.

The report leads with the **promise** — per tier, the incidents and passengers reached within the limit
and the worst lateness — then **what would have met it** (one more backup staged elsewhere, or the
relaxation the dispatch names), then the **mechanics**, asserted below: one joint plan with a coach of
its own for each breakdown, no rescue on G1, every rescue on the G102, every rescue slower than the
same drive in clear weather, and the evaluator and the independent oracle satisfied. Whether every
passenger is collected is the drill's finding, not an assumption: in a blizzard at 30 km/h with the
evening roster, it may not be."""),
            code(SETUP),
            code(SCORE_TABLE),
            code("""\
from dataclasses import replace

from fleetplan.model import RoadClass, Weather
from solver.planning.drills import draw_map, drill_text, run_drill, run_scenario, write_report
from solver.dispatch import Status

report = run_drill("blizzard", SEED, corridor)
print(drill_text(report))
display(promise_frame(report))
display(remedies_frame(report))
display(scores_frame(report))
display(legs_frame(report))"""),
            md("## The mechanics the drill expects"),
            code("""\
display(checks_frame(report))
conditions = report.scenario.conditions
assert "*" in conditions.closed_entrances
assert conditions.weather_on(RoadClass.CITY) == Weather.ICE
assert len(report.scenario.incidents) == 3 and len(report.dispatches) == 1  # all at once, one plan
# Snow-covered G102 and icy streets are ≤30 km/h: the rescues are long and run into the night, where a
# driver may drive only 2 h without a rest. Not every group may be reached; the drill must say so.
failed = [c for c in report.checks if not c.passed]
print("mechanics not met:", [c.name for c in failed] or "none")
assert report.problems == ()  # the evaluator and the independent oracle agree with every claim
# one coach per group, unless a rescue route takes it through several scenes (§6a)
routed = {route.vehicle_id for outcome in report.dispatches for route in outcome.result.plans[0].routes}
coaches = [leg.vehicle_id for leg in report.legs]
assert all(coaches.count(v) == 1 or v in routed for v in coaches), (coaches, routed)
for leg in report.legs:
    assert "G1" not in leg.to_scene_roads + leg.onward_roads
    assert "G102" in leg.to_scene_roads + leg.onward_roads
    assert leg.response_s > leg.clear_weather_s
assert {r.incident_id for r in report.remedies} == {s.incident_id for s in report.scores if not s.within_limit}
print(f"promise {'kept' if report.promise.kept else 'NOT KEPT'}: {report.share_within_limit:.0%} of the stranded "
      f"passengers reached within their limit")"""),
            md("## Response against the limit and against clear weather"),
            code("""\
frame = pd.DataFrame([{"coach": leg.vehicle_id, "incident": leg.incident_id,
                       "blizzard_min": minutes(leg.response_s), "clear_min": minutes(leg.clear_weather_s)}
                      for leg in report.legs])
limits = {s.incident_id: s.limit_s / 60 for s in report.scores}
fig, ax = plt.subplots(figsize=(8, 3.5))
x = range(len(frame))
ax.bar([i - 0.2 for i in x], frame["clear_min"], width=0.4, label="same drive, clear weather", color="tab:blue")
ax.bar([i + 0.2 for i in x], frame["blizzard_min"], width=0.4, label="blizzard (G102, icy streets)",
       color="tab:orange")
ax.scatter(list(x), [limits[i] for i in frame["incident"]], marker="_", s=900, color="black", label="tier limit")
ax.set_xticks(list(x), [f"{c}\\n{i}" for c, i in zip(frame["coach"], frame["incident"])])
ax.set_ylabel("minutes from leaving to the scene")
ax.legend(fontsize=8)
plt.show()"""),
            md("## Map (closed entrances dashed red)"),
            code("""\
fig, ax = plt.subplots(figsize=(8, 7))
draw_map(report, corridor, ax)
plt.show()"""),
            code("""\
path = write_report(report, OUT, corridor)
assert path.exists()
print("written to", path)"""),
            md("""\
## Variant: ice on the G102 as well

With the G102 icy too (≤30 km/h), a rescue from either city to a mid-corridor breakdown and on to the
other city takes more than the 4 hours a driver may drive without a break (more than 2 hours at night).
The plan schedules the driver's 20-minute rest where it is needed: at the scene, or at a town on the way
(docs/world-model.md §6), and says where and when. What no rest fixes is the shifts: such a rescue runs
to about 23:00, past the end of most day shifts, so one group is not reached. The answer is
**infeasible**, with the relaxation that would carry everyone: overtime for a named driver, the least
past the end of the shift. The contingency plan therefore needs drivers who can stay on late on ice days."""),
            code("""\
weather = dict(conditions.weather)
weather[RoadClass.NATIONAL] = Weather.ICE
icy = replace(report.scenario, conditions=replace(conditions, name="blizzard_ice_g102", weather=tuple(weather.items())))
icy_report = run_scenario(icy, corridor, remedies=False)
outcome = icy_report.dispatches[0]
print(outcome.result.status.value, *outcome.result.reasons, sep="\\n  ")
assert outcome.result.status == Status.INFEASIBLE
assert any(r.kind == "overtime" for r in outcome.result.relaxations)
print(*(r.description for r in outcome.result.relaxations), sep="\\n")
# the rescues it sends rest where the stretch needs it: on the way to Changchun
assert any(r.rest_on_way_node for r in outcome.result.best.rescues)
assert sum(s.passengers_carried for s in icy_report.scores) < sum(s.passengers for s in icy_report.scores)
assert icy_report.problems == ()  # what it does send is still sound"""),
        ]
    )


def capacity_whatif() -> nbformat.NotebookNode:
    return notebook(
        [
            md("""\
# 04 · Capacity what-if: how many backups, and where?

The planner's question (DESIGN §1): *"Winter timetable, 3 backups: where should they stand, and what
share of incidents do we reach within the limit? What if we add a fourth at Gongzhuling?"*

1. **Staging model** — maximum expected covering (Daskin 1983) on CP-SAT: incidents are expected where
   the timetable drives (vehicle-km ÷ mean distance between failures, older coaches 4×, every coach
   1.5× in winter: the what-if's breakdown model), per G1 10-km stretch and direction, per street or
   G102 piece, per time band; a site covers a point if a backup standing there reaches it within the
   point's tier limit (turnout + network travel time);
   each backup is busy with probability *q*, so *k* covering backups reach it with probability 1 − qᵏ.
2. **Simulation check** — the recommended backups go into the Monte-Carlo what-if, where every
   incident is dispatched through the real dispatch path against the evolving state; its share
   reached within the limit (with a 95 % interval) is set against the model's expectation."""),
            code(SETUP),
            code("""\
from solver.planning.staging import (DEFAULT_BUSY_FRACTION, build_staging_problem, check_by_simulation,
                                     coverage_curve, expected_coverage, plot_coverage_curve, plot_staging_map,
                                     simulation_check_text, solve_staging, staging_text, workload_busy_fraction,
                                     write_staging)
from fleetplan.units import DAY

problem = build_staging_problem(corridor)
print(problem.description)
demand = pd.DataFrame([{"band": p.band.value, "road": "G1" if p.location.startswith("G1") else "street / G102",
                        "city": p.city, "incidents_per_week": p.weight} for p in problem.points])
display(demand.groupby(["band", "road"])["incidents_per_week"].sum().round(3).to_frame())
print(f"expected in-service failures over the timetable week: {problem.total_weight:.2f}")"""),
            md("## Expected coverage against the number of backups"),
            code("""\
BUDGETS = range(0, 7)
curve = coverage_curve(problem, BUDGETS)
table = pd.DataFrame([{"backups": s.budget, "expected_coverage": round(s.expected_coverage, 4), "optimal": s.optimal,
                       **s.sites} for s in curve])
display(table)
# the must-show: more backups never lower the expected coverage (the integer objective is exact)
for fewer, more in zip(curve, curve[1:]):
    assert more.objective_scaled >= fewer.objective_scaled
    assert more.expected_coverage >= fewer.expected_coverage - 1e-7
assert all(s.optimal for s in curve)"""),
            md("## The recommended staging for three backups"),
            code("""\
BUDGET = 3
recommended = curve[BUDGET]
print(staging_text(recommended, corridor.dataset))
fig, ax = plt.subplots(figsize=(8, 6.5))
plot_staging_map(problem, recommended, corridor, ax)
plt.show()"""),
            md("""\
### "What if we add a fourth at Gongzhuling?"

Any fourth backup can only add coverage; the model says how much, and how that compares with the
best four."""),
            code("""\
plus_gongzhuling = dict(recommended.sites)
plus_gongzhuling["gongzhuling_sa"] += 1
with_fourth = expected_coverage(problem, plus_gongzhuling, DEFAULT_BUSY_FRACTION)
best_four = curve[BUDGET + 1]
print(f"3 backups as recommended:         {recommended.expected_coverage:.1%}")
print(f"+1 at the Gongzhuling service area: {with_fourth:.1%}")
print(f"best 4 ({best_four.as_backups_text()}): {best_four.expected_coverage:.1%}")
assert recommended.expected_coverage - 1e-9 <= with_fourth <= best_four.expected_coverage + 1e-9"""),
            md("""\
### How sure is the busy fraction?

*q* stands for everything that keeps a backup from answering: a rescue already under way, its crew off
shift or resting, the coach on another duty. The staging shifts with it: a higher *q* doubles up where
incidents are densest."""),
            code("""\
rows = []
for q in (0.0, 0.05, 0.15, 0.3, 0.5):
    staging = solve_staging(problem, BUDGET, q)
    rows.append({"busy_fraction": q, **staging.sites, "expected_coverage": round(staging.expected_coverage, 4)})
sensitivity = pd.DataFrame(rows)
display(sensitivity)
workload = workload_busy_fraction(problem, BUDGET, period_s=7 * DAY)  # the timetable is one week
print(f"rescue workload alone keeps each backup busy {workload:.2%} of the time; "
      f"the default q = {DEFAULT_BUSY_FRACTION:.0%} is mostly crews off shift, resting or on other duties")
assert sensitivity["expected_coverage"].is_monotonic_decreasing  # a busier fleet covers less"""),
            md("""\
## Compliance against the number of backups, by simulation

For 1–4 backups, the model's staging goes into the what-if (two weeks of the timetable, four
replications, breakdowns ten times as frequent as the default rate for statistical power: the share
reached depends on where and when incidents happen, not on how many, while rescues rarely overlap).
Pre-departure failures are left out of the comparison: the staging model has none."""),
            code("""\
checks = {}
for budget in range(1, 5):
    checks[budget] = check_by_simulation(corridor, curve[budget], problem, reps=4, days=14, seed=SEED,
                                         breakdown_factor=10)
    print(f"{budget} backup(s) {curve[budget].as_backups_text()}")
    print("  " + simulation_check_text(checks[budget]).replace("\\n", "\\n  "))
for budget, check in checks.items():
    # the must-show: within the interval, or the difference explained in the output
    assert check.within or check.explanation, budget
    assert check.incidents > 0, "too few incidents simulated to say anything"
    assert check.result.summary()["evaluator_problems"] == 0  # every simulated plan passed the evaluator"""),
            code("""\
simulated = [(b, c.simulated, c.ci_low, c.ci_high) for b, c in checks.items() if c.simulated is not None]
fig, ax = plt.subplots(figsize=(7, 4.5))
plot_coverage_curve(curve, ax, simulated)
ax.set_title("Share of incidents reached within the limit")
plt.show()"""),
            code("""\
check = checks[BUDGET]
verdict = ("the simulated share agrees with the model" if check.within
           else "the simulation differs from the model: " + check.explanation)
display(Markdown(f\"\"\"**Recommendation.** Keep the {BUDGET} backups at {recommended.as_backups_text().replace(',', ', ')}:
expected {recommended.expected_coverage:.0%} of incidents reached within their limit; simulated
{check.simulated:.0%} (95 % interval {check.ci_low:.0%}–{check.ci_high:.0%}) — {verdict}.\"\"\"))"""),
            code("""\
written = write_staging(recommended, curve, OUT, problem, corridor)
assert all(path.exists() for path in written)
print(*written, sep="\\n")"""),
        ]
    )


LIVE_SETUP = """\
import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from fleetplan.corridor import load_corridor
from fleetplan.network import TravelTimes
from fleetplan.positions import Position, place
from fleetplan.replay import sightings_at

corridor = load_corridor()
OUT = Path(os.environ.get("FLEETPLAN_NOTEBOOK_OUT") or tempfile.mkdtemp(prefix="fleetplan-"))
START = datetime(2026, 12, 7, 7, 20)  # a Monday: the staff runs leave Changchun for the Siping campus
SPEEDUP = 30                          # the drill's clock runs 30 times as fast: a drill minute is 2 s
STOPPED_ALERT_MIN = 2.0               # standing this long on G1 outside a service area is a suspected breakdown
BREAK_AT = START + timedelta(minutes=15)
STATE = Path(tempfile.mkdtemp(prefix="fleetplan-live-drill-"))
DB = f"sqlite:///{STATE / 'drill.db'}"
processes = []


def stop_all():
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


atexit.register(stop_all)  # a failed cell still leaves no service behind
"""

LIVE_CHOOSE = """\
def on_g1(moment):
    \"\"\"The coaches driving a trip on a G1 carriageway at ``moment``, as their terminals would see them.\"\"\"
    found = []
    for seen in sightings_at(corridor, moment):
        if seen.speed_kmh > 0:
            fix = Position(seen.vehicle_id, seen.lat, seen.lon, moment, seen.speed_kmh, seen.heading_deg)
            where = place(corridor.network, fix).location
            if where.direction is not None and where.km is not None:
                found.append((seen.vehicle_id, f"G1 K{where.km:.1f} {where.direction.label}"))
    return sorted(found)


candidates = on_g1(BREAK_AT)
assert candidates, f"no coach is on G1 at {BREAK_AT}"
COACH, WHERE = candidates[0]
print(f"{len(candidates)} coaches on G1 at {BREAK_AT:%H:%M}; {COACH} breaks down at {WHERE}")
"""

LIVE_SERVE = """\
def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


ENV = {
    **os.environ,
    "FLEETPLAN_CLOCK_FROM": START.isoformat(timespec="minutes"),
    "FLEETPLAN_CLOCK_SPEEDUP": str(SPEEDUP),
    "FLEETPLAN_STOPPED_ALERT_MIN": str(STOPPED_ALERT_MIN),
    "FLEETPLAN_DETECT_EVERY_S": "0.5",
    "FLEETPLAN_VAR_DIR": str(STATE / "var"),
}


def fleetplan(*argv):
    done = subprocess.run([sys.executable, "-m", "api.cli", *argv], capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


FEED = fleetplan("users", "add", "drill-feed", "--role", "feed", "--db", DB, "--create")
DISPATCHER = fleetplan("users", "add", "drill-dispatcher", "--role", "dispatcher", "--db", DB)
PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}"
service_log = open(STATE / "serve.log", "w")
processes.append(subprocess.Popen(
    [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(PORT), "--db", DB],
    env=ENV, stdout=service_log, stderr=subprocess.STDOUT))
desk = httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {DISPATCHER}"}, timeout=60)
for _ in range(600):  # the service starts within a minute
    try:
        if desk.get("/health").status_code == 200:
            break
    except httpx.TransportError:
        time.sleep(0.1)
clock = desk.get("/health").json()["clock"]
assert clock["drill"] and clock["speedup"] == SPEEDUP, clock
print("drill desk up; its clock reads", clock["now"])


def drill_now():
    return datetime.fromisoformat(desk.get("/health").json()["clock"]["now"])


def simulate(*more):
    \"\"\"The feed simulator in step with the desk's clock: from the desk's now, at its pace, stamped in drill time.\"\"\"
    argv = ["feed", "simulate", "--to", BASE, "--protocol", "json", "--from", drill_now().isoformat(),
            "--speedup", str(SPEEDUP), "--stamp", "simulated", "--every", "0.3", "--token", FEED,
            "--inject", f"breakdown:{COACH}@{BREAK_AT:%Y-%m-%dT%H:%M}", *more]
    process = subprocess.Popen([sys.executable, "-m", "api.cli", *argv], env=ENV, stdout=subprocess.DEVNULL,
                               stderr=open(STATE / "simulate.log", "a"))
    processes.append(process)
    return process


feed = simulate()
"""

LIVE_DETECT = """\
alert, deadline = None, time.monotonic() + 180
while alert is None and time.monotonic() < deadline:  # bounded: three minutes of wall clock
    alerts = desk.get("/alerts").json()
    alert = next((a for a in alerts if a["kind"] == "suspected_breakdown" and a["vehicle_id"] == COACH), None)
    time.sleep(0.3)
assert alert is not None, f"no alert for {COACH} by {drill_now():%H:%M} (see {STATE})"
others = [a for a in alerts if a["vehicle_id"] != COACH]
assert others == [], others  # every other coach drove on: nothing else is suspected
since, raised = datetime.fromisoformat(alert["since"]), datetime.fromisoformat(alert["raised_at"])
delay = raised - BREAK_AT
print(f"alert {alert['id']}: {alert['vehicle_id']} standing at {alert['place']} since {since:%H:%M:%S}, "
      f"raised {raised:%H:%M:%S} — {delay.total_seconds() / 60:.1f} drill minutes after the breakdown")
assert abs(since - BREAK_AT) <= timedelta(minutes=1), since  # it stopped when the drill stopped it
# the policy's threshold, plus the drill's coarse ticks: a detector look is 15 s and a fix 9 s of drill time, and
# each second the machine lags is 30 (bench/detection.py measures the delay against threshold + 30 s)
assert delay <= timedelta(minutes=STOPPED_ALERT_MIN + 2, seconds=30), delay
deadline = time.monotonic() + 60
while alert["plan"] is None and time.monotonic() < deadline:  # the detector plans right after it raises
    time.sleep(0.3)
    alert = next(a for a in desk.get("/alerts").json() if a["id"] == alert["id"])
preview = alert["plan"]
assert preview and preview.get("plans"), preview  # it comes with the plan the dispatch path computed
print("the plan it came with:", preview["plans"][0]["explanation"])
"""

LIVE_CONFIRM = """\
confirmed = desk.post(f"/alerts/{alert['id']}/confirm", json={})
assert confirmed.status_code == 201, confirmed.text
NUMBER = confirmed.json()["incident"]["number"]
record = desk.get(f"/incidents/{NUMBER}").json()
options = record["options"]
assert options["status"] in ("optimal", "feasible"), options["status"]
best = options["plans"][0]
assert best["evaluator_problems"] == [], best["evaluator_problems"]  # the evaluator and the oracle agree
display(pd.DataFrame(best["assignments"])[["vehicle_id", "driver_id", "origin", "depart_at", "scene_eta_min",
                                           "limit_min", "passengers", "destination", "position"]])
accepted = desk.post(f"/incidents/{NUMBER}/accept", json={"rank": 1})
assert accepted.status_code == 200, accepted.text
print(f"incident {NUMBER} ({record['tier']}, limit {record['limit_min']} min) accepted:", best["explanation"])
"""

LIVE_TRACK = """\
# From here every rescue coach's terminal is the drill's: the simulator leaves them out, and the drill
# reports each along its way at the plan's pace (a depot crew on the dispatch's own route from its
# departure; a passing coach from where its GPS last had it straight on to the scene).
rescuers = [a["vehicle_id"] for a in best["assignments"]]
feed.terminate()
feed.wait(timeout=10)
feed = simulate(*[option for coach in rescuers for option in ("--except", coach)])
graph = corridor.network.graph
scene = corridor.network.locate(record["report"]["location"])
reported = datetime.fromisoformat(record["reported_at"])
legs = {}
for assignment in best["assignments"]:
    coach = assignment["vehicle_id"]
    arrive = reported + timedelta(minutes=assignment["scene_eta_min"])
    if str(assignment["origin"]).startswith("on trip"):
        seen = desk.get("/positions", params={"vehicle_id": coach}).json()[0]
        legs[coach] = (drill_now(), arrive, [(seen["lat"], seen["lon"]), (scene.lat, scene.lon)])
    else:
        depart = datetime.combine(reported.date(), datetime.strptime(assignment["depart_at"], "%H:%M").time())
        vehicle = corridor.dataset.vehicle(coach)
        route = TravelTimes(corridor.network, corridor.dataset.clear_conditions, vehicle.vehicle_class).route(
            assignment["origin"], record["report"]["location"], depart)
        points = ([(route.origin.lat, route.origin.lon)] + [(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in route.path]
                  + [(scene.lat, scene.lon)])
        legs[coach] = (depart, arrive, points)


def where_at(coach, moment):
    \"\"\"Where the drill has ``coach`` at ``moment``: along its way at an even pace, then at the scene.\"\"\"
    leave, arrive, points = legs[coach]
    share = min(1.0, max(0.0, (moment - leave).total_seconds() / max((arrive - leave).total_seconds(), 1)))
    step = share * (len(points) - 1)
    k = min(int(step), len(points) - 2)
    (a_lat, a_lon), (b_lat, b_lon) = points[k], points[k + 1]
    return a_lat + (step - k) * (b_lat - a_lat), a_lon + (step - k) * (b_lon - a_lon)


tracks = {coach: [] for coach in rescuers}
arrived, late_alerts, deadline = {}, [], time.monotonic() + 300
while set(arrived) != set(rescuers) and time.monotonic() < deadline:  # bounded: five minutes of wall clock
    now = drill_now()
    fixes = []
    for coach in rescuers:
        lat, lon = where_at(coach, now)
        fixes.append({"vehicle_id": coach, "lat": lat, "lon": lon, "at": now.isoformat(), "speed_kmh": 80})
        tracks[coach].append((now, lat, lon))
    posted = httpx.post(f"{BASE}/positions", headers={"Authorization": f"Bearer {FEED}"}, timeout=30, json=fixes)
    assert posted.status_code == 200 and posted.json()["stored"] == len(fixes), posted.text
    view = desk.get(f"/incidents/{NUMBER}/tracking").json()
    for rescue in view["rescues"]:
        if rescue["on_scene_suggested"] and rescue["vehicle_id"] not in arrived:
            arrived[rescue["vehicle_id"]] = rescue
    late_alerts = [a for a in desk.get("/alerts").json() if a["kind"] == "rescue_late"]
    time.sleep(0.3)
assert set(arrived) == set(rescuers), (sorted(arrived), rescuers)
assert late_alerts == [], late_alerts  # every rescue kept the plan's pace, within the limit: none was raised
display(pd.DataFrame([{"coach": v, "planned at the scene": r["planned_at"][11:16],
                       "on scene by GPS": r["on_scene_suggested"]["at"][11:16], "source": r["on_scene_suggested"]["source"]}
                      for v, r in arrived.items()]))
first = min(arrived.values(), key=lambda r: r["on_scene_suggested"]["at"])
suggested = first["on_scene_suggested"]
print(f"first on scene: {first['vehicle_id']} at {suggested['at']} (deadline {view['deadline']})")
"""

LIVE_RECORD = """\
on_scene = desk.post(f"/incidents/{NUMBER}/on-scene", json={"at": suggested["at"][:16], "source": "gps"})
assert on_scene.status_code == 200, on_scene.text
done = on_scene.json()
print(f"response {done['response_min']} min against {done['limit_min']} — "
      f"{'within the limit' if done['within_limit'] else 'LATE'}")
assert done["on_scene_at"] == suggested["at"][:16] and done["within_limit"]
entries = desk.get(f"/incidents/{NUMBER}").json()["entries"]  # the record, oldest first
display(pd.DataFrame(entries)[["kind", "at", "actor", "payload"]])
(on_scene_entry,) = [e for e in entries if e["kind"] == "on_scene"]
assert on_scene_entry["payload"].get("source") == "gps", on_scene_entry
"""

LIVE_MAP = """\
graph = corridor.network.graph
fig, ax = plt.subplots(figsize=(9, 7))
for u, v in graph.edges:
    ax.plot([graph.nodes[u]["lon"], graph.nodes[v]["lon"]], [graph.nodes[u]["lat"], graph.nodes[v]["lat"]],
            color="0.8", linewidth=0.8, zorder=1)
latest = desk.get("/positions").json()
ax.scatter([p["lon"] for p in latest], [p["lat"] for p in latest], s=18, color="tab:blue", label="coaches (GPS)", zorder=3)
broken = next(p for p in latest if p["vehicle_id"] == COACH)
ax.scatter([broken["lon"]], [broken["lat"]], marker="X", s=160, color="tab:red", label=f"{COACH} broken down", zorder=4)
for coach, track in tracks.items():
    ax.plot([t[2] for t in track], [t[1] for t in track], linewidth=2.5, label=f"{coach} on its way (drill GPS)",
            zorder=2)
ax.set_xlabel("longitude")
ax.set_ylabel("latitude")
ax.legend(loc="upper left")
ax.set_title(f"Live breakdown drill: {COACH} at {WHERE}, {BREAK_AT:%a %H:%M}")
fig.savefig(OUT / "live_breakdown_drill_map.png", dpi=110)
plt.show()
stop_all()
print("report and map in", OUT)
"""


def live_breakdown_drill() -> nbformat.NotebookNode:
    return notebook(
        [
            md("""\
# 05 · Live breakdown drill: detected, confirmed, dispatched, tracked

A drill of the live path end to end, on any day: a **drill desk** (`fleetplan serve` with
`FLEETPLAN_CLOCK_FROM` at a Monday morning of the timetable, its clock running 30 times as fast) is fed by
the **feed simulator** in step with it (`fleetplan feed simulate --stamp simulated`), which replays the
timetable as moving coaches and stops one on G1. Nobody phones: the **detector** notices the coach
standing outside a service area and raises an alert with the plan the dispatch path computed; the
dispatcher **confirms** it, takes the options and **accepts** the best; the rescue coach's terminal then
reports it on its way, the desk **tracks** its live ETA against the limit, and the on-scene time is
suggested from the scene's geofence and recorded with source `gps`. Everything goes through the real
service over HTTP."""),
            code(LIVE_SETUP),
            md("## The coach that breaks down: one the timetable has on G1 then"),
            code(LIVE_CHOOSE),
            md("## The drill desk and the feed"),
            code(LIVE_SERVE),
            md("## Detection: only the broken coach, within the threshold"),
            code(LIVE_DETECT),
            md("## Confirm, plan, accept"),
            code(LIVE_CONFIRM),
            md("## Tracking the rescue to the scene"),
            code(LIVE_TRACK),
            md("## On scene, by GPS, recorded"),
            code(LIVE_RECORD),
            md("## Map"),
            code(LIVE_MAP),
        ]
    )


def notebook(cells: list) -> nbformat.NotebookNode:
    book = new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.metadata["language_info"] = {"name": "python"}
    return book


def md(text: str):
    return new_markdown_cell(text)


def code(text: str):
    return new_code_cell(text)


NOTEBOOKS = {
    "01_breakdown_drill.ipynb": breakdown_drill,
    "02_accident_drill.ipynb": accident_drill,
    "03_blizzard_drill.ipynb": blizzard_drill,
    "04_capacity_whatif.ipynb": capacity_whatif,
    "05_live_breakdown_drill.ipynb": live_breakdown_drill,
}


def main() -> None:
    for name, build in NOTEBOOKS.items():
        book = build()
        for index, cell in enumerate(book.cells):  # stable ids keep the diffs small
            cell["id"] = f"{Path(name).stem[:2]}-{index:02d}"
        nbformat.validate(book)
        nbformat.write(book, HERE / name)


if __name__ == "__main__":
    main()
