"""The TOML files of a data directory: ``tiers.toml``, ``policy.toml`` and ``conditions.toml``.

Unknown or missing keys and bad values are problems named by their key path in ``column``
(``city.limit_min``); a key left out of ``policy.toml`` keeps the regulation default, but a
``policy.toml`` without any key is a problem (an emptied or truncated file, not a choice). Numbers
must be finite (TOML allows ``inf`` and ``nan``) and below generous bounds (a day for durations and
tier limits), and text must not hold control characters.
"""

from __future__ import annotations

import math
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

from fleetplan.errors import DataProblem, InvalidValueError
from fleetplan.model import (
    ALL_ENTRANCES,
    AgeReached,
    Conditions,
    DrivingPolicy,
    OvernightRule,
    RoadClass,
    Weather,
)
from fleetplan.tables import shown
from fleetplan.tiers import Tier, TierPolicy
from fleetplan.units import HOUR, KM, MINUTE, parse_hhmm

T = TypeVar("T")


_REQUIRED = object()

# Upper bounds far above any real policy: a value beyond them is a typo (minutes for hours, a digit
# too many) that would overflow date arithmetic or the solver's integers later.
DAY_MIN = 24 * 60
MAX_RADIUS_KM = 1_000
MAX_PENALTY_PER_MIN = 1_000


@dataclass
class TomlReader:
    """Reads typed values from a parsed TOML file, collecting a problem for each bad or missing key."""

    file: str
    problems: list[DataProblem] = field(default_factory=list)

    def problem(self, key_path: str | None, message: str) -> None:
        self.problems.append(DataProblem(self.file, None, key_path, message))

    def table(self, data: dict[str, Any], key: str, prefix: str = "", required: bool = True) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(prefix + key, "table is missing")
            return None
        if not isinstance(value, dict):
            self.problem(prefix + key, f"must be a table, not {_toml_type(value)}")
            return None
        return value

    # with ``whole=True`` the value read is an int
    @overload
    def number(
        self,
        data: dict[str, Any],
        key: str,
        prefix: str = "",
        default: Any = _REQUIRED,
        minimum: float | None = None,
        *,
        whole: Literal[True],
        maximum: float | None = None,
    ) -> int | None: ...

    @overload
    def number(
        self,
        data: dict[str, Any],
        key: str,
        prefix: str = "",
        default: Any = _REQUIRED,
        minimum: float | None = None,
        whole: Literal[False] = False,
        maximum: float | None = None,
    ) -> float | None: ...

    def number(
        self,
        data: dict[str, Any],
        key: str,
        prefix: str = "",
        default: Any = _REQUIRED,
        minimum: float | None = None,
        whole: bool = False,
        maximum: float | None = None,
    ) -> float | None:
        if key not in data:
            return self._absent(key, prefix, default)
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
            self.problem(prefix + key, f"must be a {'whole number' if whole else 'number'}, not {shown(value)}")
            return None
        if not math.isfinite(value):
            self.problem(prefix + key, f"must be a finite number, not {value!r}")
            return None
        if minimum is not None and value < minimum:
            self.problem(prefix + key, f"must be at least {minimum}, not {value!r}")
            return None
        if maximum is not None and value > maximum:  # a typo by orders of magnitude, not a policy
            self.problem(prefix + key, f"must be at most {maximum:g}, not {shown(value)}")
            return None
        return value

    def text(self, data: dict[str, Any], key: str, prefix: str = "", default: Any = _REQUIRED) -> str | None:
        if key not in data:
            return self._absent(key, prefix, default)
        value = data[key]
        if not isinstance(value, str):
            self.problem(prefix + key, f"must be text, not {shown(value)}")
            return None
        if _has_control(value):
            self.problem(prefix + key, f"must not contain control characters, not {shown(value)}")
            return None
        return value

    def clock(self, data: dict[str, Any], key: str, prefix: str = "", default: Any = _REQUIRED) -> time | None:
        if key not in data:
            return self._absent(key, prefix, default)
        value = self.text(data, key, prefix)
        if value is None:
            return None
        try:
            return parse_hhmm(value)
        except ValueError as error:
            self.problem(prefix + key, str(error))
            return None

    def choice(
        self, data: dict[str, Any], key: str, choices: type[StrEnum], prefix: str = "", default: Any = _REQUIRED
    ) -> Any:
        if key not in data:
            return self._absent(key, prefix, default)
        value = self.text(data, key, prefix)
        if value is None:
            return None
        try:
            return choices(value)
        except ValueError:
            self.problem(prefix + key, f"{shown(value)} is not one of {', '.join(c.value for c in choices)}")
            return None

    def _absent(self, key: str, prefix: str, default: Any) -> Any:
        if default is _REQUIRED:
            self.problem(prefix + key, "key is missing")
            return None
        return default

    def no_other_keys(self, data: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
        allowed = list(allowed)
        for key in data:
            if key not in allowed:
                self.problem(prefix + key, f"unknown key; expected one of {', '.join(allowed)}")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


def _toml_type(value: Any) -> str:
    return {str: "text", int: "a number", float: "a number", bool: "true/false", list: "a list"}.get(
        type(value), type(value).__name__
    )


def read_toml(path: Path) -> tuple[dict[str, Any] | None, list[DataProblem]]:
    if not path.is_file():
        return None, [DataProblem(path.name, None, None, "file is missing")]
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return None, [DataProblem(path.name, None, None, f"is not valid TOML: {error}")]
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        return None, [DataProblem(path.name, None, None, "is not valid TOML: values are nested too deeply")]
    except OSError as error:
        return None, [DataProblem(path.name, None, None, f"cannot be read: {error.strerror or error}")]


TIER_NAMES = ("city", "near_backup", "corridor", "pre_departure")
TIER_KEYS = ("limit_min", "late_penalty_per_min", "description")
TIER_POLICY_KEYS = {
    "city_radius_km": "city_radius_m",
    "near_backup_radius_km": "near_backup_radius_m",
    "escalation_after_min": "escalation_after_s",
}


def load_tier_policy(path: Path) -> tuple[TierPolicy | None, list[DataProblem]]:
    """The response-time tiers from ``tiers.toml``: four tier tables and three optional distances/times.

    Returns the policy (``None`` on problems) and the problems, each naming its key path.
    """
    data, problems = read_toml(path)
    if data is None:
        return None, problems
    reader = TomlReader(path.name)
    reader.no_other_keys(data, [*TIER_POLICY_KEYS, *TIER_NAMES])
    tiers = {name: _tier(reader, data, name) for name in TIER_NAMES}
    city_km = reader.number(
        data, "city_radius_km", default=_default(TierPolicy, "city_radius_m") / KM, minimum=0, maximum=MAX_RADIUS_KM
    )
    near_km = reader.number(
        data,
        "near_backup_radius_km",
        default=_default(TierPolicy, "near_backup_radius_m") / KM,
        minimum=0,
        maximum=MAX_RADIUS_KM,
    )
    escalation_min = reader.number(
        data,
        "escalation_after_min",
        default=_default(TierPolicy, "escalation_after_s") / MINUTE,
        minimum=0,
        maximum=DAY_MIN,
    )
    if reader.problems or None in tiers.values():
        return None, reader.problems
    # no problem recorded: every reading above returned a value (they return None only with a problem)
    assert city_km is not None and near_km is not None and escalation_min is not None
    read_tiers = {name: tier for name, tier in tiers.items() if tier is not None}
    policy = _construct_toml(
        reader,
        {field_: key for key, field_ in TIER_POLICY_KEYS.items()},
        lambda: TierPolicy(
            **read_tiers,
            city_radius_m=round(city_km * KM),
            near_backup_radius_m=round(near_km * KM),
            escalation_after_s=round(escalation_min * MINUTE),
        ),
    )
    return policy, reader.problems


def _default(cls: type, name: str) -> Any:
    return next(f.default for f in fields(cls) if f.name == name)


def _tier(reader: TomlReader, data: dict[str, Any], name: str) -> Tier | None:
    table = reader.table(data, name)
    if table is None:
        return None
    prefix = f"{name}."
    before = len(reader.problems)
    reader.no_other_keys(table, TIER_KEYS, prefix)
    limit_min = reader.number(table, "limit_min", prefix, maximum=DAY_MIN, whole=True)  # shown and priced per minute
    if limit_min is not None and limit_min <= 0:
        reader.problem(prefix + "limit_min", f"must be positive, not {limit_min!r}")
    penalty = reader.number(table, "late_penalty_per_min", prefix, minimum=0, whole=True, maximum=MAX_PENALTY_PER_MIN)
    description = reader.text(table, "description", prefix, default="")
    if len(reader.problems) > before:
        return None
    # no new problem: every reading above returned a value (they return None only with a problem)
    assert limit_min is not None and penalty is not None and description is not None
    return _construct_toml(
        reader,
        {"limit_s": "limit_min"},
        lambda: Tier(
            name=name, limit_s=round(limit_min * MINUTE), late_penalty_per_min=penalty, description=description
        ),
        prefix=prefix,
    )


# key in policy.toml → (DrivingPolicy field, how to read it)
_Reader = Callable[[TomlReader, dict[str, Any], str, Any], Any]


def _duration(unit_s: int, maximum: float) -> _Reader:
    def read(reader: TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
        value = reader.number(data, key, default=default / unit_s, minimum=0, maximum=maximum)
        return None if value is None else round(value * unit_s)

    return read


def _whole(maximum: int) -> _Reader:
    def read(reader: TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
        return reader.number(data, key, default=default, minimum=0, whole=True, maximum=maximum)

    return read


def _clock(reader: TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
    return reader.clock(data, key, default=default)


def _overnight(reader: TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
    return reader.choice(data, key, OvernightRule, default=default)


def _age_reached(reader: TomlReader, data: dict[str, Any], key: str, default: Any) -> Any:
    return reader.choice(data, key, AgeReached, default=default)


POLICY_KEYS: dict[str, tuple[str, _Reader]] = {
    "day_continuous_max_h": ("day_continuous_max_s", _duration(HOUR, 24)),
    "night_continuous_max_h": ("night_continuous_max_s", _duration(HOUR, 24)),
    "min_rest_min": ("min_rest_s", _duration(MINUTE, DAY_MIN)),
    "max_driving_24h_h": ("max_driving_24h_s", _duration(HOUR, 24)),
    "max_driving_7d_h": ("max_driving_7d_s", _duration(HOUR, 7 * 24)),
    "night_start": ("night_start", _clock),
    "night_end": ("night_end", _clock),
    "overnight_rule": ("overnight_rule", _overnight),
    "overnight_stop_start": ("overnight_stop_start", _clock),
    "overnight_stop_end": ("overnight_stop_end", _clock),
    "max_driver_age": ("max_driver_age", _whole(120)),
    "driver_age_reached": ("driver_age_reached", _age_reached),
    "probation_months": ("probation_months", _whole(120)),
    "charter_sign_filing_delay_min": ("charter_sign_filing_delay_s", _duration(MINUTE, DAY_MIN)),
}


def load_driving_policy(path: Path) -> tuple[DrivingPolicy | None, list[DataProblem]]:
    """The driving-time rules from ``policy.toml``; a key left out keeps the regulation default of
    :class:`~fleetplan.model.DrivingPolicy`, an unknown key is a problem (it is usually a typo)."""
    data, problems = read_toml(path)
    if data is None:
        return None, problems
    reader = TomlReader(path.name)
    if not data:
        reader.problem(
            None, "has no rules (a key left out keeps the regulation default, but an empty file is a mistake)"
        )
        return None, reader.problems
    reader.no_other_keys(data, POLICY_KEYS)
    defaults = DrivingPolicy()
    values = {field_: read(reader, data, key, getattr(defaults, field_)) for key, (field_, read) in POLICY_KEYS.items()}
    if reader.problems:
        return None, reader.problems
    policy = _construct_toml(
        reader, {field_: key for key, (field_, _) in POLICY_KEYS.items()}, lambda: DrivingPolicy(**values)
    )
    return policy, reader.problems


CONDITION_KEYS = ("description", "weather", "closed_entrances", "closed_edges")


def load_conditions(path: Path) -> tuple[tuple[Conditions, ...], list[DataProblem]]:
    """The condition presets of ``conditions.toml``: one table per preset, named by its key."""
    data, problems = read_toml(path)
    if data is None:
        return (), problems
    reader = TomlReader(path.name)
    if not data:
        reader.problem(None, "no condition presets")
    presets = [_preset(reader, data, name) for name in data]
    return tuple(p for p in presets if p is not None), reader.problems


def _preset(reader: TomlReader, data: dict[str, Any], name: str) -> Conditions | None:
    if _has_control(name) or not name.strip():
        reader.problem(None, f"preset name {shown(name)} must be visible text")
        return None
    table = reader.table(data, name)
    if table is None:
        return None
    prefix = f"{name}."
    before = len(reader.problems)
    reader.no_other_keys(table, CONDITION_KEYS, prefix)
    description = reader.text(table, "description", prefix, default="")
    weather = _weather(reader, table, prefix)
    entrances = _text_list(reader, table, "closed_entrances", prefix)
    edges = _edge_list(reader, table, prefix)
    if len(reader.problems) > before:
        return None
    assert description is not None  # no new problem, so the reading returned a value
    return _construct_toml(
        reader,
        {},
        lambda: Conditions(
            name=name,
            weather=weather,
            closed_edges=frozenset(edges),
            closed_entrances=frozenset(entrances),
            description=description,
        ),
        prefix=prefix,
    )


def _weather(reader: TomlReader, table: dict[str, Any], prefix: str) -> tuple[tuple[RoadClass, Weather], ...]:
    weather_table = reader.table(table, "weather", prefix, required=False) or {}
    pairs = []
    for road in weather_table:
        key_path = f"{prefix}weather.{road}"
        try:
            road_class = RoadClass(road)
        except ValueError:
            reader.problem(key_path, f"unknown road class; expected one of {', '.join(c.value for c in RoadClass)}")
            continue
        value = reader.choice(weather_table, road, Weather, prefix=f"{prefix}weather.")
        if value is not None:
            pairs.append((road_class, value))
    return tuple(pairs)


def _text_list(reader: TomlReader, table: dict[str, Any], key: str, prefix: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        reader.problem(prefix + key, f'must be a list of node ids (or ["{ALL_ENTRANCES}"]), not {shown(value)}')
        return []
    return value


def _edge_list(reader: TomlReader, table: dict[str, Any], prefix: str) -> list[tuple[str, str]]:
    value = table.get("closed_edges", [])
    pairs_ok = isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(node, str) and node for node in pair)
        for pair in value
    )
    if not pairs_ok:
        reader.problem(prefix + "closed_edges", f"must be a list of [from, to] node-id pairs, not {shown(value)}")
        return []
    return [(pair[0], pair[1]) for pair in value]


def _construct_toml(
    reader: TomlReader, field_keys: dict[str, str], factory: Callable[[], T], prefix: str = ""
) -> T | None:
    try:
        return factory()
    except InvalidValueError as error:
        reader.problem(prefix + field_keys.get(error.field, error.field), error.problem)
        return None
