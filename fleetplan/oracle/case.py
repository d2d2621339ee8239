"""What a plan answers (the case) and what the oracle says about it (disagreements).

A :class:`Case` is the incident(s), the road conditions (a preset name, a mapping shaped like a
``conditions.toml`` table, or a :class:`fleetplan.model.Conditions`), the ids that cannot be used and
the operations constants, all plain values so that any caller can build one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from fleetplan.errors import InvalidValueError, UnknownIdError
from fleetplan.model import Conditions
from fleetplan.oracle.from_dataset import preset_of
from fleetplan.oracle.reading import preset_from_mapping
from fleetplan.oracle.sightings import CaseFix
from fleetplan.oracle.world import CLEAR, Preset, World

TURNOUT_S = 600  # a standby crew from the call to rolling
TRANSFER_S = 300  # passengers change coach at the scene
PASSING_DWELL_S = 600  # a passing coach stops, boards and leaves
PASSING_WINDOW_S = 1800  # a coach at its first stop this close to departure passes like one under way
TRIP_HORIZON_S = 12 * 3600  # later trips of a failed coach that need a crew


@dataclass(frozen=True)
class CaseIncident:
    """One reported failure: the coach, where (a location text), when, how many on board, its trip."""

    id: str
    vehicle_id: str
    location: str
    reported_at: datetime
    passengers: int
    trip_id: str | None = None
    group_id: str = ""  # the plan's group id for it; default ``G-<id>`` as the dispatch path names groups

    @property
    def group(self) -> str:
        return self.group_id or f"G-{self.id}"


@dataclass(frozen=True)
class Case:
    """The incident(s) a plan answers and the circumstances it was made in."""

    incidents: tuple[CaseIncident, ...]
    conditions: str | Mapping[str, Any] | Conditions = "clear"
    unavailable: frozenset[str] = frozenset()
    turnout_s: int = TURNOUT_S
    transfer_s: int = TRANSFER_S
    passing_dwell_s: int = PASSING_DWELL_S
    trip_horizon_s: int = TRIP_HORIZON_S
    passing_window_s: int = PASSING_WINDOW_S
    fixes: tuple[CaseFix, ...] = ()  # the coaches' fresh GPS fixes the plan was made with

    def __post_init__(self) -> None:
        if not self.incidents:
            raise InvalidValueError("incidents", "a case needs at least one incident")
        object.__setattr__(self, "unavailable", frozenset(self.unavailable))
        object.__setattr__(self, "fixes", tuple(self.fixes))

    def fix_of(self, vehicle_id: str) -> CaseFix | None:
        return self._fix_by_vehicle.get(vehicle_id)

    @cached_property
    def _fix_by_vehicle(self) -> dict[str, CaseFix]:
        return {fix.vehicle_id: fix for fix in self.fixes}

    @property
    def at(self) -> datetime:
        """The decision time: the latest report."""
        return max(incident.reported_at for incident in self.incidents)

    @property
    def failed(self) -> frozenset[str]:
        return frozenset(incident.vehicle_id for incident in self.incidents)

    def incident_of_group(self, group_id: str) -> CaseIncident | None:
        return next((i for i in self.incidents if group_id in (i.group, i.id)), None)


def case_of(
    incidents: Iterable[Any],
    conditions: str | Mapping[str, Any] | Conditions = "clear",
    unavailable: Iterable[str] = (),
    fixes: Iterable[CaseFix] = (),
    **operations: int,
) -> Case:
    """A case from :class:`fleetplan.model.Incident` objects (read by attribute), for the dispatch path.

    Parameters
    ----------
    incidents
        The incidents of one dispatch.
    conditions
        A preset name, a ``conditions.toml``-shaped mapping or a :class:`fleetplan.model.Conditions`.
    unavailable
        Coach and driver ids that cannot be used (the keys of the dispatch's ``unavailable``).
    fixes
        The coaches' fresh GPS fixes the dispatch used.
    **operations
        ``turnout_s``, ``transfer_s``, ``passing_dwell_s``, ``trip_horizon_s`` as the dispatch used them
        (e.g. from its ``OperationsPolicy``); the defaults are those of :class:`Case`.

    Returns
    -------
    Case
    """
    return Case(
        tuple(
            CaseIncident(i.id, i.vehicle_id, i.location, i.at, i.passengers, getattr(i, "trip_id", None))
            for i in incidents
        ),
        conditions,
        frozenset(unavailable),
        fixes=tuple(fixes),
        **operations,
    )


def preset_for(world: World, conditions: str | Mapping[str, Any] | Conditions) -> Preset:
    """The conditions of a case as an oracle preset.

    Raises
    ------
    UnknownIdError
        For a preset name the world lacks (``clear`` is always known).
    """
    if isinstance(conditions, Conditions):
        return preset_of(conditions)
    if isinstance(conditions, str):
        found = world.preset(conditions)
        if found is None and conditions == CLEAR.name:
            return CLEAR
        if found is None:
            raise UnknownIdError("conditions preset", conditions, [p.name for p in world.presets])
        return found
    return preset_from_mapping(str(conditions.get("name", "explicit")), dict(conditions))


@dataclass(frozen=True)
class Disagreement:
    """A claim of a plan the oracle does not confirm.

    ``plan`` is the plan's rank (1 = best); ``subject`` the option (or ``plan``, ``group …``, ``trip …``);
    ``field`` what is claimed; ``engine`` and ``oracle`` the two values as text; ``code`` a stable
    kind (``too_early``, ``pessimistic``, ``workshop``, ``licence``, ``shift``, ``seats``, …);
    ``reason`` one line.
    """

    plan: int
    subject: str
    field: str
    engine: str
    oracle: str
    code: str
    reason: str

    def __str__(self) -> str:
        return (
            f"plan {self.plan} · {self.subject} · {self.field}: engine {self.engine}, oracle {self.oracle} "
            f"[{self.code}] {self.reason}"
        )


@dataclass(frozen=True)
class Claim:
    """Who makes the claims being checked: plan rank and subject (an option id, ``plan``, …)."""

    plan: int
    subject: str

    def disagree(self, field_name: str, engine: object, oracle: object, code: str, reason: str) -> Disagreement:
        return Disagreement(self.plan, self.subject, field_name, _text(engine), _text(oracle), code, reason)


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)
