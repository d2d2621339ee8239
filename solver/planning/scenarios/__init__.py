"""The scenario book (issue 14): named corridor scenarios, each with its expected plan reasoned by hand,
run through the real dispatch path and checked.

A scenario is one TOML file (``tests/scenarios/*.toml``; the format is in ``docs/scenarios.md``):
incidents at fixed places and times, a conditions preset, changes to the default data applied in
memory, and the properties the plan must show — robust to small changes of speed: the tier, how
many passengers are reached within the limit, which coaches must or must not go, which candidates
are rejected and why, which trips are re-covered. Every plan is also checked by the evaluator and by
the independent oracle, as the dispatch path runs them.

Modules: :mod:`.spec` (what a scenario says), :mod:`.loader` and :mod:`.values` (reading and
checking the files), :mod:`.staging` (the changed corridor and the incidents), :mod:`.runner`
(through :func:`solver.dispatch.dispatch`), :mod:`.checks` (expected vs found) and :mod:`.report`
(the verdict table, JSON views).
"""

from __future__ import annotations

from solver.planning.scenarios.checks import Check, scenario_checks
from solver.planning.scenarios.errors import ScenarioFileError
from solver.planning.scenarios.loader import load_book, load_scenario, scenario_paths
from solver.planning.scenarios.report import book_text, book_view, check_text, list_text, list_view, result_view
from solver.planning.scenarios.runner import (
    SCENARIO_PARAMS,
    BookResult,
    ScenarioResult,
    Verdict,
    run_book,
    run_scenario,
    run_staged,
)
from solver.planning.scenarios.spec import Bounds, Expect, IncidentExpect, IncidentSpec, Scenario, Setup
from solver.planning.scenarios.staging import StagedScenario, stage

__all__ = [
    "SCENARIO_PARAMS",
    "BookResult",
    "Bounds",
    "Check",
    "Expect",
    "IncidentExpect",
    "IncidentSpec",
    "Scenario",
    "ScenarioFileError",
    "ScenarioResult",
    "Setup",
    "StagedScenario",
    "Verdict",
    "book_text",
    "book_view",
    "check_text",
    "list_text",
    "list_view",
    "load_book",
    "load_scenario",
    "result_view",
    "run_book",
    "run_scenario",
    "run_staged",
    "scenario_checks",
    "scenario_paths",
    "stage",
]
