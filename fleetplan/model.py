"""Domain model: frozen dataclasses validated when built.

Everything here is immutable; derive variants with :func:`dataclasses.replace`, which re-runs the
validation. Units follow :mod:`fleetplan.units` (seconds, metres, naive China-local datetimes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

from fleetplan.contacts import Contact
from fleetplan.errors import InvalidValueError, UnknownIdError, require, require_id, require_lat_lon, require_phone
from fleetplan.tiers import TierPolicy


# --------------------------------------------------------------------------- vocabularies
class VehicleClass(StrEnum):
    """Coach size classes of the fleet (DESIGN §2.3)."""

    COACH_12M = "coach_12m"  # 12 m, 49–55 seats
    COACH_10M = "coach_10m"  # 10.5 m, ≈39–47 seats
    COACH_8M = "coach_8m"  # 8–9 m, 24–37 seats
    MINIBUS_7M = "minibus_7m"  # ≈7 m "19-seat"; still a large passenger vehicle (A1)


class VehicleStatus(StrEnum):
    IN_SERVICE = "in_service"
    STANDBY = "standby"
    WORKSHOP = "workshop"


class LicenceClass(StrEnum):
    """Driving-licence classes relevant to passenger vehicles (驾驶证申领和使用规定 Art. 11)."""

    A1 = "A1"  # large passenger vehicles: length ≥6 m or ≥20 occupants
    B1 = "B1"  # medium passenger vehicles: length <6 m and 10–19 occupants


class SiteKind(StrEnum):
    DEPOT = "depot"
    SERVICE_AREA = "service_area"


class Activity(StrEnum):
    DRIVE = "drive"
    REST = "rest"
    OTHER = "other"  # on duty but not driving (loading, paperwork); does not count as rest


class TripKind(StrEnum):
    STAFF_MORNING = "staff_morning"  # Changchun → Siping, weekdays
    STAFF_EVENING = "staff_evening"  # Siping → Changchun, weekdays
    STUDENT_FRIDAY = "student_friday"  # Siping → Changchun
    STUDENT_SUNDAY = "student_sunday"  # Changchun → Siping


class IncidentKind(StrEnum):
    BREAKDOWN = "breakdown"
    ACCIDENT = "accident"
    DRIVER_ILLNESS = "driver_illness"
    WEATHER = "weather"


class Weather(StrEnum):
    """Weather on a road class; speeds and caps per docs/world-model.md §2 (实施条例 Art. 46, 81)."""

    CLEAR = "clear"
    RAIN = "rain"  # wet road
    SNOWFALL = "snowfall"  # snow falling on a cleared road
    SNOW = "snow"  # snow-covered road: ≤30 km/h (Art. 46)
    ICE = "ice"  # icy road: ≤30 km/h (Art. 46)
    FOG_200 = "fog_200"  # visibility < 200 m: ≤60 km/h (Art. 81)
    FOG_100 = "fog_100"  # visibility < 100 m: ≤40 km/h
    FOG_50 = "fog_50"  # visibility < 50 m: ≤20 km/h, leave the expressway at the next exit
    BLIZZARD = "blizzard"  # snowfall with visibility < 100 m: ≤40 km/h


class RoadClass(StrEnum):
    EXPRESSWAY = "expressway"  # G1 carriageways
    RAMP = "ramp"  # interchange and service-area slip roads
    NATIONAL = "national"  # G102 and county roads
    CITY = "city"  # streets inside Siping and Changchun


# --------------------------------------------------------------------------- places and fleet
@dataclass(frozen=True)
class Site:
    """A depot or staging point where backup coaches can stand; ``node_id`` places it on the network."""

    id: str
    name: str
    name_zh: str
    kind: SiteKind
    node_id: str
    lat: float
    lon: float

    def __post_init__(self) -> None:
        require_id(self.id, "id")
        require_id(self.node_id, "node_id")
        require_lat_lon(self.lat, self.lon)


@dataclass(frozen=True)
class Vehicle:
    """A coach. ``permit_valid_until`` is the last day of its road-transport (charter) permit."""

    id: str
    plate: str
    vehicle_class: VehicleClass
    seats: int  # approved passenger seats, driver excluded; no standees on highway coaches
    length_m: float
    commissioned: date
    home_depot: str
    status: VehicleStatus
    permit_valid_until: date
    terminal_phone: str | None = None  # its positioning terminal's SIM (JT/T 808), digits

    def __post_init__(self) -> None:
        require_id(self.id, "id")
        require_id(self.plate, "plate")
        if self.terminal_phone is not None:
            require(
                self.terminal_phone.isascii() and self.terminal_phone.isdigit() and len(self.terminal_phone) <= 20,
                "terminal_phone",
                f"{self.terminal_phone!r} is not 1 to 20 digits",
            )
        require(1 <= self.seats <= 70, "seats", f"{self.seats} is outside 1–70")
        require(3.0 <= self.length_m <= 15.0, "length_m", f"{self.length_m} is outside 3–15 m")
        require_id(self.home_depot, "home_depot")

    def age_years(self, on: date) -> float:
        """Age in years on ``on``; older coaches fail more often."""
        return (on - self.commissioned).days / 365.25

    def permit_valid_on(self, day: date) -> bool:
        return day <= self.permit_valid_until


@dataclass(frozen=True)
class DutyInterval:
    """One interval of a driver's duty log."""

    driver_id: str
    start: datetime
    end: datetime
    activity: Activity

    def __post_init__(self) -> None:
        require_id(self.driver_id, "driver_id")
        if self.end <= self.start:  # the message only when it fails: the rules make thousands of these
            raise InvalidValueError("end", f"{self.end} is not after start {self.start}")

    @property
    def duration_s(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class Driver:
    """A coach driver. ``qualified_until`` is the validity of the passenger-transport qualification
    certificate (从业资格证); ``None`` means the driver holds none."""

    id: str
    name: str
    licence_class: LicenceClass
    licence_issued: date
    birth_date: date
    qualified_until: date | None
    home_depot: str
    shift_start: time
    shift_end: time  # may be earlier than shift_start for a shift that runs past midnight
    phone: str | None = None  # the driver's mobile, for the desk's messages

    def __post_init__(self) -> None:
        require_id(self.id, "id")
        if self.phone is not None:
            require_phone(self.phone, "phone")
        require(
            self.licence_issued > self.birth_date,
            "licence_issued",
            f"{self.licence_issued} is not after birth date {self.birth_date}",
        )
        require_id(self.home_depot, "home_depot")

    def age_years(self, on: date) -> int:
        """Completed years of age on ``on``, a year counted complete on the birthday itself (the
        legal count of 周岁, from the day after, is :func:`fleetplan.rules.personal.age_in_zhousui`)."""
        before_birthday = (on.month, on.day) < (self.birth_date.month, self.birth_date.day)
        return on.year - self.birth_date.year - int(before_birthday)

    def shift_window(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """The shift ``moment`` falls in, as ``(start, end)``: the one that began that day, or the day
        before when it runs past midnight (``shift_end`` earlier than ``shift_start``; equal times are
        a round-the-clock shift). ``None`` when the driver is off shift at ``moment``."""
        for day in (moment.date(), moment.date() - timedelta(days=1)):
            start = datetime.combine(day, self.shift_start)
            end = datetime.combine(day, self.shift_end)
            if end <= start:
                end += timedelta(days=1)
            if start <= moment < end:
                return start, end
        return None

    def on_shift(self, moment: datetime) -> bool:
        return self.shift_window(moment) is not None

    def on_shift_throughout(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end]`` lies inside one shift: the one ``start`` falls in."""
        window = self.shift_window(start)
        return window is not None and end <= window[1]


# --------------------------------------------------------------------------- timetable
@dataclass(frozen=True)
class Stop:
    """A planned stop of a trip: the network node and the planned departure (arrival at the last)."""

    node_id: str
    planned: datetime

    def __post_init__(self) -> None:
        require_id(self.node_id, "node_id")


@dataclass(frozen=True)
class Trip:
    """A scheduled run. ``signed_driver_ids`` are the drivers named on its charter sign
    (包车客运标志牌); a replacement coach or an unlisted driver needs a newly filed sign."""

    id: str
    kind: TripKind
    vehicle_id: str
    driver_id: str
    stops: tuple[Stop, ...]
    booked_passengers: int
    signed_driver_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_id(self.id, "id")
        require(len(self.stops) >= 2, "stops", f"trip {self.id} needs at least two stops")
        times = [stop.planned for stop in self.stops]
        require(times == sorted(times), "stops", f"trip {self.id} stop times are not in order")
        require(self.booked_passengers >= 0, "booked_passengers", "must not be negative")
        if not self.signed_driver_ids:
            object.__setattr__(self, "signed_driver_ids", (self.driver_id,))

    @property
    def departure(self) -> datetime:
        return self.stops[0].planned

    @property
    def arrival(self) -> datetime:
        return self.stops[-1].planned

    @property
    def origin(self) -> str:
        return self.stops[0].node_id

    @property
    def destination(self) -> str:
        return self.stops[-1].node_id


@dataclass(frozen=True)
class Incident:
    """A reported failure. ``location`` is a location text as the network understands it: a node id,
    ``lat,lon`` or ``G1 K78 toward Changchun``."""

    id: str
    kind: IncidentKind
    vehicle_id: str
    trip_id: str | None
    location: str
    at: datetime
    passengers: int
    drivable: bool = False

    def __post_init__(self) -> None:
        require_id(self.id, "id")
        require_id(self.vehicle_id, "vehicle_id")
        require(
            self.location.strip() != "",
            "location",
            "must not be empty; give a node id (e.g. siping_depot), 'lat,lon' or 'G1 K78 toward Changchun'",
        )
        require(self.passengers >= 0, "passengers", f"{self.passengers} is negative")


# --------------------------------------------------------------------------- calendar
@dataclass(frozen=True)
class CalendarException:
    """On ``day``, the trips of ``kinds`` (every kind when empty) run as the template's ``runs_as``
    weekday (0 = Monday), or not at all when ``runs_as`` is None."""

    day: date
    runs_as: int | None
    kinds: frozenset[TripKind] = frozenset()
    note: str = ""

    def __post_init__(self) -> None:
        if self.runs_as is not None and not 0 <= self.runs_as <= 6:
            raise InvalidValueError("runs_as", f"{self.runs_as} is not a weekday 0 (Monday) … 6 (Sunday)")

    def covers(self, kind: TripKind) -> bool:
        return not self.kinds or kind in self.kinds


@dataclass(frozen=True)
class ServiceCalendar:
    """When the template week runs: its period (open ends allowed) and the dated exceptions."""

    template_monday: date
    first_day: date | None = None
    last_day: date | None = None
    exceptions: tuple[CalendarException, ...] = ()

    def __post_init__(self) -> None:
        if self.template_monday.weekday() != 0:
            raise InvalidValueError("template_monday", f"{self.template_monday} is not a Monday")
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise InvalidValueError("until", f"{self.last_day} is before the first day {self.first_day}")

    def runs_as(self, day: date, kind: TripKind) -> int | None:
        """The template weekday whose ``kind`` trips run on ``day`` (0 = Monday), or None for none."""
        for exception in self.exceptions:
            if exception.day == day and exception.covers(kind):
                return exception.runs_as
        if (self.first_day and day < self.first_day) or (self.last_day and day > self.last_day):
            return None
        return day.weekday()

    def template_day(self, weekday: int) -> date:
        return self.template_monday + timedelta(days=weekday)


# --------------------------------------------------------------------------- conditions
ALL_ENTRANCES = "*"  # in ``Conditions.closed_entrances``: every expressway entrance is shut
CLEAR = "clear"  # the conditions preset the timetable was planned for


@dataclass(frozen=True)
class Conditions:
    """Road conditions: weather per road class, closed edges and closed expressway entrances.

    ``closed_entrances`` holds interchange or service-area node ids whose on-ramps are shut (``"*"``
    for all): no vehicle may enter the expressway there; vehicles already on it continue.
    """

    name: str
    weather: tuple[tuple[RoadClass, Weather], ...] = ()
    closed_edges: frozenset[tuple[str, str]] = frozenset()
    closed_entrances: frozenset[str] = frozenset()
    description: str = ""

    def __post_init__(self) -> None:
        require_id(self.name, "name")
        classes = [road_class for road_class, _ in self.weather]
        require(len(classes) == len(set(classes)), "weather", "a road class is listed twice")

    def weather_on(self, road_class: RoadClass) -> Weather:
        return dict(self.weather).get(road_class, Weather.CLEAR)

    def entrance_closed(self, node_id: str) -> bool:
        return ALL_ENTRANCES in self.closed_entrances or node_id in self.closed_entrances


# --------------------------------------------------------------------------- driving policy
class AgeReached(StrEnum):
    """When a driver reaches the next year of age (周岁), for the working-age limit (policy switch)."""

    DAY_AFTER_BIRTHDAY = "day_after_birthday"  # the legal count: 民法典 Art. 201–202; 法释〔2006〕1号 Art. 2
    ON_BIRTHDAY = "on_birthday"  # the everyday count, one day stricter at the limit


class OvernightRule(StrEnum):
    """How the 02:00–05:00 stop-or-relay rule for long-distance coaches applies (policy switch)."""

    ENFORCE = "enforce"  # every trip stops or relays 02:00–05:00
    EXEMPT_SHORT_100KM = "exempt_short_100km"  # 2018 rule: trips ≤100 km exempt
    EXEMPT_COMMUTER_200KM = "exempt_commuter_200km"  # 交运规〔2023〕2号 Art. 32: commuter charters / ≤200 km exempt


@dataclass(frozen=True)
class DrivingPolicy:
    """Driving-time limits (道路旅客运输企业安全管理规范 Art. 38; 实施条例 Art. 62) and fleet policy."""

    day_continuous_max_s: int = 4 * 3600
    night_continuous_max_s: int = 2 * 3600
    min_rest_s: int = 20 * 60
    max_driving_24h_s: int = 8 * 3600
    max_driving_7d_s: int = 44 * 3600
    night_start: time = time(22, 0)
    night_end: time = time(6, 0)
    overnight_rule: OvernightRule = OvernightRule.EXEMPT_COMMUTER_200KM
    overnight_stop_start: time = time(2, 0)
    overnight_stop_end: time = time(5, 0)
    max_driver_age: int = 60  # 周岁; 道路运输条例 Art. 9(2): "年龄不超过60周岁"
    driver_age_reached: AgeReached = AgeReached.DAY_AFTER_BIRTHDAY
    probation_months: int = 12
    charter_sign_filing_delay_s: int = 10 * 60  # E: time to file a new electronic charter sign

    def __post_init__(self) -> None:
        for name in (
            "day_continuous_max_s",
            "night_continuous_max_s",
            "min_rest_s",
            "max_driving_24h_s",
            "max_driving_7d_s",
        ):
            require(getattr(self, name) > 0, name, "must be positive")
        require(self.charter_sign_filing_delay_s >= 0, "charter_sign_filing_delay_s", "must not be negative")


@dataclass(frozen=True)
class Dataset:
    """Everything loaded from a data directory, validated and turned into domain objects once."""

    sites: tuple[Site, ...]
    vehicles: tuple[Vehicle, ...]
    drivers: tuple[Driver, ...]
    duty_log: tuple[DutyInterval, ...]
    trips: tuple[Trip, ...]
    tier_policy: TierPolicy
    driving_policy: DrivingPolicy
    conditions: tuple[Conditions, ...]
    source: str = field(default="", compare=False)
    # The template week's calendar (``calendar.toml``); None: the trips are dated as given.
    # :func:`fleetplan.calendar.dataset_at` gives the trips of the days around a moment.
    calendar: ServiceCalendar | None = None
    contacts: tuple[Contact, ...] = ()  # ``contacts.csv`` (optional): whom the desk's messages also go to

    def vehicle(self, vehicle_id: str) -> Vehicle:
        return _by_id(self._index, self.vehicles, vehicle_id, "vehicle")

    def driver(self, driver_id: str) -> Driver:
        return _by_id(self._index, self.drivers, driver_id, "driver")

    def site(self, site_id: str) -> Site:
        return _by_id(self._index, self.sites, site_id, "site")

    def trip(self, trip_id: str) -> Trip:
        return _by_id(self._index, self.trips, trip_id, "trip")

    @cached_property
    def _index(self) -> dict[tuple[str, str], Any]:
        """(kind, id) → item, built on first look-up: a large fleet looks ids up millions of times."""
        index: dict[tuple[str, str], Any] = {}
        for kind, items in (
            ("vehicle", self.vehicles),
            ("driver", self.drivers),
            ("site", self.sites),
            ("trip", self.trips),
        ):
            for item in items:
                index.setdefault((kind, item.id), item)  # the first of a (refused) duplicate, as a scan would
        return index

    def conditions_named(self, name: str) -> Conditions:
        for preset in self.conditions:
            if preset.name == name:
                return preset
        raise UnknownIdError("conditions preset", name, [c.name for c in self.conditions])

    def conditions_or(self, name: str, fallback: Conditions) -> Conditions:
        """The preset ``name``, or ``fallback`` when the data lack it."""
        return next((preset for preset in self.conditions if preset.name == name), fallback)

    @cached_property  # asked for every passing coach a large fleet tries
    def clear_conditions(self) -> Conditions:
        """The timetable's weather: the ``clear`` preset, or plain clear conditions if the data lack it."""
        return self.conditions_or(CLEAR, Conditions(CLEAR))

    def duty_of(self, driver_id: str) -> tuple[DutyInterval, ...]:
        return tuple(sorted((d for d in self.duty_log if d.driver_id == driver_id), key=lambda d: d.start))


def _by_id(index: dict, items, identifier: str, kind: str):
    try:
        return index[kind, identifier]
    except (KeyError, TypeError):  # TypeError: an unhashable id from careless input
        raise UnknownIdError(kind, identifier, [item.id for item in items]) from None
