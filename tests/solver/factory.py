"""Small hand-made dispatch instances for per-constraint tests of the solver.

Options are given directly (times in minutes after 08:00), so each test shows one constraint family
at work without the road network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from fleetplan.instance import Crew, CrewKind, Instance, Rejection, RescueOption, StrandedGroup, TripOption, TripTask
from fleetplan.model import Conditions, DrivingPolicy
from fleetplan.tiers import Tier, TierPolicy

T0 = datetime(2026, 12, 8, 8, 0)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


TIERS = TierPolicy(
    city=Tier("city", 30 * 60, 4),
    near_backup=Tier("near_backup", 60 * 60, 3),
    corridor=Tier("corridor", 90 * 60, 2),
    pre_departure=Tier("pre_departure", 15 * 60, 4),
)


@dataclass
class InstanceBuilder:
    groups: list[StrandedGroup] = field(default_factory=list)
    crews: dict[str, Crew] = field(default_factory=dict)
    rescues: list[RescueOption] = field(default_factory=list)
    trips: list[TripTask] = field(default_factory=list)
    trip_options: list[TripOption] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    standby: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def group(self, group_id: str, passengers: int, limit_min: int = 60, tier: str = "near_backup") -> InstanceBuilder:
        self.groups.append(
            StrandedGroup(
                id=group_id,
                incident_id=f"inc-{group_id}",
                failed_vehicle_id=f"failed-{group_id}",
                trip_id=None,
                scene_node=None,
                scene_text="G1 K78 toward Changchun",
                scene=None,
                passengers=passengers,
                reported_at=T0,
                tier=tier,
                limit_s=limit_min * 60,
                late_penalty_per_min=3,
                deadline=at(limit_min),
                destination_node="campus",
                planned_arrival=at(limit_min + 30),
            )
        )
        return self

    def crew(
        self, vehicle: str, driver: str, seats: int, kind: CrewKind = CrewKind.STANDBY, city: str | None = None
    ) -> str:
        crew_id = f"{vehicle}+{driver}"
        self.crews[crew_id] = Crew(crew_id, kind, vehicle, driver, "depot", T0, seats, city)
        return crew_id

    def rescue(
        self,
        crew_id: str,
        group_id: str,
        eta_min: float,
        deadhead_km: float = 10,
        delay_min: float = 0,
        own_passengers: int = 0,
        own_delay_min: float = 0,
    ) -> str:
        crew = self.crews[crew_id]
        group = next(g for g in self.groups if g.id == group_id)
        option_id = f"r{len(self.rescues)}:{crew_id}>{group_id}"
        late_s = max(0, int((at(eta_min) - group.deadline).total_seconds()))
        self.rescues.append(
            RescueOption(
                id=option_id,
                crew_id=crew_id,
                group_id=group_id,
                vehicle_id=crew.vehicle_id,
                driver_id=crew.driver_id,
                kind=crew.kind,
                origin_node=crew.origin_node,
                depart_at=T0,
                scene_arrival=at(eta_min),
                boarding_at=at(eta_min),
                destination_arrival=at(eta_min + 40),
                capacity=crew.capacity,
                deadhead_m=int(deadhead_km * 1000),
                drive_s=int((eta_min + 40) * 60),
                own_passengers=own_passengers,
                own_passenger_delay_s=int(own_delay_min * 60),
                late_s=late_s,
                delay_at_destination_s=int(delay_min * 60),
                needs_new_sign=False,
            )
        )
        return option_id

    def trip(self, trip_id: str, depart_min: float, vehicle: str, driver: str, passengers: int = 40) -> InstanceBuilder:
        self.trips.append(
            TripTask(
                trip_id,
                "campus",
                at(depart_min),
                "station",
                at(depart_min + 100),
                passengers,
                30 * 60,
                vehicle,
                driver,
                "test",
            )
        )
        return self

    def trip_option(
        self, crew_id: str, trip_id: str, shift_min: float = 0, after: str | None = None, deadhead_km: float = 0
    ) -> str:
        crew = self.crews[crew_id]
        option_id = f"t{len(self.trip_options)}:{crew_id}>{trip_id}"
        self.trip_options.append(
            TripOption(
                option_id,
                crew_id,
                trip_id,
                crew.vehicle_id,
                crew.driver_id,
                after,
                int(shift_min * 60),
                int(deadhead_km * 1000),
            )
        )
        return option_id

    def build(self) -> Instance:
        return Instance(
            at=T0,
            incidents=(),
            groups=tuple(self.groups),
            trip_tasks=tuple(self.trips),
            crews=tuple(self.crews.values()),
            rescue_options=tuple(self.rescues),
            trip_options=tuple(self.trip_options),
            rejections=tuple(self.rejections),
            standby_by_city=MappingProxyType(dict(self.standby)),
            duty_logs=MappingProxyType({}),
            conditions=Conditions("clear"),
            tier_policy=TIERS,
            driving_policy=DrivingPolicy(),
            dataset=None,
            network=None,
        )
