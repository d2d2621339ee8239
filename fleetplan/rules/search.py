"""The earliest legal start: a search over the starts where the time rules' amounts change slope.

Between two breakpoints of a :class:`~fleetplan.rules.checks.Check` every amount is linear in the
start, so the first legal start there is the left end of an intersection of half-lines; the search
walks the breakpoints, skipping ahead where a rule says plainly that nothing earlier can be legal.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from fleetplan.rules.checks import Check
from fleetplan.units import DAY

SEARCH_HORIZON_S = 8 * DAY  # 7-day window + one day of clock: beyond it past driving no longer matters


def _first_legal_in(check: Check, low: int, high: int) -> int | None:
    """The first legal start in ``[low, high]``, where every amount is linear (no breakpoint inside).

    Each constraint ``amount(low) + slope·(t − low) ≤ 0`` is a half-line in ``t``; their intersection
    is an interval whose left end is the answer.
    """
    if low > high:
        return None
    first = check.amounts(low)
    if all(amount <= 0 for amount in first.values()):
        return low
    if low == high:
        return None
    second = check.amounts(low + 1)
    if first.keys() != second.keys():  # cannot happen with complete breakpoints; stay safe
        return None
    left, right = low, high
    for key, amount in first.items():
        slope = second[key] - amount
        if slope > 0:
            right = min(right, low + (-amount) // slope)
        elif slope < 0:
            left = max(left, low - (-amount // -slope))  # low + ceil(amount / −slope)
        elif amount > 0:
            return None
    if left <= right and check.legal_at(left):
        return left
    return None


def earliest_legal_start(
    check: Check, start: int, personal_ok: Callable[[int], bool] | None, horizon_s: int
) -> int | None:
    """The first start (a stamp) from ``start`` within ``horizon_s`` at which the time rules hold.

    ``personal_ok`` tells whether the personal rules hold at a start (``None``: they cannot change
    while waiting); the search gives up as soon as they fail.
    """
    policy, d = check.policy, check.duration_s
    if d > min(policy.day_continuous_max_s, policy.max_driving_24h_s, policy.max_driving_7d_s):
        return None  # too long for any start
    last = start + horizon_s
    marks = check.breakpoints(start, last, midnights=personal_ok is not None)
    moment = start
    while moment <= last:
        if personal_ok is not None and not personal_ok(moment):
            return None  # age and qualification only get worse with time, probation was over at the start
        if check.legal_at(moment):
            return moment
        skip = check.skip_to(moment)
        if skip > moment:
            moment = skip
            continue
        following = bisect_right(marks, moment)
        next_mark = marks[following] if following < len(marks) else last + 1
        found = _first_legal_in(check, moment + 1, min(next_mark, last + 1) - 1)
        if found is not None:
            return found
        moment = next_mark
    return None


def longest_allowed(allowed: Callable[[int], bool], upper_s: int) -> int:
    """The largest duration in ``[0, upper_s]`` that ``allowed`` accepts (monotone: longer is worse)."""
    if allowed(upper_s):
        return upper_s
    low, high = 0, upper_s
    while high - low > 1:
        middle = (low + high) // 2
        if allowed(middle):
            low = middle
        else:
            high = middle
    return low
