"""Placing the scenario's backups: a :class:`~fleetplan.model.Dataset` variant in which N standby
coaches stand at each named site, each with a legal driver stationed there.

The scenario *replaces* the dataset's standby placement. The coaches come from the dataset's standby
fleet, biggest first (a permit valid through the whole period before one that lapses in it; then
younger before older); standby coaches not placed are left out of the variant. Each placed coach gets
a driver of its own: a **copy** of a legal standby driver of the dataset (one who drives no timetable
trip), with a new id ``<driver>-<site>-<k>``, stationed at the site on a shift covering service hours,
and with an empty duty log (fresh). The dataset's own drivers stay as they are.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.model import Dataset, Driver, Vehicle, VehicleStatus
from fleetplan.rules import personal_eligibility

SERVICE_MARGIN = timedelta(hours=1)  # backup drivers are on shift this long before and after the timetable


def usable_standby(dataset: Dataset, start: date, end: date) -> tuple[Vehicle, ...]:
    """The standby coaches with a permit valid on ``start``, in the order they are placed.

    Biggest first; a permit valid through ``end`` before one that lapses in the period; then the
    younger coach; then the id.
    """
    usable = [v for v in dataset.vehicles if v.status == VehicleStatus.STANDBY and v.permit_valid_on(start)]
    return tuple(
        sorted(usable, key=lambda v: (not v.permit_valid_on(end), -v.seats, -v.commissioned.toordinal(), v.id))
    )


def service_hours(dataset: Dataset) -> tuple[time, time]:
    """Shift start and end that cover every timetabled trip with :data:`SERVICE_MARGIN` either side."""
    if not dataset.trips:
        return time(6, 0), time(22, 0)
    earliest = min(trip.departure.time() for trip in dataset.trips)
    latest = max(trip.arrival.time() for trip in dataset.trips)
    day = date(2000, 1, 1)
    shift_start = max(datetime.combine(day, earliest) - SERVICE_MARGIN, datetime.combine(day, time(0, 0)))
    shift_end = min(datetime.combine(day, latest) + SERVICE_MARGIN, datetime.combine(day, time(23, 59)))
    return shift_start.time(), shift_end.time()


def staged_dataset(dataset: Dataset, backups: tuple[tuple[str, int], ...], start: date, end: date) -> Dataset:
    """``dataset`` with ``backups`` (site → count) standing by over ``start``–``end``.

    Parameters
    ----------
    dataset
        The corridor's dataset.
    backups
        ``(site id, count)`` pairs, as kept by :class:`~solver.planning.whatif.WhatIfScenario`.
    start, end
        The period; permits and driver eligibility are checked on both days.

    Returns
    -------
    Dataset
        In-service and workshop coaches unchanged; the placed standby coaches with ``home_depot`` set
        to their site; the dataset's drivers plus one driver copy per placed coach.

    Raises
    ------
    UnknownIdError
        If a site is not in the dataset.
    InvalidValueError
        If more backups are asked for than standby coaches are usable, or no standby driver is legal.
    """
    known_sites = [site.id for site in dataset.sites]
    for site_id, _ in backups:
        if site_id not in known_sites:
            raise UnknownIdError("site", site_id, known_sites)
    placement = place_backups(dataset, backups, start, end)
    placed = {vehicle.id: site_id for site_id, vehicle in placement}
    vehicles = tuple(
        replace(v, home_depot=placed[v.id]) if v.id in placed else v
        for v in dataset.vehicles
        if v.status != VehicleStatus.STANDBY or v.id in placed
    )
    copies = backup_drivers(dataset, placement, start, end)
    return replace(dataset, vehicles=vehicles, drivers=dataset.drivers + copies)


def place_backups(
    dataset: Dataset, backups: tuple[tuple[str, int], ...], start: date, end: date
) -> tuple[tuple[str, Vehicle], ...]:
    """(site id, coach) pairs: round-robin over the sites in id order, so each site gets its share of
    the biggest coaches before any site gets a second one."""
    pool = list(usable_standby(dataset, start, end))
    wanted = sum(count for _, count in backups)
    if wanted > len(pool):
        raise InvalidValueError(
            "backups",
            f"asks for {wanted} standby coaches; the dataset has {len(pool)} with a "
            f"permit valid on {start} ({', '.join(v.id for v in pool) or 'none'})",
        )
    remaining = dict(backups)
    placement: list[tuple[str, Vehicle]] = []
    while any(remaining.values()):
        for site_id, _ in backups:
            if remaining[site_id] > 0:
                placement.append((site_id, pool.pop(0)))
                remaining[site_id] -= 1
    return tuple(placement)


def backup_drivers(
    dataset: Dataset, placement: tuple[tuple[str, Vehicle], ...], start: date, end: date
) -> tuple[Driver, ...]:
    """One driver copy per placed coach, stationed at its site on a service-hours shift."""
    if not placement:
        return ()
    templates = _legal_standby_drivers(dataset, [vehicle for _, vehicle in placement], start, end)
    shift_start, shift_end = service_hours(dataset)
    copies = []
    for index, (site_id, _) in enumerate(placement):
        template = templates[index % len(templates)]
        copies.append(
            replace(
                template,
                id=f"{template.id}-{site_id}-{index + 1}",
                home_depot=site_id,
                shift_start=shift_start,
                shift_end=shift_end,
            )
        )
    return tuple(copies)


def _legal_standby_drivers(dataset: Dataset, vehicles: list[Vehicle], start: date, end: date) -> list[Driver]:
    """Drivers with no timetable trip who may drive every placed coach on both ends of the period."""
    on_trips = {trip.driver_id for trip in dataset.trips}
    legal = [
        d
        for d in dataset.drivers
        if d.id not in on_trips
        and all(
            not personal_eligibility(d, vehicle, day, dataset.driving_policy)
            for vehicle in vehicles
            for day in (start, end)
        )
    ]
    if not legal:
        raise InvalidValueError(
            "backups",
            "no standby driver of the dataset may drive the backup coaches "
            f"from {start} to {end} (licence, probation, age or qualification)",
        )
    return sorted(legal, key=lambda d: d.id)
