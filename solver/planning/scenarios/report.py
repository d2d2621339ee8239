"""The book's verdicts as a table for people and as JSON-ready views, and the list of scenarios."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fleetplan.units import format_hhmm

from solver.planning.scenarios.checks import Check
from solver.planning.scenarios.runner import BookResult, ScenarioResult, Verdict
from solver.planning.scenarios.spec import Scenario

TITLE_WIDTH = 58
FOUND_WIDTH = 200  # a long evaluator finding is cut in the table; --json has it whole


def book_text(book: BookResult) -> str:
    """The verdict table: one row per scenario, its failed checks (expected vs found) below it, then
    the summary line."""
    rows = [
        (r.scenario.name, _cut(r.scenario.title, TITLE_WIDTH), r.verdict.value.upper(), f"{r.elapsed_s:.1f}")
        for r in book.results
    ]
    header = ("scenario", "title", "verdict", "s")
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
    lines = [_row(header, widths), _row(tuple("-" * w for w in widths), widths)]
    for row, result in zip(rows, book.results):
        lines.append(_row(row, widths))
        lines += [f"    ✗ {check_text(check)}" for check in result.failed]
    lines += ["", summary_line(book), book.oracle]
    return "\n".join(lines)


def check_text(check: Check, width: int | None = FOUND_WIDTH) -> str:
    """``name: expected …, found …``, what was found cut to ``width`` characters (None: whole)."""
    found = check.found if width is None else _cut(check.found, width)
    return f"{check.name}: expected {check.expected}, found {found}"


def summary_line(book: BookResult) -> str:
    counts = ", ".join(f"{book.count(v)} {v.value}" for v in Verdict)
    return f"{len(book.results)} scenario(s): {counts} in {book.elapsed_s:.1f} s"


def book_view(book: BookResult) -> dict[str, Any]:
    """The whole run as one JSON-ready object."""
    return {
        "scenarios": [result_view(result) for result in book.results],
        "summary": {
            "scenarios": len(book.results),
            **{v.value: book.count(v) for v in Verdict},
            "elapsed_s": round(book.elapsed_s, 2),
            "all_passed": book.passed,
        },
        "oracle": book.oracle,
    }


def result_view(result: ScenarioResult) -> dict[str, Any]:
    """One scenario's verdict, every check and the best plan's rescues."""
    view: dict[str, Any] = {
        "name": result.scenario.name,
        "title": result.scenario.title,
        "tags": list(result.scenario.tags),
        "verdict": result.verdict.value,
        "elapsed_s": round(result.elapsed_s, 2),
        "checks": [
            {"name": c.name, "expected": c.expected, "found": c.found, "passed": c.passed} for c in result.checks
        ],
    }
    outcome = result.outcome
    if outcome is not None:
        best = outcome.result.best
        view["status"] = outcome.result.status.value
        view["best_plan"] = None
        if best is not None:
            view["best_plan"] = {
                "rescues": [
                    {
                        "vehicle_id": r.vehicle_id,
                        "driver_id": r.driver_id,
                        "origin": r.origin_node,
                        "depart_at": format_hhmm(r.depart_at),
                        "scene_arrival": format_hhmm(r.scene_arrival),
                        "passengers": r.passengers,
                    }
                    for r in best.rescues
                ],
                "trip_covers": [f"{c.trip_id}: {c.vehicle_id}/{c.driver_id}" for c in best.trip_covers],
                "uncovered": list(best.uncovered_trip_ids),
            }
    return view


def list_text(scenarios: Sequence[Scenario]) -> str:
    """The book's scenarios, one line each."""
    rows = [
        (s.name, _cut(s.title, TITLE_WIDTH), s.conditions, str(len(s.incidents)), ", ".join(s.tags)) for s in scenarios
    ]
    header = ("scenario", "title", "conditions", "incidents", "tags")
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
    lines = [_row(header, widths), _row(tuple("-" * w for w in widths), widths)]
    lines += [_row(row, widths) for row in rows]
    lines.append(f"\n{len(scenarios)} scenario(s)")
    return "\n".join(lines)


def list_view(scenarios: Sequence[Scenario]) -> dict[str, Any]:
    return {
        "scenarios": [
            {
                "name": s.name,
                "title": s.title,
                "conditions": s.conditions,
                "incidents": len(s.incidents),
                "tags": list(s.tags),
                "path": str(s.path),
            }
            for s in scenarios
        ]
    }


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()


def _cut(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"
