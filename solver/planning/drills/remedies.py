"""What would have met a missed limit: for each late incident of a drill, the relaxations the
dispatch names when the limits are made hard, and the first staging point (a depot or a service
area of ``sites.csv``) at which one more standby coach with a driver gets it reached in time
(or, when none does, the one that comes closest).

Every answer comes from the public dispatch path (:func:`solver.dispatch.dispatch`) on a variant of
the dataset (``dataclasses.replace``), with the wave's own conditions and unavailable coaches and
drivers. The solves are one-plan and short (:data:`REMEDY_PARAMS`): on a loaded machine a cut search
may miss a staging point that would work, never name one that does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError
from fleetplan.model import Incident, VehicleStatus
from fleetplan.operations import OperationsPolicy

from solver.dispatch import Budget, Dispatch, SolveParams, Status, dispatch
from solver.planning.drills.results import DrillReport, Remedy
from solver.planning.drills.scores import IncidentScore, score_dispatch
from solver.planning.whatif.fleet import backup_drivers, usable_standby

# One plan each; the relaxation probes share the hard-limit solve's budget (solver.dispatch.relax).
REMEDY_PARAMS = SolveParams(budget=Budget.wall_clock(0.5), alternatives=1)
RELAXATION_BUDGET_S = 1.0
EXTRA_ID = "extra-{site}"  # the id of the added coach (and the tail of its plate)


def find_remedies(
    report: DrillReport,
    corridor: Corridor,
    ops: OperationsPolicy = OperationsPolicy(),
    params: SolveParams = REMEDY_PARAMS,
) -> tuple[Remedy, ...]:
    """One :class:`Remedy` per incident of ``report`` beyond its limit, wave by wave.

    Parameters
    ----------
    report
        The drill as run (its dispatches keep each wave's conditions and unavailable resources).
    corridor
        The corridor the drill ran on.
    ops
        The drill's operating assumptions.
    params
        For every extra solve (one plan; the seed is the drill's).
    """
    params = replace(params, alternatives=1, seed=report.scenario.seed)
    found: list[Remedy] = []
    for incidents, outcome in zip(report.scenario.waves, report.dispatches):
        wave_ids = tuple(group.incident_id for group in outcome.instance.groups)
        late = [s for s in report.scores if s.incident_id in wave_ids and not s.within_limit]
        if late:
            found += _wave_remedies(corridor, incidents, outcome, late, wave_ids, ops, params)
    return tuple(found)


def _wave_remedies(
    corridor: Corridor,
    incidents: Sequence[Incident],
    outcome: Dispatch,
    late: list[IncidentScore],
    wave_ids: tuple[str, ...],
    ops: OperationsPolicy,
    params: SolveParams,
) -> list[Remedy]:
    hard = _redispatch(corridor, incidents, outcome, ops, hard_limit_params(params))
    met_hard = hard.result.status in (Status.OPTIMAL, Status.FEASIBLE)
    backups, tried = best_backup_sites(corridor, incidents, outcome, late, ops, params)
    remedies = []
    for score in late:
        site, again = backups.get(score.incident_id, (None, None))
        remedies.append(
            Remedy(score.incident_id, score.late_s, wave_ids, hard.result.relaxations, met_hard, tried, again, site)
        )
    return remedies


def best_backup_sites(
    corridor: Corridor,
    incidents: Sequence[Incident],
    outcome: Dispatch,
    late: Sequence[IncidentScore],
    ops: OperationsPolicy = OperationsPolicy(),
    params: SolveParams = REMEDY_PARAMS,
) -> tuple[dict[str, tuple[str, IncidentScore]], tuple[str, ...]]:
    """For each incident of ``late`` (its scores in ``outcome``), the first staging point (in
    ``sites.csv`` order) at which one more backup gets all its passengers reached within its limit —
    or, if none does, the site that comes closest (fewer passengers not reached, then fewer late, then
    less lateness) — with the incident's score there. An incident no extra backup helps is left out.

    The wave is dispatched again once per site (with ``outcome``'s conditions and unavailable
    resources) until every late incident is met; the sites tried are returned too.
    """
    best: dict[str, tuple[str | None, IncidentScore]] = {s.incident_id: (None, s) for s in late}
    tried: list[str] = []
    day = incidents[0].at.date()
    if not usable_standby(corridor.dataset, day, day):
        return {}, ()  # no coach to copy: the dataset has no usable standby coach
    for site in corridor.dataset.sites:
        if all(score.within_limit for _, score in best.values()):
            break
        tried.append(site.id)
        staged = _redispatch(with_extra_backup(corridor, site.id, day), incidents, outcome, ops, params)
        if not staged.sound:
            continue  # only a plan the independent evaluator accepts may name a staging point
        for again in score_dispatch(staged):
            if again.incident_id in best and _closer(again, best[again.incident_id][1]):
                best[again.incident_id] = (site.id, again)
    return {i: (site, score) for i, (site, score) in best.items() if site is not None}, tuple(tried)


def _closer(score: IncidentScore, than: IncidentScore) -> bool:
    """Fewer passengers not reached, then fewer late, then less lateness: strictly, so the first site wins ties."""

    def key(s: IncidentScore) -> tuple[int, int, int]:
        return (s.passengers_not_reached, s.passengers_late, s.late_s)

    return key(score) < key(than)


def with_extra_backup(corridor: Corridor, site_id: str, day: date) -> Corridor:
    """``corridor`` with one more standby coach, and a driver of its own, standing at ``site_id``.

    The coach is a copy of the dataset's first usable standby coach (the biggest, see
    :func:`solver.planning.whatif.usable_standby`) under the id ``extra-<site>``; the driver a copy
    of a legal standby driver stationed at the site on a service-hours shift (as the what-if places
    its backups). Everything else is unchanged.

    Raises
    ------
    UnknownIdError
        If ``site_id`` is not a site of the dataset.
    InvalidValueError
        If the dataset has no usable standby coach or no standby driver who may drive it on ``day``.
    """
    dataset = corridor.dataset
    site = dataset.site(site_id)
    pool = usable_standby(dataset, day, day)
    if not pool:
        raise InvalidValueError("backups", f"the dataset has no standby coach with a permit valid on {day}")
    extra_id = EXTRA_ID.format(site=site.id)
    coach = replace(
        pool[0], id=extra_id, plate=f"{pool[0].plate}/{extra_id}", home_depot=site.id, status=VehicleStatus.STANDBY
    )
    drivers = backup_drivers(dataset, ((site.id, coach),), day, day)
    staged = replace(dataset, vehicles=dataset.vehicles + (coach,), drivers=dataset.drivers + drivers)
    return replace(corridor, dataset=staged)


def hard_limit_params(params: SolveParams) -> SolveParams:
    """Hard limits turn a late plan into an infeasible answer, which names its relaxations; the
    relaxation probes get at least :data:`RELAXATION_BUDGET_S`."""
    budget = Budget(max(params.budget.seconds, RELAXATION_BUDGET_S), params.budget.kind)
    return replace(params, hard_limits=True, budget=budget)


def _redispatch(
    corridor: Corridor, incidents: Sequence[Incident], outcome: Dispatch, ops: OperationsPolicy, params: SolveParams
) -> Dispatch:
    """The wave again, under the same conditions and with the same coaches and drivers busy."""
    return dispatch(
        corridor,
        incidents,
        outcome.instance.conditions,
        ops=ops,
        params=params,
        unavailable=outcome.instance.unavailable,
    )
