"""One replication of a what-if: incidents over the period, each dispatched against the evolving state
(:class:`~solver.planning.whatif.replication.Replication`).

The period's timetable and the backups' placement are built first; the weather calendar and the
incident stream are drawn from the replication's seed; then day starts and candidate incidents are
played in time order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

import numpy as np

from fleetplan.corridor import Corridor
from fleetplan.timetable import trip_course
from fleetplan.units import KM

from solver.planning.whatif.fleet import staged_dataset
from solver.planning.whatif.kpis import ReplicationResult
from solver.planning.whatif.replication import Replication
from solver.planning.whatif.scenario import WhatIfScenario
from solver.planning.whatif.streams import Candidate, draw_candidates, draw_strandings
from solver.planning.whatif.timetable import period_dataset
from solver.planning.whatif.weather import draw_calendar

DAY_START = time(3, 0)  # when the day's substitutions for coaches in the workshop are made


def simulate_replication(scenario: WhatIfScenario, seed: int, corridor: Corridor) -> ReplicationResult:
    """Simulate the period of ``scenario`` once; pure and deterministic given ``seed``.

    Parameters
    ----------
    scenario
        The what-if.
    seed
        The replication's seed: it seeds the weather calendar and the incident stream
        (:class:`numpy.random.SeedSequence` children), so the result does not depend on where or when
        it runs.
    corridor
        Dataset (one week of timetable) and network.

    Returns
    -------
    ReplicationResult

    Raises
    ------
    UnknownIdError, InvalidValueError
        If the scenario names an unknown site or more backups than the standby fleet has.
    """
    # the third stream (strandings) leaves the first two, and so every earlier scenario's draws, as they were
    weather_seed, incident_seed, stranding_seed = np.random.SeedSequence(seed).spawn(3)
    assert isinstance(scenario.backups, tuple)  # WhatIfScenario normalises backups to (site, count) pairs
    staged = staged_dataset(corridor.dataset, scenario.backups, scenario.start, scenario.end)
    period = Corridor(period_dataset(staged, scenario.period), corridor.network, corridor.directory)
    calendar = draw_calendar(scenario.calendar, scenario.period, np.random.default_rng(weather_seed))
    timetable_conditions = period.dataset.clear_conditions
    candidates = draw_candidates(
        period,
        period.dataset.trips,
        calendar,
        scenario.rates,
        np.random.default_rng(incident_seed),
        timetable_conditions,
    )
    strandings = draw_strandings(
        period,
        period.dataset.trips,
        calendar,
        scenario.rates,
        np.random.default_rng(stranding_seed),
        timetable_conditions,
    )
    replication = Replication(period, scenario, calendar)
    for moment, event in events_in_order(scenario, (*candidates, *strandings)):
        if isinstance(event, date):
            replication.start_day(event, moment)
        else:
            replication.incidents(event)
    vehicle_km = (
        sum(
            trip_course(
                period.network, trip, period.dataset.vehicle(trip.vehicle_id).vehicle_class, timetable_conditions
            ).length_m
            for trip in period.dataset.trips
        )
        / KM
    )
    return replication.result(seed, round(vehicle_km, 1))


def events_in_order(
    scenario: WhatIfScenario, candidates: tuple[Candidate, ...]
) -> Iterator[tuple[datetime, date | list[Candidate]]]:
    """Day starts and candidate incidents in time order (a day start before an incident at the same
    time); the candidates of one wave come as one event (they happen together)."""
    events: list[tuple[datetime, int, int, date | list[Candidate]]] = [
        (datetime.combine(day, DAY_START), 0, index, day) for index, day in enumerate(scenario.period)
    ]
    waves: dict[int, list[Candidate]] = {}
    for index, candidate in enumerate(candidates):
        if candidate.wave is None:
            events.append((candidate.at, 1, index, [candidate]))
        elif candidate.wave in waves:
            waves[candidate.wave].append(candidate)
        else:
            waves[candidate.wave] = [candidate]
            events.append((candidate.at, 1, index, waves[candidate.wave]))
    for moment, _, _, event in sorted(events, key=lambda e: e[:3]):
        yield moment, event
