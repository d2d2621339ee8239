"""Ranked alternatives: which plans are alternatives at all, and why each ranks below the first.

A dispatcher reads the alternatives as other ways to answer the incident, to fall back on when the
first crew does not answer the phone or the desk knows better. Two kinds of plan are no such thing:

- a plan that sends the **same rescue crews** (coach and driver) as one ranked above it and differs
  only in who runs the later trips or in how the passengers are split;
- a **dominated** plan: it sends the same crews as another plan, or those and more, for an objective
  no better. "The first coach, plus a minibus for one passenger" is the first plan with a phone call
  more and nothing gained.

The model keeps both out (:func:`solver.dispatch.model.add_alternative_cut`); :func:`ranked` makes
sure of it whatever the search reached, orders the plans and says for each alternative, in a few
words from the first objective term where it is worse, why it ranks below the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from fleetplan.plan import Plan
from fleetplan.wording import render, why_below_phrase


def dominates(better: Plan, worse: Plan) -> bool:
    """Whether ``worse`` sends all of ``better``'s rescue crews (the same or more) for an objective no
    better (lexicographically at least ``better``'s)."""
    return worse.rescue_crews() >= better.rescue_crews() and worse.objective >= better.objective


def ranked(plans: Sequence[Plan]) -> tuple[Plan, ...]:
    """``plans`` best first (by objective; ties keep their order), without a dominated one, each
    alternative saying why it ranks below the first (:attr:`Plan.why_below_first`).

    A plan that another dominates is dropped; of two plans with the same crews and the same objective,
    the first found stays.
    """
    kept: list[Plan] = []
    for plan in sorted(plans, key=lambda p: p.objective):
        if any(dominates(other, plan) for other in kept):
            continue
        kept = [other for other in kept if not dominates(plan, other)] + [plan]
    if not kept:
        return ()
    first = kept[0]
    return (replace(first, why_below_first=""),) + tuple(
        replace(plan, why_below_first=why_below(first, plan)) for plan in kept[1:]
    )


def why_below(first: Plan, alternative: Plan) -> str:
    """A few words on why ``alternative`` ranks below ``first``: its first objective term that is worse
    ("12 km more empty running"), or, equal on every term, what it changes (another coach or driver)."""
    said = why_below_phrase(first, alternative)
    return render(said, "en") if said is not None else ""
