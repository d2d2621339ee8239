"""The smallest changes that would make an infeasible dispatch feasible (DESIGN §3.2).

Each relaxation would, on its own, let every stranded passenger be carried (with hard limits: be
reached within the limit), and each names what the dispatcher would arrange:

- ``later_limit``: a response limit N minutes later, the least N some probe proves enough; the
  rescues the builder priced but did not offer for being too late (:attr:`Instance.late_options`)
  count here, so a night incident whose only coaches arrive hours late still gets its number;
- ``relay``: a relay (接驳) through the 02:00–05:00 stop, for rescues the stop held until 05:00;
- ``call_in``: calling in the fewest off-shift drivers (each named, with when they can be with their
  coach) for coaches that nobody on shift could take;
- ``overtime``: the fewest drivers on shift working past its end (each named, until when), for
  rescues legal under every driving rule that run past the driver's shift
  (:attr:`Instance.overtime_options`); it carries everyone, but each rescue named says how late it
  is, so under hard limits a later limit may be needed beside it;
- ``split``: splitting passengers over several smaller coaches;
- ``second_driver``: a relief driver for a coach whose drivers were left out for their driving hours
  or a rest due (not for a coach that simply has no driver on shift: that is a call-in);
- ``closure_exemption``: an escorted entry through a road closure;
- ``more_seats``: the seats missing even with all of the above (never claimed while seats that a
  later limit, a relay or a call-in would bring are there).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from ortools.sat.python import cp_model

from fleetplan.instance import Instance, RejectionCode, RescueOption
from fleetplan.phrase import Joined, Phrase, PlaceRef, phrase
from fleetplan.units import ceil_minutes, format_hhmm
from fleetplan.wording import names_of, render

from solver.dispatch.crew_relaxations import CallIn, call_ins, relay_options
from solver.dispatch.model import build_model
from solver.dispatch.params import Allowance, SolveParams
from solver.dispatch.result import Relaxation

RELIEF_CODES = {RejectionCode.HOURS_LEFT, RejectionCode.REST_DUE}  # a second driver shares the driving
# Each probe may take half of what is left of the budget, up to a cap, so a series of probes (the
# binary search below) stays within the budget but for the floor. A probe cut short decides nothing:
# no relaxation is claimed on it.
PROBE_CAP_S = 0.2
PROBE_FLOOR_S = 0.02


def find_relaxations(
    instance: Instance, params: SolveParams, allowance: Allowance | None = None
) -> tuple[Relaxation, ...]:
    """Each relaxation that would, on its own, let every stranded passenger be carried (or, with hard
    limits, reached in time).

    Parameters
    ----------
    instance
        The infeasible instance.
    params
        Its solve parameters (``allow_split``, ``hard_limits`` and the workers matter here).
    allowance
        What is left of the solve's budget, for the probes (default: a fresh ``params.budget``).

    Returns
    -------
    tuple of Relaxation
        In the order of the module docstring.
    """
    allowance = allowance if allowance is not None else Allowance(params.budget)
    found: list[Relaxation] = []
    widened = with_options(instance, instance.late_options)
    extra_min = least_limit_extension_min(widened, params, allowance)
    if extra_min is not None and extra_min > 0:
        found.append(relaxation(instance, "later_limit", phrase("relax.later_limit", min=extra_min), extra_min))
    relayed = [o for o in relay_options(instance) if o.late_s <= instance.ops.max_late_s]
    found += _relay(instance, params, allowance, relayed)
    called = _fewest_call_ins(instance, call_ins(instance))
    found += _call_in(instance, called)
    found += _overtime(instance, params, allowance)
    if not params.allow_split and _fixes(instance, replace(params, allow_split=True), allowance):
        found.append(relaxation(instance, "split", phrase("relax.split")))
    relieved = _relieved_crews(instance)
    found += _second_driver(instance, relieved)
    found += _closure_exemption(instance)
    shortfall = _seat_shortfall(instance, called, relieved)
    if shortfall > 0:
        found.append(relaxation(instance, "more_seats", phrase("relax.more_seats", n=shortfall), shortfall))
    return tuple(found)


def relaxation(instance: Instance, kind: str, said: Phrase, amount: int | None = None) -> Relaxation:
    """A relaxation described in English, with its phrase kept for the other language."""
    return Relaxation(kind, render(said, "en", names_of(instance.network, instance.dataset)), amount, said)


def with_options(instance: Instance, options: Iterable[RescueOption]) -> Instance:
    """``instance`` with these rescue options offered too (for a probe; the trips are left as they are)."""
    extra = tuple(options)
    return replace(instance, rescue_options=instance.rescue_options + extra) if extra else instance


# --------------------------------------------------------------------------- a later limit
def least_limit_extension_min(instance: Instance, params: SolveParams, allowance: Allowance) -> int | None:
    """The fewest extra minutes on every limit with which all passengers are reached in time, as far
    as the probes can prove within the budget; None if even unlimited lateness does not carry
    everyone (or that could not be decided in time).

    The answer always suffices: the search only ever settles on a lateness some probe proved enough.
    A probe cut short counts as not proven, so with little budget left the answer may be larger than
    the least.
    """
    lateness = sorted({o.late_s for o in instance.rescue_options})
    if not _carries_everyone(instance, params, allowance):
        return None
    low, high = 0, len(lateness) - 1  # binary search over the distinct lateness values; high is proven
    while low < high:
        middle = (low + high) // 2
        if _carries_everyone(instance, params, allowance, max_late_s=lateness[middle]):
            high = middle
        else:
            low = middle + 1
    return ceil_minutes(lateness[low]) if lateness else 0


def _fixes(instance: Instance, params: SolveParams, allowance: Allowance) -> bool | None:
    """Whether ``instance`` (a relaxed variant) carries everyone, within the limit under hard limits."""
    return _carries_everyone(instance, params, allowance, max_late_s=0 if params.hard_limits else None)


def _carries_everyone(
    instance: Instance, params: SolveParams, allowance: Allowance, max_late_s: int | None = None
) -> bool | None:
    """Whether some choice of options carries every passenger, each option at most ``max_late_s`` late;
    None when the probe's time ran out before it could tell (falsy: nothing is claimed on it)."""
    relaxed = replace(params, hard_limits=False)
    dm = build_model(instance, relaxed)
    for group in instance.groups:
        options = instance.rescue_options_by_group.get(group.id, ())
        dm.model.add(sum(dm.passengers[o.id] for o in options) == group.passengers)
    for option in instance.rescue_options:
        if max_late_s is not None and option.late_s > max_late_s:
            dm.model.add(dm.use_rescue[option.id] == 0)
    solver = cp_model.CpSolver()
    allowance.limit(solver, min(PROBE_CAP_S, max(allowance.left_s() / 2, PROBE_FLOOR_S)))
    solver.parameters.num_workers = params.workers
    dm.model.clear_objective()
    status = solver.solve(dm.model)
    allowance.charge(solver)
    if status == cp_model.UNKNOWN:
        return None
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


# --------------------------------------------------------------------------- a relay, a call-in
def _relay(
    instance: Instance, params: SolveParams, allowance: Allowance, relayed: Sequence[RescueOption]
) -> list[Relaxation]:
    if not relayed or not _fixes(with_options(instance, relayed), params, allowance):
        return []
    first = min(relayed, key=lambda o: (o.scene_arrival, o.id))
    held = next(o for o in (*instance.rescue_options, *instance.late_options) if f"{o.id}~relay" == first.id)
    policy = instance.driving_policy
    window = f"{policy.overnight_stop_start:%H:%M}–{policy.overnight_stop_end:%H:%M}"
    gained_min = ceil_minutes((held.scene_arrival - first.scene_arrival).total_seconds())
    said = phrase(
        "relax.relay",
        window=window,
        vehicle=first.vehicle_id,
        driver=first.driver_id,
        depart=format_hhmm(first.depart_at),
        arrival=format_hhmm(first.scene_arrival),
        lateness=_lateness(first.late_s),
        held=format_hhmm(held.scene_arrival),
    )
    return [relaxation(instance, "relay", said, gained_min)]


def _fewest_call_ins(instance: Instance, candidates: Sequence[CallIn]) -> list[CallIn]:
    """The fewest call-ins (earliest at the scene first, each coach and driver once) whose seats make
    up every group's shortfall of reachable seats; none if they cannot."""
    chosen: list[CallIn] = []
    offered = {o.vehicle_id for o in instance.rescue_options}
    for group in instance.groups:
        missing = group.passengers - sum(o.capacity for o in _best_option_per_vehicle(instance, group.id))
        for candidate in candidates:
            if missing <= 0:
                break
            taken = {c.vehicle_id for c in chosen} | {c.driver_id for c in chosen} | offered
            if candidate.group_id == group.id and not {candidate.vehicle_id, candidate.driver_id} & taken:
                chosen.append(candidate)
                missing -= candidate.seats
        if missing > 0:
            return []
    return chosen


def _call_in(instance: Instance, called: Sequence[CallIn]) -> list[Relaxation]:
    if not called:
        return []
    parts = tuple(
        phrase(
            "relax.call_in_part",
            driver=c.driver_id,
            vehicle=c.vehicle_id,
            place=PlaceRef(c.node_id),
            ready=format_hhmm(c.with_coach_at),
            arrival=format_hhmm(c.scene_arrival),
            lateness=_lateness(c.late_s),
        )
        for c in called
    )
    said = phrase("relax.call_in", n=len(parts), parts=Joined(parts, "and"))
    return [relaxation(instance, "call_in", said, len(parts))]


def _overtime(instance: Instance, params: SolveParams, allowance: Allowance) -> list[Relaxation]:
    """The fewest overtime rescues with which everyone is carried, as a probe proves it; nothing when
    no probe does. Unlike the others this one may leave passengers late (a blizzard makes every
    rescue late, and the shifts end all the same): each chosen rescue says how late it is."""
    past = {o.id: _past_shift_min(instance, o) for o in instance.overtime_options}
    chosen = _fewest_used(instance, params, allowance, instance.overtime_options, past)
    if not chosen:
        return []
    parts = tuple(
        phrase(
            "relax.overtime_part",
            driver=option.driver_id,
            vehicle=option.vehicle_id,
            until=format_hhmm(option.destination_arrival),
            past=past[option.id],
            incident=instance.group(option.group_id).incident_id,
            arrival=format_hhmm(option.scene_arrival),
            lateness=_lateness(option.late_s),
        )
        for option in sorted(chosen, key=lambda o: (o.scene_arrival, o.driver_id))
    )
    said = phrase("relax.overtime", n=len(parts), parts=Joined(parts, "and"))
    return [relaxation(instance, "overtime", said, len(parts))]


def _past_shift_min(instance: Instance, option: RescueOption) -> int:
    window = instance.dataset.driver(option.driver_id).shift_window(option.depart_at)
    return ceil_minutes((option.destination_arrival - window[1]).total_seconds()) if window else 0


def _fewest_used(
    instance: Instance,
    params: SolveParams,
    allowance: Allowance,
    extra: Sequence[RescueOption],
    cost: dict[str, int],
) -> list[RescueOption]:
    """The fewest of ``extra`` that, offered beside the instance's options, carry everyone (late or
    not: each chosen option states its lateness), then the least ``cost`` (per option id, below
    10 000 each); [] when none do or the probe could not tell in time."""
    if not extra:
        return []
    widened = with_options(instance, extra)
    relaxed = replace(params, hard_limits=False)
    dm = build_model(widened, relaxed)
    for group in widened.groups:
        options = widened.rescue_options_by_group.get(group.id, ())
        dm.model.add(sum(dm.passengers[o.id] for o in options) == group.passengers)
    dm.model.minimize(sum(dm.use_rescue[o.id] * (10_000 + min(cost[o.id], 9_999)) for o in extra))
    solver = cp_model.CpSolver()
    allowance.limit(solver, min(PROBE_CAP_S, max(allowance.left_s() / 2, PROBE_FLOOR_S)))
    solver.parameters.num_workers = params.workers
    status = solver.solve(dm.model)
    allowance.charge(solver)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return []
    return [o for o in extra if solver.value(dm.use_rescue[o.id])]


def _lateness(late_s: int) -> Phrase:
    return phrase("relax.in_time") if late_s == 0 else phrase("relax.late", min=ceil_minutes(late_s))


# --------------------------------------------------------------------------- drivers, closures, seats
def _relieved_crews(instance: Instance) -> dict[tuple[str, str | None], set[Phrase]]:
    """(coach, group) → why its drivers were left out, for coaches left out only for their drivers'
    hours or a rest due: a relief driver sharing the driving would let them go."""
    reasons: dict[tuple[str, str | None], set[Phrase]] = defaultdict(set)
    for rejection in instance.rejections:
        if rejection.code in RELIEF_CODES and "+" in rejection.candidate:  # a crew: coach+driver
            vehicle_id, driver_id = rejection.candidate.split("+", 1)
            reasons[(vehicle_id, rejection.group_id)].add(phrase("driver_code", driver=driver_id, code=rejection.code))
    return reasons


def _second_driver(instance: Instance, relieved: dict[tuple[str, str | None], set[Phrase]]) -> list[Relaxation]:
    """One relaxation: relief drivers for the fewest relieved coaches, nearest first (the builder
    rejects in order of approach), whose seats make up each group's shortfall; all of them when
    even that is not enough (seats unknown)."""
    seats = {v.id: v.seats for v in instance.dataset.vehicles} if instance.dataset is not None else {}
    chosen: dict[str, set[Phrase]] = {}
    for group in instance.groups:
        missing = group.passengers - sum(o.capacity for o in _best_option_per_vehicle(instance, group.id))
        for (vehicle_id, group_id), reasons in relieved.items():
            if missing > 0 and group_id in (group.id, None) and vehicle_id not in chosen:
                chosen[vehicle_id] = set(reasons)
                missing -= seats.get(vehicle_id, 0)
            elif vehicle_id in chosen:
                chosen[vehicle_id] |= reasons
        if missing > 0:  # not enough even with all: name them all
            chosen = {v: set(r) for (v, _), r in relieved.items()} | chosen
    if not chosen:
        return []
    parts = tuple(
        phrase("relax.second_driver_part", vehicle=vehicle_id, reasons=Joined(_in_order(reasons), "semicolon"))
        for vehicle_id, reasons in chosen.items()
    )
    said = phrase("relax.second_driver", n=len(parts), parts=Joined(parts, "and"))
    return [relaxation(instance, "second_driver", said, len(parts))]


def _in_order(reasons: set[Phrase]) -> tuple[Phrase, ...]:
    """Drivers' reasons by driver, then code: the same text on every run."""
    return tuple(sorted(reasons, key=lambda said: (str(said.facts["driver"]), str(said.facts["code"]))))


def _closure_exemption(instance: Instance) -> list[Relaxation]:
    """Closed roads that kept coaches from the scene: an escorted entry would let them through."""
    closed = instance.conditions.closed_entrances or instance.conditions.closed_edges
    blocked = sorted({r.candidate for r in instance.rejections if r.code == RejectionCode.UNREACHABLE})
    if not closed or not blocked:
        return []
    said = phrase("relax.closure_exemption", blocked=tuple(blocked))
    return [relaxation(instance, "closure_exemption", said, len(blocked))]


def _seat_shortfall(
    instance: Instance, called: Sequence[CallIn], relieved: dict[tuple[str, str | None], set[Phrase]]
) -> int:
    """Seats missing for the groups even if every coach that some relaxation would bring could go:
    the offered rescues, the ones too late to offer, the called-in and the relieved coaches."""
    seats = {v.id: v.seats for v in instance.dataset.vehicles} if instance.dataset is not None else {}
    shortfall = 0
    for group in instance.groups:
        capacity = {
            o.vehicle_id: o.capacity
            for o in (*instance.late_options, *instance.rescue_options)
            if o.group_id == group.id
        }
        capacity.update({c.vehicle_id: c.seats for c in called if c.group_id == group.id})
        for vehicle_id, group_id in relieved:
            if group_id in (group.id, None):
                capacity.setdefault(vehicle_id, seats.get(vehicle_id, 0))
        shortfall += max(0, group.passengers - sum(capacity.values()))
    return shortfall


def _best_option_per_vehicle(instance: Instance, group_id: str):
    best: dict[str, RescueOption] = {}
    for option in instance.rescue_options_by_group.get(group_id, ()):
        if option.vehicle_id not in best or option.capacity > best[option.vehicle_id].capacity:
            best[option.vehicle_id] = option
    return best.values()
