"""The rests of a standing crew's rescue (world-model §6): none when the duty is legal without one;
else the one of the two kinds that delivers first, a tie going to the rest at the scene —

- at the scene, right after the transfer: the shortest of at least ``min_rest`` (to the minute) after
  which the onward drive is legal;
- on the way: ``min_rest`` at a rest place (a depot, stop or town the fastest onward route visits, or
  the parking beside a service-area carriageway node it drives by) after which the whole duty is legal.

The oracle searches both itself and judges the plan's rest against them: a needed rest the plan
leaves out, a rest the duty does not need, and one that delivers later than the better choice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fleetplan.oracle.case import Claim, Disagreement
from fleetplan.oracle.duty import Interval, time_findings
from fleetplan.oracle.facts import Facts
from fleetplan.oracle.paths import Route
from fleetplan.oracle.places import Place
from fleetplan.oracle.rescue_common import seconds, tolerance_s
from fleetplan.oracle.speed import to_s
from fleetplan.plan import Rescue

MAX_REST_S = 8 * 3600  # a longer wait at the scene is no plan: the search for the needed rest stops there
REST_STEP_S = 60  # the needed rest is found to the minute
REST_PLACE_KINDS = frozenset({"depot", "stop", "town"})  # off the expressway; parkings are added by lane


def pieces(rescue: Rescue, transfer_s: int, rest_s: int) -> tuple[Interval, ...]:
    """The rescue's pieces in the driver's log (§7), those of no length left out: drive to the scene,
    other duty until the transfer is done, the rest at the scene, the onward drive (split around the
    rest on the way, if the plan has one)."""
    transfer_end = rescue.boarding_at + timedelta(seconds=transfer_s)
    leave = transfer_end + timedelta(seconds=rest_s)
    onward = [Interval(leave, rescue.destination_arrival, "drive", True)]
    if rescue.rest_on_way_at is not None:
        rested = rescue.rest_on_way_at + timedelta(seconds=rescue.rest_on_way_s)
        onward = [
            Interval(leave, rescue.rest_on_way_at, "drive", True),
            Interval(rescue.rest_on_way_at, rested, "rest", True),
            Interval(rested, rescue.destination_arrival, "drive", True),
        ]
    found = (
        Interval(rescue.depart_at, rescue.scene_arrival, "drive", True),
        Interval(rescue.scene_arrival, transfer_end, "other", True),
        Interval(transfer_end, leave, "rest", True),
        *onward,
    )
    return tuple(piece for piece in found if piece.end > piece.start)


def rest_places(facts: Facts, route: Route) -> list[str]:
    """The rest places ``route`` passes, in order, its two ends left out."""
    kinds, nodes = facts.graph.kinds, route.nodes
    found = []
    for node in nodes[1:-1]:
        if kinds.get(node) in REST_PLACE_KINDS:
            found.append(node)
        if kinds.get(node) == "carriageway" and kinds.get(f"{node}.parking") == "parking":
            found.append(f"{node}.parking")  # the coach pulls into the parking of its own side
    return found


def to_rest_place(
    facts: Facts, claim: Claim, rescue: Rescue, scene: Place, stop: str, leave: datetime
) -> tuple[list[Disagreement], Place, datetime, float]:
    """The stated rest on the way: a rest place on the fastest route from the scene to ``stop``, reached
    when the oracle's route says, a rest of at least ``min_rest``. Returns the disagreements, where and
    when the coach drives on, and the metres to the rest place."""
    node, policy = rescue.rest_on_way_node, facts.world.policy
    onward = facts.router.fastest(scene, facts.place(stop), to_s(leave))
    if node not in facts.graph.kinds:
        reason = "the oracle knows no such node"
        return [claim.disagree("rest_on_way_node", node, "unknown", "rest_place", reason)], scene, leave, 0.0
    found = []
    if onward is not None and node not in rest_places(facts, onward):
        reason = f"not a rest place on the way from the scene to {stop}"
        found.append(claim.disagree("rest_on_way_node", node, rest_places(facts, onward), "rest_place", reason))
    if rescue.rest_on_way_s < policy.min_rest_s:
        reason = f"a rest is at least {policy.min_rest_s // 60} min"
        found.append(claim.disagree("rest_on_way_s", rescue.rest_on_way_s, policy.min_rest_s, "rest", reason))
    place = facts.place(node)
    first = facts.router.fastest(scene, place, to_s(leave))
    if first is None:
        reason = f"no open road from the scene to {node}"
        found.append(claim.disagree("rest_on_way_at", rescue.rest_on_way_at, "no route", "no_route", reason))
        return found, place, leave, 0.0
    reached = leave + timedelta(seconds=first.seconds)
    assert rescue.rest_on_way_at is not None  # the caller checks a rest on the way is stated
    found += _compare(claim, "rest_on_way_at", rescue.rest_on_way_at, reached, tolerance_s(first))
    rested = rescue.rest_on_way_at + timedelta(seconds=rescue.rest_on_way_s)
    return found, place, rested, float(first.length_m)


def _compare(claim: Claim, field_name: str, claimed: datetime, expected: datetime, tol_s: int) -> list[Disagreement]:
    gap = seconds(claimed - expected)
    if abs(gap) <= tol_s:
        return []
    kind = "too_early" if gap < 0 else "pessimistic"
    return [claim.disagree(field_name, claimed, expected, kind, f"{gap:+d} s against the oracle's route")]


class _Rests:
    """The duty up to the transfer and the two ways to rest after it, for one rescue."""

    def __init__(
        self, facts: Facts, rescue: Rescue, base: list[Interval], onward: tuple[Place, Place], overnight: bool
    ):
        self.facts, self.rescue, self.onward, self.overnight = facts, rescue, onward, overnight
        self.transfer_end = rescue.boarding_at + timedelta(seconds=facts.case.transfer_s)
        self.before = base + [p for p in pieces(rescue, facts.case.transfer_s, 0) if p.end <= self.transfer_end]

    def legal(self, extra: list[Interval]) -> bool:
        found = time_findings(self.before + extra, self.facts.world.policy, self.overnight)
        return not [f for f in found if f.rule != "double_booked"]

    def at_scene(self, rest_s: int) -> datetime | None:
        """The delivery after a rest of ``rest_s`` at the scene, None if the onward drive is not legal."""
        leave = self.transfer_end + timedelta(seconds=rest_s)
        route = self.facts.router.fastest(*self.onward, to_s(leave))
        if route is None:
            return None
        arrival = leave + timedelta(seconds=route.seconds)
        return arrival if self.legal([Interval(leave, arrival, "drive", True)]) else None

    def on_way(self) -> tuple[datetime, str] | None:
        """The earliest legal delivery with ``min_rest`` at a rest place on the way (after no rest at
        the scene, or after ``min_rest`` there too), and the place."""
        facts, (scene, stop) = self.facts, self.onward
        min_rest = timedelta(seconds=facts.world.policy.min_rest_s)
        best = None
        for scene_rest in (timedelta(0), min_rest):
            leave = self.transfer_end + scene_rest
            direct = facts.router.fastest(scene, stop, to_s(leave))  # the way it would drive on
            for node in rest_places(facts, direct) if direct else []:
                first = facts.router.fastest(scene, facts.place(node), to_s(leave))
                if first is None:
                    continue
                reached = leave + timedelta(seconds=first.seconds)
                second = facts.router.fastest(facts.place(node), stop, to_s(reached + min_rest))
                if second is None:
                    continue
                arrival = reached + min_rest + timedelta(seconds=second.seconds)
                duty = [
                    Interval(self.transfer_end, leave, "rest", True),
                    Interval(leave, reached, "drive", True),
                    Interval(reached, reached + min_rest, "rest", True),
                    Interval(reached + min_rest, arrival, "drive", True),
                ]
                if (best is None or arrival < best[0]) and self.legal([p for p in duty if p.end > p.start]):
                    best = (arrival, node)
        return best

    def shortest_at_scene(self) -> int | None:
        return shortest_rest(lambda rest_s: self.at_scene(rest_s) is not None, self.facts.world.policy.min_rest_s)


def judge_rests(
    facts: Facts, claim: Claim, rescue: Rescue, base: list[Interval], onward: tuple[Place, Place], overnight: bool
) -> list[Disagreement]:
    """The plan's rests against the oracle's choice (module docstring)."""
    rests = _Rests(facts, rescue, base, onward, overnight)
    if rescue.rest_on_way_at is None:
        found = rest_at_scene(rests, claim, rescue)
        if found or rests.at_scene(0) is not None:
            return found
        better = rests.on_way()  # a needed rest: the rest on the way may deliver sooner, or be the only legal one
        if better is not None and seconds(rescue.destination_arrival - better[0]) > tolerance_slack(
            facts, onward, rescue
        ):
            reason = f"a rest at {better[1]} on the way delivers at {better[0]:%H:%M}"
            return [claim.disagree("destination_arrival", rescue.destination_arrival, better[0], "rest", reason)]
        return []
    if rests.at_scene(0) is not None:
        return [
            claim.disagree(
                "rest_on_way_s", rescue.rest_on_way_s, 0, "rest", "a rest the duty does not need delays them"
            )
        ]
    choices = [found for found in (rests.on_way(),) if found is not None]
    scene_rest = rests.shortest_at_scene()
    if scene_rest is not None:
        arrival = rests.at_scene(scene_rest)
        assert arrival is not None  # shortest_rest found it legal
        choices.append((arrival, "the scene"))
    if not choices:
        return []  # no rest makes the duty legal: the duty check says why
    best = min(choices)
    if seconds(rescue.destination_arrival - best[0]) > tolerance_slack(facts, onward, rescue):
        reason = f"a rest at {best[1]} delivers at {best[0]:%H:%M}"
        return [claim.disagree("destination_arrival", rescue.destination_arrival, best[0], "rest", reason)]
    return []


def tolerance_slack(facts: Facts, onward: tuple[Place, Place], rescue: Rescue) -> int:
    """The tolerance on a delivery time: that of the direct onward route, twice (two legs)."""
    route = facts.router.fastest(*onward, to_s(rescue.boarding_at))
    return 2 * tolerance_s(route) if route else 60


def rest_at_scene(rests: _Rests, claim: Claim, rescue: Rescue) -> list[Disagreement]:
    """The rest at the scene the plan states against the shortest the onward drive needs: none when
    driving on right after the transfer is legal, else at least ``min_rest`` (exactly that when only
    the continuous-driving rule needs it; longer when, say, the 24-hour window must move on)."""
    stated, min_rest_s = rescue.rest_at_scene_s, rests.facts.world.policy.min_rest_s

    def legal(rest_s: int) -> bool:
        return rests.at_scene(rest_s) is not None

    if stated == 0:
        if legal(0):
            return []
        needed = shortest_rest(legal, min_rest_s)
        if needed is None:
            return []  # no rest at the scene makes the onward drive legal: the rest on the way, or the duty check
        reason = f"the onward drive needs a rest of {needed // 60} min at the scene first"
        return [claim.disagree("rest_at_scene_s", stated, needed, "rest", reason)]
    if legal(0):
        return [claim.disagree("rest_at_scene_s", stated, 0, "rest", "a rest the duty does not need delays them")]
    if not legal(stated):
        needed = shortest_rest(legal, min_rest_s)
        if needed is not None:
            reason = f"the onward drive needs a rest of {needed // 60} min at the scene first"
            return [claim.disagree("rest_at_scene_s", stated, needed, "rest", reason)]
    elif stated > min_rest_s and legal(max(min_rest_s, stated - REST_STEP_S - 30)):
        needed = shortest_rest(legal, min_rest_s)
        reason = "a rest longer than the duty needs delays the passengers"
        return [claim.disagree("rest_at_scene_s", stated, needed, "rest", reason)]
    return []


def shortest_rest(legal: Callable[[int], bool], min_rest_s: int) -> int | None:
    """0 when no rest is needed, else the shortest rest from ``min_rest_s`` on (to the minute) after
    which ``legal`` holds; None when even :data:`MAX_REST_S` does not do."""
    if legal(0):
        return 0
    if legal(min_rest_s):
        return min_rest_s
    if not legal(MAX_REST_S):
        return None
    low, high = min_rest_s, MAX_REST_S  # illegal at low, legal at high
    while high - low > REST_STEP_S:
        middle = (low + high) // 2
        low, high = (low, middle) if legal(middle) else (middle, high)
    return high
