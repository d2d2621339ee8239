"""When a crew can be at a later trip's first stop: where it sets out (from where it stands in its
present shift, or from home at the start of the next one), the empty run there, and a new charter
sign it may wait for. Thousands of crews ask on a large fleet; crews alike share the work."""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetplan.builder.context import BuildContext
from fleetplan.builder.cover_rank import Timing
from fleetplan.errors import NoRouteError
from fleetplan.instance import RejectionCode, TripTask
from fleetplan.model import Driver, Vehicle
from fleetplan.phrase import Phrase, phrase
from fleetplan.rules import cover_start, needs_new_sign
from fleetplan.rules.shift import CoverStart


def cover_timing(
    ctx: BuildContext, vehicle_id: str, driver_id: str, task: TripTask, from_node: str, free_at: datetime
) -> Timing | None:
    """(departure shift s, empty running m, empty running s) of coach ``vehicle_id`` with driver
    ``driver_id`` running ``task`` when free at ``from_node`` from ``free_at``; None if it cannot be at the trip's
    first stop within the allowed shift. In the crew's present shift it sets out from where it is; a
    trip in the driver's next shift is driven from the home depot, where that shift begins
    (:func:`~fleetplan.rules.cover_start`). A coach or driver the trip's charter sign does not name
    waits for a new sign (:func:`~fleetplan.rules.needs_new_sign`)."""
    driver = ctx.dataset.driver(driver_id)
    latest = task.departure + timedelta(seconds=task.max_shift_s)
    vehicle = ctx.dataset.vehicle(vehicle_id)
    if not vehicle.permit_valid_on(latest.date()):  # judged on the day it drives, not the day of the report
        said = phrase("trip_permit", trip=task.trip_id, vehicle=vehicle_id, date=vehicle.permit_valid_until)
        ctx.reject(vehicle_id, RejectionCode.PERMIT, said)
        return None
    home = ctx.dataset.site(driver.home_depot).node_id
    start = cover_start_for(ctx, driver, from_node, free_at, home, task, latest)
    if start is None:
        return None
    # Thousands of crews set out from a few dozen places and times: each empty run is worked out once.
    kind = (vehicle.vehicle_class, start.node, start.at, task.trip_id)
    if kind not in ctx.cover_reach:
        ctx.cover_reach[kind] = _reach_first_stop(ctx, vehicle, task, start)
    reach = ctx.cover_reach[kind]
    if reach is None:
        return None
    ready, length_m, travel_s = reach
    if needs_new_sign(ctx.dataset.trip(task.trip_id), vehicle_id, driver_id):
        ready = max(ready, ctx.sign_ready)
    shift_s = max(0, int((ready - task.departure).total_seconds()))
    if shift_s > task.max_shift_s:
        return None
    return shift_s, length_m, travel_s


def cover_start_for(
    ctx: BuildContext, driver: Driver, from_node: str, free_at: datetime, home: str, task: TripTask, latest: datetime
) -> CoverStart | None:
    """:func:`~fleetplan.rules.cover_start`, with its common case first: a trip leaving in the shift
    the driver is in when free is driven from where the crew is (the shift looked up once per crew).
    None, with the rejection, when the driver cannot run the trip in a shift of theirs.

    The answer depends on the driver only through the shift and the home depot, so it is worked out
    once for the crews that are alike (on a large fleet, thousands off shift for each daytime trip),
    and a driver already rejected as off shift is not worded again."""
    present = ctx.shift_window(driver, free_at)
    if present is not None and present[0] <= task.departure < present[1]:
        return CoverStart(from_node, free_at, new_shift=False)
    alike = (driver.shift_start, driver.shift_end, home, from_node, free_at, task.departure, latest)
    if alike in ctx.cover_starts and (
        ctx.cover_starts[alike] is not None or ctx.rejected(driver.id, RejectionCode.OFF_SHIFT)
    ):
        return ctx.cover_starts[alike]
    answer = cover_start(
        driver, from_node, free_at, home, task.departure, latest, lambda moment: ctx.shift_window(driver, moment)
    )
    found = answer if isinstance(answer, CoverStart) else None
    if isinstance(answer, Phrase):
        ctx.reject(driver.id, RejectionCode.OFF_SHIFT, phrase("trip", trip=task.trip_id, why=answer))
    ctx.cover_starts[alike] = found
    return found


def _reach_first_stop(
    ctx: BuildContext, vehicle: Vehicle, task: TripTask, start: CoverStart
) -> tuple[datetime, int, int] | None:
    """When a coach like ``vehicle`` setting out at ``start`` is at the trip's first stop, with the
    empty run's metres and seconds; None when no road leads there."""
    try:
        deadhead = ctx.route(vehicle, start.node, task.origin_node, start.at)
    except NoRouteError:
        return None
    return start.at + timedelta(seconds=deadhead.travel_time_s), deadhead.length_m, deadhead.travel_time_s
