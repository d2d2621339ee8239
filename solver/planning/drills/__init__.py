"""Contingency drills on the real dispatch path (issue 5 §3, DESIGN §1: a breakdown drill every quarter,
an accident drill every half year, a severe-weather drill every year).

A drill stages a :class:`DrillScenario` (incidents at fixed places and times, road conditions), sends
it through :func:`solver.dispatch.dispatch` exactly as the desk would, and scores the answer: was every
stranded passenger reached within the tier limit, how late were the others, who was not reached at
all (the promise score, per tier, :attr:`DrillReport.promise`). For each incident beyond its limit it
finds what would have met it: the relaxation the dispatch names, or a backup staged elsewhere
(:attr:`DrillReport.remedies`). Last, it checks the mechanics the contingency plan expects of the
system for that kind of drill (closed roads avoided, the G102 detour taken, …): a drill whose checks
all pass may still have broken the promise. :func:`write_report` writes the result as Markdown with
a map, the promise first.

Modules: :mod:`.scenarios` (the scenario builders), :mod:`.run` (through the dispatch seam),
:mod:`.scores` (incidents and the promise score), :mod:`.remedies` (what would have met a limit),
:mod:`.results` (what a drill records), :mod:`.checks`, :mod:`.verdict` (the words) and
:mod:`.report` (Markdown, map, views).

Scenarios are drawn from the timetable with a seed, so a drill leader can run an unannounced drill
(any seed) or repeat one exactly (the same seed):

- **breakdown**: a coach on a weekday staff run breaks down on G1 at a random kilometre; the passengers
  wait on the shoulder, the coach's later trips of the day need another coach;
- **accident**: a coach on a Siping → Changchun run is in a collision between Gongzhuling and Fanjiatun
  (K63–K86); the coach cannot be driven, the Changchun-bound carriageway is closed beyond the wreck and
  debris closes the Siping-bound one alongside (closed edges), so the rescue leaves by the Fanjiatun
  exit and the G102;
- **blizzard**: every G1 entrance is closed (the coaches of the evening staff runs are on the G102),
  blizzard on G1, snow on G102, ice on city streets (≤30 km/h), and three of them break down at once
  on the G102 or in its towns.
"""

from __future__ import annotations

from solver.planning.drills.checks import drill_checks
from solver.planning.drills.remedies import REMEDY_PARAMS, best_backup_sites, find_remedies, with_extra_backup
from solver.planning.drills.report import draw_map, drill_text, drill_view, report_markdown, write_report
from solver.planning.drills.results import Check, DrillReport, IncidentScore, Remedy, RescueLeg
from solver.planning.drills.run import DRILL_PARAMS, rescue_legs, run_drill, run_scenario
from solver.planning.drills.scenarios import (
    DrillKind,
    DrillScenario,
    accident_closures,
    blizzard_conditions,
    drill_scenario,
    g102_places,
)
from solver.planning.drills.scores import PromiseScore, Tally, promise_score, score_dispatch
from solver.planning.drills.verdict import incident_outcome, promise_headline, verdict

__all__ = [
    "DRILL_PARAMS",
    "REMEDY_PARAMS",
    "Check",
    "DrillKind",
    "DrillReport",
    "DrillScenario",
    "IncidentScore",
    "PromiseScore",
    "Remedy",
    "RescueLeg",
    "Tally",
    "accident_closures",
    "blizzard_conditions",
    "draw_map",
    "drill_checks",
    "drill_scenario",
    "drill_text",
    "drill_view",
    "best_backup_sites",
    "find_remedies",
    "g102_places",
    "incident_outcome",
    "promise_headline",
    "promise_score",
    "report_markdown",
    "rescue_legs",
    "run_drill",
    "run_scenario",
    "score_dispatch",
    "verdict",
    "with_extra_backup",
    "write_report",
]
