"""Build a dispatch :class:`~fleetplan.instance.Instance` from the corridor, the incidents and the
conditions: tasks, candidate crews, every feasible option, and a reason for every rejection.

Eligibility is decided here, before any model (DESIGN §3.2), so the solver only chooses. The steps:
:mod:`~fleetplan.builder.groups` (stranded passengers, tier and deadline), :mod:`~fleetplan.builder.crews`
(candidate coach–driver pairs), :mod:`~fleetplan.builder.rescues` (rescue options), :mod:`~fleetplan.builder.routes` (one crew
through several scenes; :mod:`~fleetplan.builder.passing_routes` a coach on its trip stopping at
several) and
:mod:`~fleetplan.builder.trips` (later trips and who could run them; :mod:`~fleetplan.builder.cover_timing`
when a crew can be at one), sharing a :class:`~fleetplan.builder.context.BuildContext`. The one caller is
:func:`solver.dispatch.prepare`; the cyclic collector is paused meanwhile (:mod:`fleetplan.collector`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from fleetplan.builder.context import BuildContext
from fleetplan.builder.crews import candidate_crews, standby_by_city
from fleetplan.builder.groups import failed_crews, stranded_group
from fleetplan.builder.rescues import group_rescues
from fleetplan.builder.routes import rescue_routes
from fleetplan.builder.trips import ChainRescues, CoverCrews, trip_options, trip_tasks
from fleetplan.builder.two_cores import made_on_two_cores
from fleetplan.collector import collector_paused
from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError
from fleetplan.instance import Instance, RescueOption, StrandedGroup
from fleetplan.live import NO_FIXES, LiveFixes, picture, with_positions
from fleetplan.model import Conditions, Incident
from fleetplan.on_time import on_time_rescues
from fleetplan.operations import OperationsPolicy
from fleetplan.state import snapshot

__all__ = ["BuildContext", "build_instance", "candidate_crews", "stranded_groups"]


@collector_paused()
def build_instance(
    corridor: Corridor,
    incidents: Sequence[Incident],
    conditions: Conditions,
    ops: OperationsPolicy = OperationsPolicy(),
    unavailable: Mapping[str, str] = MappingProxyType({}),
    fixes: LiveFixes = NO_FIXES,
) -> Instance:
    """The dispatch instance for ``incidents`` (decided at the latest report time).

    ``unavailable`` maps coach or driver ids to why they cannot be used now (for example "booked by
    incident 12"); they are rejected as busy. ``fixes`` are the coaches' latest GPS fixes: a fresh one
    places its coach (:mod:`fleetplan.live`), else the timetable does.

    Raises
    ------
    UnknownIdError, InvalidValueError, LocationError
        For an unknown coach or trip, passengers above the coach's seats, or an unknown location.
    """
    ctx, groups = _context_and_groups(corridor, incidents, conditions, ops, unavailable, fixes)
    corridor, at, failed = ctx.corridor, ctx.at, set(ctx.failed)
    ctx.unavailable = {**failed_crews(ctx, groups), **ctx.unavailable}
    crews = candidate_crews(ctx, groups, failed)
    rescues = made_on_two_cores(ctx, groups, lambda group: group_rescues(ctx, group, crews), len(crews) * len(groups))
    routes = () if _everyone_on_time_alone(groups, rescues) else tuple(rescue_routes(ctx, groups, rescues))
    rescuing = {option.crew_id for option in rescues}
    tasks = trip_tasks(ctx, groups, [crew for crew in crews if crew.id in rescuing], failed)
    groups_by_id = {group.id: group for group in groups}
    task_ids = frozenset(task.trip_id for task in tasks)
    covers, chains = CoverCrews.of(crews), ChainRescues.of(rescues, routes)
    trip_opts = made_on_two_cores(
        ctx,
        tasks,
        lambda task: trip_options(ctx, task, covers, chains, groups_by_id, task_ids),
        len(crews) * len(tasks),
    )
    return Instance(
        at=at,
        incidents=tuple(incidents),
        groups=groups,
        trip_tasks=tasks,
        crews=crews,
        rescue_options=rescues,
        trip_options=trip_opts,
        rejections=tuple(ctx.rejections),
        late_options=tuple(ctx.late_options),
        overtime_options=tuple(ctx.overtime_options),
        standby_by_city=MappingProxyType(standby_by_city(ctx, failed)),
        duty_logs=MappingProxyType({d: s.duty_log for d, s in ctx.state.drivers.items()}),
        conditions=conditions,
        tier_policy=corridor.dataset.tier_policy,
        driving_policy=corridor.dataset.driving_policy,
        dataset=corridor.dataset,
        network=corridor.network,
        unavailable=MappingProxyType(dict(unavailable)),
        ops=ops,
        live=ctx.live,
        route_options=routes,
    )


def _everyone_on_time_alone(groups: Sequence[StrandedGroup], rescues: Sequence[RescueOption]) -> bool:
    """Whether one coach per group, each sent once, can reach every passenger on time (a quick search
    finds such coaches, without splitting a group). A route then cannot better the leading terms of
    the objective, and the solver chooses among the direct rescues alone: no route is built (on a
    large fleet, thousands of routes whose driver rules cost seconds to check)."""
    by_group: dict[str, list[RescueOption]] = {}
    for option in rescues:
        by_group.setdefault(option.group_id, []).append(option)
    return on_time_rescues(groups, by_group, allow_split=False) is not None


def stranded_groups(
    corridor: Corridor,
    incidents: Sequence[Incident],
    conditions: Conditions,
    ops: OperationsPolicy = OperationsPolicy(),
    fixes: LiveFixes = NO_FIXES,
) -> tuple[StrandedGroup, ...]:
    """The first step of :func:`build_instance` alone: each incident's stranded passengers, tier and
    deadline, with the same checks and errors (a caller that records a report before it dispatches
    validates it at this price, not a whole build's)."""
    return _context_and_groups(corridor, incidents, conditions, ops, MappingProxyType({}), fixes)[1]


def _context_and_groups(
    corridor: Corridor,
    incidents: Sequence[Incident],
    conditions: Conditions,
    ops: OperationsPolicy,
    unavailable: Mapping[str, str],
    fixes: LiveFixes,
) -> tuple[BuildContext, tuple[StrandedGroup, ...]]:
    if not incidents:
        raise InvalidValueError("incidents", "at least one incident is needed")
    at = max(incident.at for incident in incidents)
    corridor = corridor.at(at)  # the trips of the days around the report, not the template week
    live = picture(corridor.network, corridor.dataset, fixes, at)
    state = with_positions(snapshot(corridor.dataset, at), live)
    failed = frozenset(incident.vehicle_id for incident in incidents)
    ctx = BuildContext(corridor, conditions, ops, at, state, unavailable=unavailable, failed=failed, live=live)
    return ctx, tuple(stranded_group(ctx, incident) for incident in incidents)
