"""A :class:`~fleetplan.oracle.world.World` from an in-memory :class:`fleetplan.model.Dataset`.

What-if runs and tests change duty logs, vehicle status and so on in memory, so the oracle must be
able to take the dataset handed in. The conversion is field by field and nothing else; only the road
network (and the condition presets, whose weathers the model's enum may not all name) are read from
files, by the oracle's own reader.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

from fleetplan.model import Conditions, Dataset, Driver, DrivingPolicy, DutyInterval, Site, Trip, Vehicle
from fleetplan.oracle.reading import read_network, read_presets
from fleetplan.oracle.world import Coach, DriverRow, LogRow, Policy, Preset, StopRow, TierRule, Tiers, TripRow, World
from fleetplan.oracle.world import Site as SiteRow


def clock_sod(clock: time) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second


def coach_of(vehicle: Vehicle) -> Coach:
    return Coach(
        vehicle.id, vehicle.seats, vehicle.length_m, vehicle.home_depot, str(vehicle.status), vehicle.permit_valid_until
    )


def driver_of(driver: Driver) -> DriverRow:
    return DriverRow(
        driver.id,
        str(driver.licence_class),
        driver.licence_issued,
        driver.birth_date,
        driver.qualified_until,
        driver.home_depot,
        clock_sod(driver.shift_start),
        clock_sod(driver.shift_end),
    )


def log_row_of(interval: DutyInterval) -> LogRow:
    return LogRow(interval.driver_id, interval.start, interval.end, str(interval.activity))


def trip_of(trip: Trip) -> TripRow:
    return TripRow(
        trip.id,
        str(trip.kind),
        trip.vehicle_id,
        trip.driver_id,
        trip.booked_passengers,
        tuple(trip.signed_driver_ids),
        tuple(StopRow(stop.node_id, stop.planned) for stop in trip.stops),
    )


def site_of(site: Site) -> SiteRow:
    return SiteRow(site.id, str(site.kind), site.node_id)


def policy_of(policy: DrivingPolicy) -> Policy:
    return Policy(
        day_continuous_max_s=policy.day_continuous_max_s,
        night_continuous_max_s=policy.night_continuous_max_s,
        min_rest_s=policy.min_rest_s,
        max_driving_24h_s=policy.max_driving_24h_s,
        max_driving_7d_s=policy.max_driving_7d_s,
        night_start_sod=clock_sod(policy.night_start),
        night_end_sod=clock_sod(policy.night_end),
        overnight_rule=str(policy.overnight_rule),
        overnight_stop_start_sod=clock_sod(policy.overnight_stop_start),
        overnight_stop_end_sod=clock_sod(policy.overnight_stop_end),
        max_driver_age=policy.max_driver_age,
        # read by name: a model without the switch keeps the oracle's default
        driver_age_reached=str(getattr(policy, "driver_age_reached", Policy.driver_age_reached)),
        probation_months=policy.probation_months,
        charter_sign_filing_delay_s=policy.charter_sign_filing_delay_s,
    )


def tiers_of(tier_policy: Any) -> Tiers:
    """The tiers of a ``fleetplan.tiers.TierPolicy``, read by attribute (the oracle does not import
    the engine's tier module)."""

    def rule(tier: Any) -> TierRule:
        return TierRule(str(tier.name), int(tier.limit_s), int(tier.late_penalty_per_min))

    return Tiers(
        rule(tier_policy.city),
        rule(tier_policy.near_backup),
        rule(tier_policy.corridor),
        rule(tier_policy.pre_departure),
        city_radius_m=int(tier_policy.city_radius_m),
        near_backup_radius_m=int(tier_policy.near_backup_radius_m),
        escalation_after_s=int(tier_policy.escalation_after_s),
    )


def preset_of(conditions: Conditions) -> Preset:
    return Preset(
        conditions.name,
        tuple(sorted((str(road_class), str(weather)) for road_class, weather in conditions.weather)),
        frozenset(conditions.closed_entrances),
        frozenset(conditions.closed_edges),
    )


def world_from_dataset(dataset: Dataset, network_dir: Path | str) -> World:
    """The oracle's world of ``dataset``, with the road network read from ``network_dir``.

    Parameters
    ----------
    dataset
        A loaded (possibly changed in memory) dataset.
    network_dir
        The ``network/`` folder; the condition presets are read from ``conditions.toml`` beside it
        when it exists (its weathers may go beyond the model's enum), else taken from the dataset.
    """
    network_dir = Path(network_dir)
    places, posts, roads, expressway, notes = read_network(network_dir)
    presets = read_presets(network_dir.parent / "conditions.toml") or tuple(preset_of(c) for c in dataset.conditions)
    return World(
        places=places,
        posts=posts,
        roads=roads,
        expressway=expressway,
        sites=tuple(site_of(s) for s in dataset.sites),
        coaches=tuple(coach_of(v) for v in dataset.vehicles),
        drivers=tuple(driver_of(d) for d in dataset.drivers),
        duty_log=tuple(log_row_of(i) for i in dataset.duty_log),
        trips=tuple(trip_of(t) for t in dataset.trips),
        policy=policy_of(dataset.driving_policy),
        tiers=tiers_of(dataset.tier_policy),
        presets=presets,
        notes=notes,
    )
