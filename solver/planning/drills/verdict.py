"""The words of a drill's verdict, shared by the terminal summary, the Markdown report and the notebooks.

The promise comes first and is never summed up as "passed": an incident beyond its limit is a
promise not kept, whatever the mechanics checks say. Passengers are *reached within the limit*,
*reached late by N min* (per started minute, as the lateness penalty counts) or *not reached* (no
coach takes them) — docs/world-model.md §5. Minutes are started minutes (:func:`fleetplan.units.ceil_minutes`,
the one rounding the objective and the KPIs share), responses as well as lateness, so that a response
of 75 min 3 s against a 60-min limit reads "76 min" and "16 min late", never "75 min" and "16 min late".
"""

from __future__ import annotations

from fleetplan.units import ceil_minutes

from solver.dispatch import Relaxation
from solver.planning.drills.results import DrillReport, Remedy
from solver.planning.drills.scores import IncidentScore, PromiseScore, Tally

KEPT = "promise kept"
NOT_KEPT = "promise not kept"


def verdict(promise: PromiseScore) -> str:
    """``promise kept`` or ``promise not kept``."""
    return KEPT if promise.kept else NOT_KEPT


def started_min(duration_s: int) -> int:
    """A response or a lateness in started minutes: one second late is 1 min late."""
    return ceil_minutes(duration_s)


def incident_outcome(score: IncidentScore) -> str:
    """What happened to one incident's passengers, e.g. ``31 passengers reached 1 min late``."""
    if score.within_limit:
        return f"all {score.passengers} passengers reached within the limit"
    parts = []
    if score.passengers_within_limit:
        parts.append(f"{score.passengers_within_limit} passengers reached within the limit")
    if score.passengers_late:
        parts.append(f"{score.passengers_late} passengers reached {started_min(score.late_s)} min late")
    if score.passengers_not_reached:
        noun = "passengers " if not parts else ""
        parts.append(f"{score.passengers_not_reached} {noun}not reached (no coach takes them)")
    return "; ".join(parts)


def promise_headline(promise: PromiseScore) -> str:
    """One line: kept, or NOT KEPT with how many incidents missed, the worst lateness and who was left."""
    total = promise.total
    if promise.kept:
        return f"{KEPT}: {_count(total.incidents, 'incident')} and {total.passengers} passengers, all within the limit"
    beyond = promise.incidents_beyond
    words = [
        f"{NOT_KEPT.upper()}: {beyond} of {_count(total.incidents, 'incident')} beyond "
        f"{'its' if beyond == 1 else 'their'} limit"
    ]
    if total.passengers_late:
        words.append(f"worst {started_min(total.worst_late_s)} min late ({total.worst_late_incident})")
    if total.passengers_not_reached:
        words.append(f"{total.passengers_not_reached} passengers not reached (no coach takes them)")
    return ", ".join(words)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def share(within: int, of: int, ratio: float) -> str:
    return f"{within} / {of} ({ratio:.0%})"


def worst_lateness(tally: Tally) -> str:
    if not tally.passengers_late:
        return "—"
    return f"{started_min(tally.worst_late_s)} min ({tally.worst_late_incident})"


def tally_line(tally: Tally) -> str:
    """A tier (or all tiers) on one line: incidents and passengers within the limit, late, not reached."""
    limit = f" ({tally.limit_s // 60} min)" if tally.limit_s is not None else ""
    return (
        f"{tally.tier}{limit}: incidents within {share(tally.incidents_within, tally.incidents, tally.incidents_share)}, "
        f"passengers within {share(tally.passengers_within, tally.passengers, tally.passengers_share)}; "
        f"{tally.passengers_late} reached late, {tally.passengers_not_reached} not reached; "
        f"worst lateness {worst_lateness(tally)}"
    )


def remedy_lines(report: DrillReport) -> list[str]:
    """Per late incident the extra backup that meets its limit, then per wave the relaxations named."""
    lines = [_backup_line(remedy) for remedy in report.remedies]
    shown: set[tuple[str, ...]] = set()
    for remedy in report.remedies:
        if remedy.wave not in shown:
            shown.add(remedy.wave)
            lines.append(_relaxation_line(remedy))
    return lines


def _backup_line(remedy: Remedy) -> str:
    missed = f"{started_min(remedy.late_s)} min late" if remedy.late_s else "passengers not reached"
    head = f"{remedy.incident_id} ({missed})"
    again = remedy.backup
    if not remedy.sites_tried:
        return f"{head}: no backup could be tried (the dataset has no usable standby coach to copy)"
    tried = ", ".join(remedy.sites_tried)
    if again is None or remedy.backup_site is None:
        return f"{head}: no single extra backup meets it or comes closer (tried {tried})"
    where = f"one more standby coach with a driver at {remedy.backup_site}"
    if remedy.backup_meets:
        return f"{head}: {where} meets it — {_response(again)}"
    return (
        f"{head}: no single extra backup meets it (tried {tried}); closest: {where} — "
        f"{_response(again)}, {incident_outcome(again)}"
    )


def _response(score: IncidentScore) -> str:
    if score.response_s is None:
        return f"nobody sent (limit {score.limit_s // 60} min)"
    return f"on scene after {started_min(score.response_s)} min, limit {score.limit_s // 60} min"


def _relaxation_line(remedy: Remedy) -> str:
    wave = ", ".join(remedy.wave)
    if remedy.met_with_hard_limits:
        return f"{wave}: with every limit hard the dispatch finds a plan in time (the drill's search was cut short)"
    return f"relaxations the dispatch names for {wave}: {relaxation_summary(remedy.relaxations)}"


def relaxation_summary(relaxations: tuple[Relaxation, ...]) -> str:
    """The relaxations in the dispatch's order (the later limit, the smallest, first), one per kind:
    a kind named for many coaches (a relief driver for each of 27 crews) is shown once, with a count."""
    by_kind: dict[str, list[Relaxation]] = {}
    for relaxation in relaxations:
        by_kind.setdefault(relaxation.kind, []).append(relaxation)
    if not by_kind:
        return "none found within the budget"
    return "; ".join(
        first.description + (f" (or {len(more)} more like it)" if more else "") for first, *more in by_kind.values()
    )


def mechanics_summary(report: DrillReport) -> str:
    """``all 7 passed`` or ``2 of 7 FAILED``."""
    failed = sum(1 for check in report.checks if not check.passed)
    return f"all {len(report.checks)} passed" if not failed else f"{failed} of {len(report.checks)} FAILED"


def mechanics_heading(report: DrillReport) -> str:
    """The heading of the checks, after the promise: they test the mechanics, not the limits."""
    return f"Mechanics checks (what the system must do in this drill): {mechanics_summary(report)}"
