"""Relaxations about who may drive when: a relay through the 02:00–05:00 stop, and calling in an
off-shift driver for a coach that nobody on shift can take.

Both price what the builder left out, on the same road network and under the same driving rules: a
rescue the overnight stop held until 05:00 is priced leaving when its crew was ready (a relay, 接驳,
takes the coach through the stop), and a coach without a legal driver on shift is priced with an
off-shift driver standing there, called in and with the coach ``ops.call_in_s`` after the report.
Nothing here is a plan: these are what the dispatcher could arrange, worded for them by
:mod:`solver.dispatch.relax`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fleetplan.errors import NoRouteError
from fleetplan.instance import CrewKind, Instance, RejectionCode, RescueOption, StrandedGroup
from fleetplan.model import Vehicle
from fleetplan.network import SpeedRules, TravelTimes
from fleetplan.rules import ProposedDrive, RuleCode, personal_eligibility, violations_at
from fleetplan.state import snapshot


# --------------------------------------------------------------------------- a relay through the night stop
def relay_options(instance: Instance) -> list[RescueOption]:
    """The driven rescues (offered, or too late to offer) that the 02:00–05:00 stop held back, as
    they would run with a relay through it: leaving as soon as the crew is ready.

    A rescue counts as held when its crew was ready before it leaves and a start at that moment
    breaks the overnight stop and no other rule (a relay changes drivers, not the clock of the rest).
    """
    crews = {c.id: c for c in instance.crews}
    travel = _Travel(instance)
    relayed = []
    for option in (*instance.rescue_options, *instance.late_options):
        crew = crews.get(option.crew_id)
        if crew is None or crew.kind == CrewKind.PASSING or crew.origin_node is None:
            continue
        ready = crew.available_from
        if option.depart_at <= ready:
            continue
        group = instance.group(option.group_id)
        to_scene = travel.leg(option.vehicle_id, crew.origin_node, group.scene, ready)
        onward = travel.leg(option.vehicle_id, group.scene, option.destination_node, option.boarding_at)
        if to_scene is None or onward is None or to_scene[0] >= option.scene_arrival:
            continue
        if not _only_the_night_stop(instance, option, ready, to_scene[1] + onward[1]):
            continue
        arrival = to_scene[0]
        gained = option.scene_arrival - arrival
        relayed.append(
            replace(
                option,
                id=f"{option.id}~relay",
                depart_at=ready,
                scene_arrival=arrival,
                boarding_at=max(arrival, option.boarding_at - gained),
                destination_arrival=option.destination_arrival - gained,  # as held, moved earlier
                late_s=max(0, int((arrival - group.deadline).total_seconds())),
            )
        )
    return relayed


def _only_the_night_stop(instance: Instance, option: RescueOption, start: datetime, distance_m: float) -> bool:
    driver, vehicle = instance.dataset.driver(option.driver_id), instance.dataset.vehicle(option.vehicle_id)
    drive = ProposedDrive(start, option.drive_s, distance_m)  # the rescue's length decides the exemption
    broken = {
        v.code
        for v in violations_at(driver, instance.duty_logs.get(driver.id, ()), drive, vehicle, instance.driving_policy)
    }
    return broken == {RuleCode.OVERNIGHT_STOP}


# --------------------------------------------------------------------------- calling in off-shift drivers
@dataclass(frozen=True)
class CallIn:
    """An off-shift driver who could be called in for a coach nobody on shift can take."""

    driver_id: str
    vehicle_id: str
    node_id: str
    group_id: str
    seats: int
    with_coach_at: datetime  # the call plus ``ops.call_in_s``
    scene_arrival: datetime
    late_s: int


def call_ins(instance: Instance) -> list[CallIn]:
    """Every (off-shift driver, coach, group) that a call-in would make a legal rescue, earliest at
    the scene first.

    The coaches are those rejected for having no legal driver; the drivers stand where the coach
    stands, are off shift at the report, not unavailable, and may drive the coach (licence, age,
    qualification) and the whole rescue (hours, rests, the night stop) starting when they are there.
    """
    no_driver = sorted({r.candidate for r in instance.rejections if r.code == RejectionCode.NO_DRIVER})
    if not no_driver or instance.dataset is None:
        return []
    state = snapshot(instance.dataset, instance.at)
    with_coach_at = instance.at + timedelta(seconds=max(instance.ops.call_in_s, instance.ops.turnout_s))
    travel = _Travel(instance)
    found = []
    for vehicle_id in no_driver:
        vehicle, node = instance.dataset.vehicle(vehicle_id), state.vehicles[vehicle_id].node_id
        if node is None:
            continue
        for driver_id in _off_shift_drivers_at(instance, state, node, vehicle):
            for group in instance.groups:
                call_in = _priced_call_in(instance, travel, vehicle, driver_id, node, group, with_coach_at)
                if call_in is not None:
                    found.append(call_in)
    return sorted(found, key=lambda c: (c.scene_arrival, c.driver_id, c.vehicle_id))


def _off_shift_drivers_at(instance: Instance, state, node: str, vehicle: Vehicle) -> Iterable[str]:
    for driver in instance.dataset.drivers:
        where = state.drivers[driver.id]
        if (
            where.node_id == node
            and not where.current_trip_id
            and driver.id not in instance.unavailable
            and not driver.on_shift(instance.at)
            and not personal_eligibility(driver, vehicle, instance.at.date(), instance.driving_policy)
        ):
            yield driver.id


def _priced_call_in(
    instance: Instance,
    travel: _Travel,
    vehicle: Vehicle,
    driver_id: str,
    node: str,
    group: StrandedGroup,
    start: datetime,
) -> CallIn | None:
    to_scene = travel.leg(vehicle.id, node, group.scene, start)
    if to_scene is None:
        return None
    scene_arrival, to_scene_m = to_scene
    leave_scene = scene_arrival + timedelta(seconds=instance.ops.transfer_s)
    onward = travel.leg(vehicle.id, group.scene, group.destination_node, leave_scene)
    if onward is None:
        return None
    delivered, onward_m = onward
    driven_s = int((scene_arrival - start).total_seconds() + (delivered - leave_scene).total_seconds())
    driver = instance.dataset.driver(driver_id)
    drive = ProposedDrive(start, max(driven_s, 1), to_scene_m + onward_m)  # the length decides the night stop
    if violations_at(driver, instance.duty_logs.get(driver_id, ()), drive, vehicle, instance.driving_policy):
        return None
    late_s = max(0, int((scene_arrival - group.deadline).total_seconds()))
    return CallIn(driver_id, vehicle.id, node, group.id, vehicle.seats, start, scene_arrival, late_s)


# --------------------------------------------------------------------------- travel
class _Travel:
    """Scene arrivals on the instance's network under its conditions, one router per coach class."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self._by_class: dict = {}
        self._legs: dict = {}  # every driver standing with a coach asks for the same route

    def leg(self, vehicle_id: str, origin, destination, depart_at: datetime) -> tuple[datetime, int] | None:
        """(arrival, metres) of coach ``vehicle_id`` leaving ``origin`` at ``depart_at`` for ``destination``
        (None: no route under the conditions); the metres decide the 02:00–05:00 exemption."""
        vehicle_class = self.instance.dataset.vehicle(vehicle_id).vehicle_class
        key = (vehicle_class, _key(origin), _key(destination), depart_at)
        if key not in self._legs:
            self._legs[key] = self._route_leg(vehicle_class, origin, destination, depart_at)
        return self._legs[key]

    def _route_leg(self, vehicle_class, origin, destination, depart_at: datetime) -> tuple[datetime, int] | None:
        if vehicle_class not in self._by_class:
            self._by_class[vehicle_class] = TravelTimes(
                self.instance.network,
                self.instance.conditions,
                vehicle_class,
                rules=SpeedRules.for_policy(self.instance.driving_policy),  # as the builder prices
            )
        try:
            route = self._by_class[vehicle_class].route(origin, destination, depart_at)
        except NoRouteError:
            return None
        return depart_at + timedelta(seconds=route.travel_time_s), route.length_m


def _key(place) -> object:
    """A hashable key of a node id or a located place."""
    return place if isinstance(place, str) else getattr(place, "key", id(place))
