"""The oracle's picture of the world: plain frozen rows, read from the raw tables by its own reader.

Nothing here is validated beyond what the oracle needs to compute: the engine's loader is the
validator, the oracle only re-derives. Times are naive China-local datetimes; clock times of day are
seconds since midnight (``*_sod``); durations are whole seconds (``*_s``), lengths metres (``*_m``).
Speeds are exact :class:`~fractions.Fraction` km/h so that the edge integration of world-model §2 is
exact arithmetic, not floating point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction

DAY_S = 24 * 3600

# world-model §1: the constants of the generated expressway, used when network/expressway.toml is absent
DEFAULT_EXPRESSWAY = {
    "carriageway_speed_kmh": Fraction(90),  # observed coach average on the G1 carriageways
    "ramp_length_m": 800,
    "ramp_speed_kmh": Fraction(30),
    "slip_length_m": 300,
    "slip_speed_kmh": Fraction(40),
    "staff_road_length_m": 300,
    "staff_road_speed_kmh": Fraction(20),
    "min_speed_kmh": Fraction(60),
}


# --------------------------------------------------------------------------- the network tables
@dataclass(frozen=True)
class PlaceRow:
    """A row of ``places.csv``: a depot, stop, town or junction off the expressway."""

    id: str
    kind: str
    lat: float
    lon: float


@dataclass(frozen=True)
class PostRow:
    """A row of ``g1_posts.csv``: an interchange, service area or section end at kilometre ``km``."""

    id: str
    kind: str  # interchange, service_area, section_end
    km: float
    lat: float
    lon: float

    @property
    def is_exit(self) -> bool:
        """Interchanges and the section ends are where a coach may leave, enter and turn."""
        return self.kind != "service_area"


@dataclass(frozen=True)
class RoadRow:
    """A row of ``roads.csv``: a road both ways unless ``oneway``."""

    start: str
    end: str
    road_class: str  # national or city
    length_m: int
    speed_kmh: Fraction
    oneway: bool
    name: str


@dataclass(frozen=True)
class Expressway:
    """The constants of the generated expressway (``network/expressway.toml``, world-model §1)."""

    carriageway_speed_kmh: Fraction
    ramp_length_m: int
    ramp_speed_kmh: Fraction
    slip_length_m: int
    slip_speed_kmh: Fraction
    staff_road_length_m: int
    staff_road_speed_kmh: Fraction
    min_speed_kmh: Fraction
    source: str = "network/expressway.toml"


# --------------------------------------------------------------------------- fleet, people, timetable
@dataclass(frozen=True)
class Site:
    """A depot or staging point (``sites.csv``)."""

    id: str
    kind: str  # depot or service_area
    node_id: str


@dataclass(frozen=True)
class Coach:
    """A row of ``vehicles.csv``."""

    id: str
    seats: int
    length_m: float
    home_depot: str
    status: str  # in_service, standby, workshop
    permit_valid_until: date


@dataclass(frozen=True)
class DriverRow:
    """A row of ``drivers.csv``; the shift runs past midnight when ``shift_end_sod < shift_start_sod``."""

    id: str
    licence_class: str  # A1 or B1
    licence_issued: date
    birth_date: date
    qualified_until: date | None
    home_depot: str
    shift_start_sod: int
    shift_end_sod: int


@dataclass(frozen=True)
class LogRow:
    """An interval of a driver's duty: ``drive``, ``rest`` or ``other`` (on duty, not driving)."""

    driver_id: str
    start: datetime
    end: datetime
    activity: str


@dataclass(frozen=True)
class StopRow:
    """A stop of a trip: the node and the planned time (departure; arrival at the last stop)."""

    node_id: str
    planned: datetime


@dataclass(frozen=True)
class TripRow:
    """A trip of the timetable with its stops in order."""

    id: str
    kind: str
    vehicle_id: str
    driver_id: str
    booked: int
    signed_driver_ids: tuple[str, ...]
    stops: tuple[StopRow, ...]

    @property
    def departure(self) -> datetime:
        return self.stops[0].planned

    @property
    def arrival(self) -> datetime:
        return self.stops[-1].planned

    @property
    def origin(self) -> str:
        return self.stops[0].node_id


# --------------------------------------------------------------------------- policies and presets
@dataclass(frozen=True)
class Policy:
    """``policy.toml`` in seconds: driving limits, night, the 02:00–05:00 switch, the person, the sign."""

    day_continuous_max_s: int = 4 * 3600
    night_continuous_max_s: int = 2 * 3600
    min_rest_s: int = 20 * 60
    max_driving_24h_s: int = 8 * 3600
    max_driving_7d_s: int = 44 * 3600
    night_start_sod: int = 22 * 3600
    night_end_sod: int = 6 * 3600
    overnight_rule: str = "exempt_commuter_200km"  # enforce, exempt_short_100km, exempt_commuter_200km
    overnight_stop_start_sod: int = 2 * 3600
    overnight_stop_end_sod: int = 5 * 3600
    max_driver_age: int = 60
    driver_age_reached: str = "day_after_birthday"  # or on_birthday: when a year of age (周岁) is complete
    probation_months: int = 12
    charter_sign_filing_delay_s: int = 10 * 60


@dataclass(frozen=True)
class TierRule:
    """One response tier of ``tiers.toml``."""

    name: str
    limit_s: int
    late_penalty_per_min: int


@dataclass(frozen=True)
class Tiers:
    """The four tiers and the radii that choose among them (world-model §5)."""

    city: TierRule
    near_backup: TierRule
    corridor: TierRule
    pre_departure: TierRule
    city_radius_m: int = 15_000
    near_backup_radius_m: int = 50_000
    escalation_after_s: int = 30 * 60


@dataclass(frozen=True)
class Preset:
    """Road conditions: weather per road class, closed entrances (``*`` = all), closed edges."""

    name: str
    weather: tuple[tuple[str, str], ...] = ()
    closed_entrances: frozenset[str] = frozenset()
    closed_edges: frozenset[tuple[str, str]] = frozenset()

    def weather_on(self, road_class: str) -> str:
        return dict(self.weather).get(road_class, "clear")


CLEAR = Preset("clear")


# --------------------------------------------------------------------------- the whole
@dataclass(frozen=True)
class World:
    """Everything the oracle reads from a data directory (or a dataset handed in)."""

    places: tuple[PlaceRow, ...]
    posts: tuple[PostRow, ...]
    roads: tuple[RoadRow, ...]
    expressway: Expressway
    sites: tuple[Site, ...]
    coaches: tuple[Coach, ...]
    drivers: tuple[DriverRow, ...]
    duty_log: tuple[LogRow, ...]
    trips: tuple[TripRow, ...]
    policy: Policy
    tiers: Tiers
    presets: tuple[Preset, ...]
    notes: tuple[str, ...] = field(default=(), compare=False)  # what the reader had to assume

    def coach(self, coach_id: str) -> Coach | None:
        return next((c for c in self.coaches if c.id == coach_id), None)

    def driver(self, driver_id: str) -> DriverRow | None:
        return next((d for d in self.drivers if d.id == driver_id), None)

    def trip(self, trip_id: str) -> TripRow | None:
        return next((t for t in self.trips if t.id == trip_id), None)

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def preset(self, name: str) -> Preset | None:
        return next((p for p in self.presets if p.name == name), None)

    def log_of(self, driver_id: str) -> tuple[LogRow, ...]:
        return tuple(sorted((r for r in self.duty_log if r.driver_id == driver_id), key=lambda r: r.start))

    def trips_of_driver(self, driver_id: str) -> tuple[TripRow, ...]:
        return tuple(sorted((t for t in self.trips if t.driver_id == driver_id), key=lambda t: t.departure))

    def trips_of_coach(self, coach_id: str) -> tuple[TripRow, ...]:
        return tuple(sorted((t for t in self.trips if t.vehicle_id == coach_id), key=lambda t: t.departure))
