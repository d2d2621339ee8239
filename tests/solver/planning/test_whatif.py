"""What-if simulation: scenario checks, backup placement, the weekly timetable, incident streams, the
evolving state, KPIs with intervals, and identical results on every engine."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from fleetplan.corridor import Corridor, load_corridor
from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.model import IncidentKind, TripKind, VehicleStatus, Weather
from fleetplan.rules import personal_eligibility
from fleetplan.timetable import trip_course

from solver.dispatch import dispatch, prepare, solve
from solver.planning import BreakdownRates
from solver.planning.whatif import (
    Engine,
    IncidentRates,
    WhatIfScenario,
    replication_seeds,
    run_whatif,
    share_with_ci,
    simulate_replication,
    write_outputs,
)
from solver.planning.whatif.fleet import service_hours, staged_dataset, usable_standby
from solver.planning.whatif.kpis import wilson_interval
from solver.planning.whatif.replication import Replication
from solver.planning.whatif.reproducible import reproducible_params
from solver.planning.whatif.simulate import events_in_order
from solver.planning.whatif.streams import Candidate, draw_candidates, draw_strandings
from solver.planning.whatif.timetable import period_dataset, period_history, period_trips
from solver.planning.whatif.weather import WeatherCalendar, conditions_at, draw_calendar

MONDAY = date(2027, 1, 4)  # a Monday in January, four weeks after the dataset week
BACKUPS = {"siping_depot": 2, "changchun_depot": 1, "gongzhuling_sa": 1}
# rates far above the defaults so that two days give several incidents of every kind
BUSY_RATES = IncidentRates(
    BreakdownRates(mdbf_km=2_000), no_start_per_departure=0.03, accidents_per_million_km=300, illness_per_trip=0.03
)


@pytest.fixture(scope="module")
def corridor() -> Corridor:
    return load_corridor()


@pytest.fixture(scope="module")
def busy_scenario() -> WhatIfScenario:
    return WhatIfScenario(
        MONDAY, MONDAY + timedelta(days=1), BACKUPS, calendar="winter", rates=BUSY_RATES, solve_budget_s=0.1
    )


@pytest.fixture(scope="module")
def local_result(corridor, busy_scenario):
    return run_whatif(busy_scenario, 3, 11, Engine.LOCAL, corridor=corridor)


# --------------------------------------------------------------------------- scenario
def test_scenario_normalises_backups_so_order_does_not_matter():
    one = WhatIfScenario(MONDAY, MONDAY, {"siping_depot": 2, "changchun_depot": 1})
    other = WhatIfScenario(MONDAY, MONDAY, {"changchun_depot": 1, "siping_depot": 2})
    assert one == other and hash(one) == hash(other)
    assert one.backup_counts == {"changchun_depot": 1, "siping_depot": 2}
    assert one.total_backups == 3 and one.days == 1


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"start": MONDAY, "end": MONDAY - timedelta(days=1)}, "end"),
        ({"backups": {"siping_depot": -1}}, "backups"),
        ({"backups": {"siping_depot": 1.5}}, "backups"),
        ({"calendar": "monsoon"}, "calendar"),
        ({"solve_budget_s": 0}, "solve_budget_s"),
        ({"solve_budget_s": float("inf")}, "solve_budget_s"),
        ({"solve_budget_s": 5000}, "solve_budget_s"),
        ({"end": MONDAY + timedelta(days=400)}, "end"),
    ],
)
def test_bad_scenarios_name_the_field(kwargs, field):
    arguments = {"start": MONDAY, "end": MONDAY, "backups": {"siping_depot": 1}} | kwargs
    with pytest.raises(InvalidValueError) as error:
        WhatIfScenario(**arguments)
    assert error.value.field == field


def test_old_coaches_fail_four_times_as_often_and_everyone_more_in_winter(corridor):
    rates = IncidentRates().breakdowns
    old, young = corridor.dataset.vehicle("c21"), corridor.dataset.vehicle("c07")  # 2013 and 2022
    summer, winter = date(2027, 7, 1), date(2027, 1, 4)
    assert rates.failure_factor(young, summer) == 1.0
    assert rates.failure_factor(old, summer) == pytest.approx(4.0)
    assert rates.failure_factor(young, winter) == pytest.approx(1.5)
    assert rates.failure_factor(old, winter) == rates.max_failure_factor(winter) == pytest.approx(6.0)


# --------------------------------------------------------------------------- backups
def test_backups_replace_the_standby_placement_biggest_first(corridor):
    staged = staged_dataset(corridor.dataset, WhatIfScenario(MONDAY, MONDAY, BACKUPS).backups, MONDAY, MONDAY)
    standby = [v for v in staged.vehicles if v.status == VehicleStatus.STANDBY]
    by_site = {site: sorted(v.id for v in standby if v.home_depot == site) for site in BACKUPS}
    assert {site: len(ids) for site, ids in by_site.items()} == BACKUPS
    pool = usable_standby(corridor.dataset, MONDAY, MONDAY)
    assert {v.id for v in standby} == {v.id for v in pool[:4]}  # the four biggest usable ones
    assert "c20" not in {v.id for v in pool}  # its permit expired in 2026
    in_service = {v.id for v in corridor.dataset.vehicles if v.status != VehicleStatus.STANDBY}
    assert in_service <= {v.id for v in staged.vehicles}


def test_every_backup_has_a_legal_driver_of_its_own_on_shift_at_its_site(corridor):
    staged = staged_dataset(corridor.dataset, (("gongzhuling_sa", 1), ("siping_depot", 1)), MONDAY, MONDAY)
    copies = [d for d in staged.drivers if d.id not in {x.id for x in corridor.dataset.drivers}]
    assert sorted(d.home_depot for d in copies) == ["gongzhuling_sa", "siping_depot"]
    shift_start, shift_end = service_hours(corridor.dataset)
    first_departure = min(t.departure.time() for t in corridor.dataset.trips)
    last_arrival = max(t.arrival.time() for t in corridor.dataset.trips)
    assert shift_start < first_departure and last_arrival < shift_end
    for driver in copies:
        assert (driver.shift_start, driver.shift_end) == (shift_start, shift_end)
        for vehicle in (v for v in staged.vehicles if v.status == VehicleStatus.STANDBY):
            assert personal_eligibility(driver, vehicle, MONDAY, staged.driving_policy) == ()


def test_unknown_site_and_too_many_backups_are_refused(corridor):
    with pytest.raises(UnknownIdError, match="harbin_depot"):
        staged_dataset(corridor.dataset, (("harbin_depot", 1),), MONDAY, MONDAY)
    with pytest.raises(InvalidValueError, match="asks for 12"):
        staged_dataset(corridor.dataset, (("siping_depot", 12),), MONDAY, MONDAY)


# --------------------------------------------------------------------------- timetable
def test_the_week_repeats_over_the_period_on_the_right_weekdays(corridor):
    days = tuple(MONDAY + timedelta(days=i) for i in range(14))
    trips = period_trips(corridor.dataset, days)
    assert len(trips) == 2 * len(corridor.dataset.trips)
    assert len({t.id for t in trips}) == len(trips)
    template = {t.id: t for t in corridor.dataset.trips}
    for trip in trips:
        original = template[trip.id.split("@")[0]]
        assert trip.departure.weekday() == original.departure.weekday()
        assert trip.departure.time() == original.departure.time()
        assert trip.id.endswith(trip.departure.date().isoformat())


def test_the_period_runs_as_the_service_calendar_says(corridor):
    """New Year's Day 2027 (a Friday) runs no staff runs (calendar.toml), as at the desk; the students'
    Friday runs still leave. Without the calendar every Friday trip would run."""
    new_year = date(2027, 1, 1)
    kinds = {trip.kind for trip in period_trips(corridor.dataset, (new_year,))}
    assert kinds and not kinds & {TripKind.STAFF_MORNING, TripKind.STAFF_EVENING}
    plain = replace(corridor.dataset, calendar=None)
    assert {TripKind.STAFF_MORNING, TripKind.STAFF_EVENING} <= {t.kind for t in period_trips(plain, (new_year,))}
    friday = date(2027, 1, 8)  # an ordinary Friday runs the same trips with and without the calendar
    assert [t.id for t in period_trips(corridor.dataset, (friday,))] == [t.id for t in period_trips(plain, (friday,))]


def test_history_is_shifted_to_lie_before_the_period(corridor):
    friday = date(2027, 1, 8)
    history = period_history(corridor.dataset, friday)
    assert max(i.end for i in history) <= datetime.combine(friday, datetime.min.time())
    assert max(i.end for i in history).date() >= friday - timedelta(days=7)


def test_incidents_on_g1_are_placed_where_the_timetable_puts_the_coach(corridor):
    trip = period_trips(corridor.dataset, (MONDAY,))[0]
    vehicle_class = corridor.dataset.vehicle(trip.vehicle_id).vehicle_class
    course = trip_course(corridor.network, trip, vehicle_class, corridor.dataset.clear_conditions)
    assert 100 <= course.length_m / 1000 <= 160 and 80 <= course.g1_km <= 130
    positions = [course.g1_position(f) for f in (0.0, 0.25, 0.5, 0.75, 1.0)]
    offsets = [p.offset_s for p in positions]
    assert offsets == sorted(offsets)  # further along the road, later in the trip
    assert 0 < offsets[0] and offsets[-1] < (trip.arrival - trip.departure).total_seconds()
    for position in positions:
        location = corridor.network.locate(position.location)
        assert location.direction == position.direction and location.on_edge


# --------------------------------------------------------------------------- weather and streams
def test_clear_calendar_has_no_weather_and_winter_is_seeded(corridor):
    days = tuple(MONDAY + timedelta(days=i) for i in range(60))
    clear = draw_calendar("clear", days, np.random.default_rng(1))
    assert {w for _, w in clear.days} == {Weather.CLEAR} and clear.closures == ()
    winter = draw_calendar("winter", days, np.random.default_rng(1))
    assert winter == draw_calendar("winter", days, np.random.default_rng(1))
    blizzard_days = {day for day, weather in winter.days if weather == Weather.BLIZZARD}
    assert blizzard_days and blizzard_days <= {window.start.date() for window in winter.closures}
    window = winter.closures[0]
    closed = conditions_at(corridor.dataset, winter, window.start)
    assert closed.closed_entrances == frozenset({"*"})
    assert conditions_at(corridor.dataset, winter, window.start - timedelta(minutes=1)).closed_entrances in (
        frozenset(),
        frozenset({"*"}),
    )  # an earlier window may overlap


def test_candidate_streams_are_reproducible_and_scale_with_the_failure_rate(corridor):
    period = Corridor(
        period_dataset(corridor.dataset, (MONDAY, MONDAY + timedelta(days=1))), corridor.network, corridor.directory
    )
    calendar = WeatherCalendar("clear", ((MONDAY, Weather.CLEAR),))

    def draw(rates, seed):
        return draw_candidates(
            period, period.dataset.trips, calendar, rates, np.random.default_rng(seed), period.dataset.clear_conditions
        )

    busy = draw(BUSY_RATES, 3)
    assert busy == draw(BUSY_RATES, 3)
    assert [c.at for c in busy] == sorted(c.at for c in busy)
    kinds = {c.kind for seed in range(20) for c in draw(BUSY_RATES, seed)}
    assert {IncidentKind.BREAKDOWN, IncidentKind.DRIVER_ILLNESS} <= kinds

    def breakdowns(rates):
        return sum(c.kind == IncidentKind.BREAKDOWN for seed in range(5) for c in draw(rates, seed))

    assert breakdowns(replace(BUSY_RATES, breakdowns=BreakdownRates(mdbf_km=500))) > 2 * breakdowns(
        replace(BUSY_RATES, breakdowns=BreakdownRates(mdbf_km=5_000))
    )
    trips = {t.id: t for t in period.dataset.trips}
    for candidate in busy:
        trip = trips[candidate.trip_id]
        if candidate.pre_departure:
            assert candidate.at < trip.departure and candidate.location == trip.origin
        else:
            assert trip.departure < candidate.at < trip.arrival and candidate.location.startswith("G1 K")


# --------------------------------------------------------------------------- the reproducible solve
def test_the_budgeted_solve_is_deterministic_and_sound(corridor):
    from fleetplan.evaluate import evaluate
    from fleetplan.model import Incident

    incident = Incident(
        "w1", IncidentKind.BREAKDOWN, "c01", None, "G1 K60 toward Siping", datetime(2026, 12, 7, 7, 30), 42
    )
    instance = prepare(corridor, [incident], corridor.dataset.conditions_named("clear"))
    first = solve(instance, reproducible_params(0.2))
    second = solve(instance, reproducible_params(0.2))
    assert first.best == second.best and first.status.value in ("optimal", "feasible")
    assert not first.wall_capped
    assert evaluate(first.best, instance) == []
    outcome = dispatch(
        corridor, [incident], corridor.dataset.conditions_named("clear"), params=reproducible_params(0.2)
    )
    assert outcome.best == first.best and outcome.problems == ((),)


# --------------------------------------------------------------------------- the evolving state
def _replication(corridor: Corridor, scenario: WhatIfScenario) -> tuple[Replication, Corridor]:
    staged = staged_dataset(corridor.dataset, scenario.backups, scenario.start, scenario.end)
    period = Corridor(period_dataset(staged, scenario.period), corridor.network, corridor.directory)
    calendar = WeatherCalendar("clear", tuple((day, Weather.CLEAR) for day in scenario.period))
    return Replication(period, scenario, calendar), period


def _breakdown(period: Corridor, trip_prefix: str, fraction: float, later_s: int = 0) -> Candidate:
    trip = next(t for t in period.dataset.trips if t.id.startswith(trip_prefix))
    course = trip_course(
        period.network, trip, period.dataset.vehicle(trip.vehicle_id).vehicle_class, period.dataset.clear_conditions
    )
    position = course.g1_position(fraction)
    return Candidate(
        at=trip.departure + timedelta(seconds=int(position.offset_s) + later_s),
        trip_id=trip.id,
        planned_departure=trip.departure,
        kind=IncidentKind.BREAKDOWN,
        location=position.location,
        pre_departure=False,
        accept_u=0.0,
        max_factor=1.0,
        duration_h=30.0,
    )


def test_rescuers_stay_busy_and_the_failed_coach_goes_to_the_workshop(corridor):
    scenario = WhatIfScenario(
        MONDAY, MONDAY + timedelta(days=1), {"changchun_depot": 1, "siping_depot": 1}, solve_budget_s=0.2
    )
    replication, period = _replication(corridor, scenario)
    first = _breakdown(period, "T1207-AM1", 0.5)
    replication.incident(first)
    outcome = replication.outcomes[0]
    assert outcome.carried == outcome.passengers and outcome.evaluator_problems == 0
    assert replication.workshop["c01"] == first.at + timedelta(hours=30)
    for vehicle_id in outcome.rescue_vehicles:
        if vehicle_id in replication.busy:
            assert replication.busy[vehicle_id][0] > first.at + timedelta(minutes=30)
        else:  # only a passing coach goes on with its own trip, unbooked
            assert any(
                t.vehicle_id == vehicle_id and t.departure <= first.at < t.arrival for t in replication.trips.values()
            )
    # a second coach fails a minute later: the first one's rescuers are not sent again
    replication.incident(_breakdown(period, "T1207-AM2", 0.5, later_s=60))
    second = replication.outcomes[1]
    booked = {v for v in outcome.rescue_vehicles if v in replication.busy}
    assert booked and not booked & set(second.rescue_vehicles)
    # the next morning, c01 (still in the workshop) hands its trips to a free standby coach
    tuesday = MONDAY + timedelta(days=1)
    replication.start_day(tuesday, datetime.combine(tuesday, datetime.min.time()) + timedelta(hours=3))
    tuesday_trips = [
        t for t in replication.trips.values() if t.departure.date() == tuesday and t.id.split("@")[0].endswith("AM1")
    ]
    assert tuesday_trips and all(t.vehicle_id != "c01" for t in tuesday_trips)
    assert replication.substitutions + replication.lost_no_substitute > 0


def test_simulation_is_a_pure_function_of_the_seed(corridor, busy_scenario):
    seed = replication_seeds(5, 1)[0]
    first = simulate_replication(busy_scenario, seed, corridor)
    assert first == simulate_replication(busy_scenario, seed, corridor)
    assert first.outcomes and all(o.evaluator_problems == 0 for o in first.outcomes)
    other = simulate_replication(busy_scenario, replication_seeds(6, 1)[0], corridor)
    assert other.outcomes != first.outcomes


def test_outcomes_are_consistent_with_their_tier_limits(local_result):
    outcomes = [o for r in local_result.replications for o in r.outcomes]
    assert outcomes
    for outcome in outcomes:
        assert outcome.tier in ("city", "near_backup", "corridor", "pre_departure")
        if outcome.reached_within_limit and outcome.tier != "pre_departure":
            assert outcome.response_s <= outcome.limit_s
        if outcome.response_s is not None and outcome.response_s > outcome.limit_s and outcome.tier != "pre_departure":
            assert not outcome.reached_within_limit


# --------------------------------------------------------------------------- KPIs
def test_share_interval_uses_the_spread_between_replications():
    share, low, high = share_with_ci([3, 1, 2], [4, 4, 4])
    assert share == pytest.approx(0.5)
    assert low < 0.5 < high
    assert share_with_ci([], []) == (None, None, None)
    assert share_with_ci([0, 0], [0, 0]) == (None, None, None)


def test_share_interval_falls_back_to_wilson_when_replications_agree():
    share, low, high = share_with_ci([5, 5], [5, 5])
    assert share == 1.0 and high == 1.0
    assert (low, high) == pytest.approx(wilson_interval(10, 10))
    assert 0.6 < low < 0.8  # ten out of ten proves little


def test_kpis_per_tier_add_up_to_all(local_result):
    tiers = {k.tier: k for k in local_result.tiers}
    assert list(tiers) == ["city", "near_backup", "corridor", "pre_departure", "all"]
    assert tiers["all"].incidents == sum(k.incidents for name, k in tiers.items() if name != "all")
    everything = tiers["all"]
    assert everything.incidents > 0
    assert 0 <= everything.ci_low <= everything.reached_within_limit <= everything.ci_high <= 1
    assert everything.response_p50_min <= everything.response_p90_min
    assert math.isclose(everything.incidents_per_rep, everything.incidents / 3, abs_tol=1e-3)


def test_outputs_are_a_kpi_table_and_two_plots(local_result, tmp_path):
    files = write_outputs(local_result, tmp_path / "out")
    assert [f.name for f in files] == ["kpis.csv", "response_times.png", "compliance.png"]
    lines = (tmp_path / "out" / "kpis.csv").read_text().splitlines()
    assert lines[0].startswith("tier,incidents,incidents_per_rep,reached_within_limit,ci_low,ci_high")
    assert [line.split(",")[0] for line in lines[1:]] == ["city", "near_backup", "corridor", "pre_departure", "all"]
    for png in files[1:]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- engines
def test_bad_runs_are_refused_before_any_work(corridor, busy_scenario):
    with pytest.raises(InvalidValueError, match="engine"):
        run_whatif(busy_scenario, 1, 0, "spark", corridor=corridor)
    with pytest.raises(InvalidValueError, match="reps"):
        run_whatif(busy_scenario, 0, 0, corridor=corridor)
    with pytest.raises(InvalidValueError, match="scheduler"):
        run_whatif(busy_scenario, 1, 0, Engine.LOCAL, scheduler="tcp://127.0.0.1:1", corridor=corridor)
    with pytest.raises(UnknownIdError, match="harbin"):
        run_whatif(replace(busy_scenario, backups={"harbin": 1}), 1, 0, corridor=corridor)


def test_replication_seeds_extend_and_do_not_repeat():
    assert replication_seeds(1, 5)[:3] == replication_seeds(1, 3)
    assert len(set(replication_seeds(1, 50))) == 50


def test_progress_is_reported_for_every_replication(corridor):
    scenario = WhatIfScenario(MONDAY, MONDAY, BACKUPS)
    calls = []
    run_whatif(scenario, 2, 0, corridor=corridor, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


@pytest.mark.slow
def test_same_seed_same_kpis_in_process_in_a_process_pool_and_on_dask(corridor, busy_scenario, local_result):
    from distributed import LocalCluster

    processes = run_whatif(busy_scenario, 3, 11, Engine.PROCESSES, corridor=corridor, workers=2)
    assert processes == local_result
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = run_whatif(busy_scenario, 3, 11, Engine.DASK, scheduler=cluster.scheduler_address, corridor=corridor)
    assert on_dask == local_result
    assert on_dask.tiers == local_result.tiers and sum(k.incidents for k in on_dask.tiers[:-1]) > 0


# --------------------------------------------------------------------------- a blizzard strands coaches together
def test_a_blizzard_onset_strands_the_coaches_then_on_g1_together_and_only_on_a_blizzard_day(corridor):
    period = Corridor(
        period_dataset(corridor.dataset, (MONDAY, MONDAY + timedelta(days=1))), corridor.network, corridor.directory
    )
    trips = period.dataset.trips
    blizzard = WeatherCalendar("winter", ((MONDAY, Weather.BLIZZARD), (MONDAY + timedelta(days=1), Weather.CLEAR)))
    conditions = period.dataset.clear_conditions
    every = IncidentRates(blizzard_stranding_share=1.0)
    for seed in range(12):  # onsets over the service hours: some catch coaches on G1
        found = draw_strandings(period, trips, blizzard, every, np.random.default_rng(seed), conditions)
        assert len({(c.at, c.wave) for c in found}) <= 1  # one onset, one wave
        for candidate in found:
            assert candidate.at.date() == MONDAY and candidate.location.startswith("G1 K")
            trip = period.dataset.trip(candidate.trip_id)
            assert trip.departure <= candidate.at < trip.arrival
        on_g1 = [
            t
            for t in trips
            if found
            and t.departure <= found[0].at < t.arrival
            and trip_course(period.network, t, period.dataset.vehicle(t.vehicle_id).vehicle_class, conditions)
            .location_at(t.departure, found[0].at)
            .startswith("G1 ")
        ]
        assert len(found) == len(on_g1)  # with share 1 every coach then on G1 is snowbound
    never = IncidentRates(blizzard_stranding_share=0.0)
    assert draw_strandings(period, trips, blizzard, never, np.random.default_rng(1), conditions) == ()
    clear = WeatherCalendar("winter", ((MONDAY, Weather.SNOWFALL), (MONDAY + timedelta(days=1), Weather.CLEAR)))
    assert draw_strandings(period, trips, clear, every, np.random.default_rng(1), conditions) == ()


def test_incidents_that_happen_together_are_planned_together(corridor):
    """Two coaches snowbound at once are one dispatch: each outcome says so, each has its own id and
    group, and no rescue coach is sent to both unless one route collects both."""
    scenario = WhatIfScenario(
        MONDAY, MONDAY + timedelta(days=1), {"changchun_depot": 1, "siping_depot": 1}, solve_budget_s=0.2
    )
    replication, period = _replication(corridor, scenario)
    first = _breakdown(period, "T1207-AM1", 0.5)
    second = replace(_breakdown(period, "T1207-AM2", 0.5), at=first.at)
    replication.incidents([replace(first, wave=1), replace(second, wave=1)])
    one, two = replication.outcomes
    assert (one.planned_with, two.planned_with) == (2, 2)
    assert one.incident_id != two.incident_id and {one.vehicle_id, two.vehicle_id} == {"c01", "c02"}
    assert one.evaluator_problems == two.evaluator_problems == 0
    for outcome in (one, two):
        assert 0 <= outcome.reached_in_time <= outcome.carried <= outcome.passengers
    assert replication.workshop.keys() >= {"c01", "c02"}


def test_a_stranding_wave_is_one_event_of_the_simulation(corridor):
    scenario = WhatIfScenario(MONDAY, MONDAY, {"siping_depot": 1})
    at = datetime.combine(MONDAY, datetime.min.time()) + timedelta(hours=8)
    alone = Candidate(at, "x", at, IncidentKind.BREAKDOWN, "G1 K10 toward Changchun", False, 0.0, 1.0, 2.0)
    wave = [replace(alone, trip_id=f"w{k}", wave=7) for k in range(3)]
    events = [event for _, event in events_in_order(scenario, (alone, *wave))]
    assert [len(e) for e in events if isinstance(e, list)] == [1, 3]


def test_the_winter_open_calendar_is_the_same_winter_with_the_entrances_never_closed():
    days = [MONDAY + timedelta(days=k) for k in range(60)]
    closed = draw_calendar("winter", days, np.random.default_rng(4))
    open_ = draw_calendar("winter-open", days, np.random.default_rng(4))
    assert open_.days == closed.days and closed.closures and open_.closures == ()
