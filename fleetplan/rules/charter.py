"""The charter sign (包车客运标志牌) a coach carries: when a new one must be filed, and when passengers
may board (道路旅客运输及客运站管理规定 (2020) Art. 57, S; docs/world-model.md §6, §8).

The sign names the coach and the drivers of a trip. Carrying the trip's passengers in another coach, or
with a driver the sign does not name, needs a newly filed sign; filing starts at the report and takes
``policy.charter_sign_filing_delay_s``, and no passenger boards before it is done. One rule for every
caller: rescues from a depot, passing coaches and trip covers alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.model import DrivingPolicy, Trip


def needs_new_sign(trip: Trip | None, vehicle_id: str, driver_id: str) -> bool:
    """Whether coach ``vehicle_id`` driven by ``driver_id`` needs a new sign to carry ``trip``'s passengers:
    unless it is the trip's own coach and the driver is named on its sign (``signed_driver_ids``).
    Passengers of no trip (``None``) have no sign to go by, so one is filed."""
    return trip is None or vehicle_id != trip.vehicle_id or driver_id not in trip.signed_driver_ids


def sign_ready_at(reported_at: datetime, policy: DrivingPolicy) -> datetime:
    """When a sign filed at the report is ready."""
    return reported_at + timedelta(seconds=policy.charter_sign_filing_delay_s)


def earliest_boarding(arrival: datetime, reported_at: datetime, needed: bool, policy: DrivingPolicy) -> datetime:
    """When passengers may board a coach arriving at ``arrival``: at once, or when a ``needed`` new
    sign is ready, whichever is later."""
    return max(arrival, sign_ready_at(reported_at, policy)) if needed else arrival
