"""Running the book: each scenario staged on the corridor, sent through the public
:func:`solver.dispatch.dispatch` exactly as the desk would, and checked (:mod:`.checks`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from time import perf_counter

from fleetplan.corridor import Corridor

from solver.dispatch import Budget, Dispatch, SolveParams, dispatch
from solver.planning.scenarios.checks import Check, scenario_checks
from solver.planning.scenarios.spec import Scenario
from solver.planning.scenarios.staging import StagedScenario, stage

# A modest budget, as the desk's: the book is about what the plan says, not how hard the search tries.
SCENARIO_PARAMS = SolveParams(budget=Budget.wall_clock(1.0), alternatives=3)
ORACLE_LINE = "oracle: every plan also checked by fleetplan.oracle on the dispatch path"


class Verdict(StrEnum):
    PASS = "pass"  # every check held
    FAIL = "fail"  # some check did not hold
    ERROR = "error"  # the dispatch raised on a well-formed scenario: an engine defect


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario as run: its checks, how long it took, and the dispatch (None after an error)."""

    scenario: Scenario
    verdict: Verdict
    checks: tuple[Check, ...]
    elapsed_s: float
    outcome: Dispatch | None = None

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)


@dataclass(frozen=True)
class BookResult:
    """The whole book as run."""

    results: tuple[ScenarioResult, ...]
    elapsed_s: float
    oracle: str  # how the independent oracle took part (:data:`ORACLE_LINE`)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for result in self.results if result.verdict == verdict)

    @property
    def passed(self) -> bool:
        return all(result.verdict == Verdict.PASS for result in self.results)


def run_scenario(scenario: Scenario, corridor: Corridor, params: SolveParams = SCENARIO_PARAMS) -> ScenarioResult:
    """Stage ``scenario``, dispatch it and check the answer.

    Raises
    ------
    ScenarioFileError
        When the scenario names something the data lacks (found before anything is solved).
    """
    return run_staged(stage(scenario, corridor), params)


def run_staged(staged: StagedScenario, params: SolveParams = SCENARIO_PARAMS) -> ScenarioResult:
    """Dispatch a staged scenario and check it. An exception from the dispatch of a well-formed
    scenario is an engine defect: it becomes the scenario's ``error`` verdict, and the book goes on."""
    scenario, started = staged.scenario, perf_counter()
    try:
        outcome = dispatch(
            staged.corridor,
            staged.incidents,
            staged.conditions,
            ops=staged.ops,
            params=params,
            unavailable=staged.unavailable,
        )
        checks = scenario_checks(scenario.expect, outcome)
    except Exception as error:  # one scenario's crash must not hide the others' verdicts
        crash = Check("dispatch", "a dispatch", f"{type(error).__name__}: {error}", False)
        return ScenarioResult(scenario, Verdict.ERROR, (crash,), perf_counter() - started)
    verdict = Verdict.PASS if all(check.passed for check in checks) else Verdict.FAIL
    return ScenarioResult(scenario, verdict, checks, perf_counter() - started, outcome)


def run_book(
    scenarios: Sequence[Scenario],
    corridor: Corridor,
    params: SolveParams = SCENARIO_PARAMS,
    progress: Callable[[int, int], None] | None = None,
) -> BookResult:
    """Run every scenario; all are staged first, so a bad file stops the run before any solve.

    Parameters
    ----------
    scenarios
        From :func:`~solver.planning.scenarios.loader.load_book`.
    corridor
        The data the scenarios change in memory.
    params
        The dispatch budget and alternatives (default :data:`SCENARIO_PARAMS`).
    progress
        Called with (done, total) after each scenario.

    Raises
    ------
    ScenarioFileError
        For the first scenario that names something the data lacks.
    """
    started = perf_counter()
    staged = [stage(scenario, corridor) for scenario in scenarios]
    results = []
    for done, item in enumerate(staged, start=1):
        results.append(run_staged(item, params))
        if progress is not None:
            progress(done, len(staged))
    return BookResult(tuple(results), perf_counter() - started, ORACLE_LINE)
