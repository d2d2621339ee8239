"""Loading the scenario book: one TOML file per scenario (format in ``docs/scenarios.md``).

Every key is checked when the file is read, and an unknown key is refused, so that a misspelt
expectation fails loudly instead of silently checking nothing. Ids that need the corridor's data
(coaches, drivers, trips, presets, places) are checked when the scenario is staged
(:mod:`.staging`). Every problem is a :class:`~.errors.ScenarioFileError` naming the file and field.
"""

from __future__ import annotations

import tomllib
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fleetplan.errors import UnknownIdError
from fleetplan.instance import RejectionCode
from fleetplan.model import Activity, Driver, DrivingPolicy, DutyInterval, IncidentKind, Vehicle
from fleetplan.operations import OperationsPolicy

from solver.dispatch import Status
from solver.planning.scenarios.errors import ScenarioFileError
from solver.planning.scenarios.spec import Bounds, Changes, Expect, IncidentExpect, IncidentSpec, Scenario, Setup
from solver.planning.scenarios.values import (
    ValueProblem,
    bounds,
    enum_member,
    flag,
    moment,
    table,
    text,
    texts,
    typed,
    whole,
)

SUFFIX = ".toml"
SCENARIO_KEYS = ("title", "tags", "conditions", "incident", "setup", "expect")
INCIDENT_KEYS = ("id", "vehicle", "at", "time", "passengers", "kind", "trip", "drivable")
SETUP_KEYS = ("policy", "ops", "vehicles", "drivers", "unavailable", "duty_log")
LOG_KEYS = ("driver", "start", "end", "activity")
EXPECT_KEYS = (
    "status",
    "plans",
    "not_used",
    "rejected",
    "covered",
    "uncovered",
    "untouched",
    "trip_covers",
    "relaxations",
    "reached_total",
    "late_total",
    "not_reached_total",
    "distinct_alternatives",
    "incident",
)
INCIDENT_EXPECT_KEYS = (
    "tier",
    "limit_min",
    "reached",
    "late",
    "not_reached",
    "response_min",
    "rescuers_include",
    "rescuers_any_of",
    "rescuers_only",
    "rescuers_count",
    "drivers_include",
    "drivers_only",
    "passing_offered",
    "passing_not_offered",
    "rest_at_scene_min",
    "rest_on_way_any_of",
)
FIXED_FIELDS = ("id",)


def scenario_paths(directory: Path | str) -> tuple[Path, ...]:
    """The scenario files of a book directory, by name.

    Raises
    ------
    ScenarioFileError
        When ``directory`` is not a directory or holds no scenario file.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ScenarioFileError(directory, "", "no such directory of scenarios")
    paths = tuple(sorted(directory.glob(f"*{SUFFIX}")))
    if not paths:
        raise ScenarioFileError(directory, "", f"holds no scenario file (*{SUFFIX})")
    return paths


def load_book(directory: Path | str, only: Sequence[str] = ()) -> tuple[Scenario, ...]:
    """Load the scenarios of ``directory`` (all, or those named in ``only``, in the book's order).

    Raises
    ------
    ScenarioFileError
        For a missing directory or any unreadable file among those loaded.
    UnknownIdError
        For a name in ``only`` that no file of the book has.
    """
    paths = scenario_paths(directory)
    names = [path.stem for path in paths]
    for name in only:
        if name not in names:
            raise UnknownIdError("scenario", name, names)
    wanted = set(only)
    return tuple(load_scenario(path) for path in paths if not wanted or path.stem in wanted)


def load_scenario(path: Path | str) -> Scenario:
    """Read and check one scenario file.

    Raises
    ------
    ScenarioFileError
        Naming the file and the field: unreadable file, bad TOML, a missing, unknown or mistyped key.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioFileError(path, "", f"cannot be read ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScenarioFileError(path, "", f"is not valid TOML: {error}") from None
    try:
        return _scenario(path, data)
    except ValueProblem as problem:
        raise ScenarioFileError(path, problem.field, problem.problem) from None


def _scenario(path: Path, data: Mapping[str, Any]) -> Scenario:
    table(data, "", SCENARIO_KEYS)
    for key in ("title", "incident", "expect"):
        if key not in data:
            raise ValueProblem(key, "is missing")
    incidents = _incidents(data["incident"])
    return Scenario(
        name=path.stem,
        path=path,
        title=text(data["title"], "title"),
        incidents=incidents,
        conditions=text(data.get("conditions", "clear"), "conditions"),
        setup=_setup(data.get("setup", {})),
        expect=_expect(data["expect"], tuple(i.id for i in incidents)),
        tags=texts(data.get("tags", []), "tags"),
    )


def _incidents(value: Any) -> tuple[IncidentSpec, ...]:
    if not isinstance(value, list) or not value:
        raise ValueProblem("incident", "give at least one [[incident]] table")
    incidents = tuple(_incident(entry, n) for n, entry in enumerate(value, start=1))
    ids = [incident.id for incident in incidents]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise ValueProblem("incident.id", f"{duplicate!r} is given twice")
    return incidents


def _incident(value: Any, number: int) -> IncidentSpec:
    field = f"incident[{number}]"
    entry = table(value, field, INCIDENT_KEYS)
    for key in ("vehicle", "at", "time", "passengers"):
        if key not in entry:
            raise ValueProblem(f"{field}.{key}", "is missing")
    return IncidentSpec(
        id=text(entry.get("id", f"i{number}"), f"{field}.id"),
        vehicle=text(entry["vehicle"], f"{field}.vehicle"),
        at=text(entry["at"], f"{field}.at"),
        time=moment(entry["time"], f"{field}.time"),
        passengers=whole(entry["passengers"], f"{field}.passengers"),
        kind=enum_member(entry.get("kind", "breakdown"), IncidentKind, f"{field}.kind"),
        trip=text(entry["trip"], f"{field}.trip") if "trip" in entry else None,
        drivable=flag(entry.get("drivable", False), f"{field}.drivable"),
    )


def _setup(value: Any) -> Setup:
    setup = table(value, "setup", SETUP_KEYS)
    unavailable = table(setup.get("unavailable", {}), "setup.unavailable")
    return Setup(
        policy=_changes(setup.get("policy", {}), DrivingPolicy, "setup.policy"),
        ops=_changes(setup.get("ops", {}), OperationsPolicy, "setup.ops"),
        vehicles=_changes_by_id(setup.get("vehicles", {}), Vehicle, "setup.vehicles"),
        drivers=_changes_by_id(setup.get("drivers", {}), Driver, "setup.drivers"),
        unavailable=tuple((key, text(why, f"setup.unavailable.{key}")) for key, why in unavailable.items()),
        duty_log=_duty_log(setup.get("duty_log", [])),
    )


def _changes(value: Any, kind: type, field: str) -> Changes:
    """Field changes of a dataclass ``kind``, each value read as the field's type."""
    hints = typing.get_type_hints(kind)
    changes = table(value, field, tuple(name for name in hints if name not in FIXED_FIELDS))
    return tuple((name, typed(raw, hints[name], f"{field}.{name}")) for name, raw in changes.items())


def _changes_by_id(value: Any, kind: type, field: str) -> tuple[tuple[str, Changes], ...]:
    return tuple((key, _changes(raw, kind, f"{field}.{key}")) for key, raw in table(value, field).items())


def _duty_log(value: Any) -> tuple[DutyInterval, ...]:
    if not isinstance(value, list):
        raise ValueProblem("setup.duty_log", "must be a list of { driver, start, end, activity } tables")
    intervals = []
    for n, raw in enumerate(value, start=1):
        field = f"setup.duty_log[{n}]"
        entry = table(raw, field, LOG_KEYS)
        start, end = moment(entry.get("start"), f"{field}.start"), moment(entry.get("end"), f"{field}.end")
        if end <= start:
            raise ValueProblem(f"{field}.end", f"{end:%Y-%m-%dT%H:%M} is not after start {start:%Y-%m-%dT%H:%M}")
        activity = enum_member(entry.get("activity", "drive"), Activity, f"{field}.activity")
        intervals.append(DutyInterval(text(entry.get("driver"), f"{field}.driver"), start, end, activity))
    return tuple(intervals)


def _expect(value: Any, incident_ids: tuple[str, ...]) -> Expect:
    expect = table(value, "expect", EXPECT_KEYS)
    if not expect:
        raise ValueProblem("expect", "states nothing: give what the hand reasoning supports")
    statuses = texts(expect.get("status", []), "expect.status")
    for n, status in enumerate(statuses):
        enum_member(status, Status, f"expect.status[{n}]")
    incidents = table(expect.get("incident", {}), "expect.incident")
    for key in incidents:
        if key not in incident_ids:
            raise ValueProblem(f"expect.incident.{key}", f"no incident has this id; ids: {', '.join(incident_ids)}")
    return Expect(
        status=statuses,
        plans=_optional_bounds(expect, "plans", "expect"),
        not_used=texts(expect.get("not_used", []), "expect.not_used"),
        rejected=_rejected(expect.get("rejected", {})),
        covered=texts(expect.get("covered", []), "expect.covered"),
        uncovered=texts(expect.get("uncovered", []), "expect.uncovered"),
        untouched=texts(expect.get("untouched", []), "expect.untouched"),
        trip_covers=_optional_bounds(expect, "trip_covers", "expect"),
        relaxations=texts(expect.get("relaxations", []), "expect.relaxations"),
        reached_total=_optional_bounds(expect, "reached_total", "expect"),
        late_total=_optional_bounds(expect, "late_total", "expect"),
        not_reached_total=_optional_bounds(expect, "not_reached_total", "expect"),
        distinct_alternatives=flag(expect.get("distinct_alternatives", False), "expect.distinct_alternatives"),
        incidents=tuple(_incident_expect(key, raw) for key, raw in incidents.items()),
    )


def _optional_bounds(entry: Mapping[str, Any], key: str, field: str) -> Bounds | None:
    return bounds(entry[key], f"{field}.{key}") if key in entry else None


def _rejected(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    found = []
    for candidate, codes in table(value, "expect.rejected").items():
        field = f"expect.rejected.{candidate}"
        names = texts(codes, field)
        for n, name in enumerate(names):
            enum_member(name, RejectionCode, f"{field}[{n}]" if len(names) > 1 else field)
        found.append((candidate, names))
    return tuple(found)


def _incident_expect(incident_id: str, value: Any) -> IncidentExpect:
    field = f"expect.incident.{incident_id}"
    entry = table(value, field, INCIDENT_EXPECT_KEYS)
    if not entry:
        raise ValueProblem(field, "states nothing")

    def optional_bounds(key: str) -> Bounds | None:
        return _optional_bounds(entry, key, field)

    def ids(key: str) -> tuple[str, ...]:
        return texts(entry.get(key, []), f"{field}.{key}")

    return IncidentExpect(
        incident_id=incident_id,
        tier=text(entry["tier"], f"{field}.tier") if "tier" in entry else None,
        limit_min=whole(entry["limit_min"], f"{field}.limit_min") if "limit_min" in entry else None,
        reached=optional_bounds("reached"),
        late=optional_bounds("late"),
        not_reached=optional_bounds("not_reached"),
        response_min=optional_bounds("response_min"),
        rescuers_include=ids("rescuers_include"),
        rescuers_any_of=ids("rescuers_any_of"),
        rescuers_only=ids("rescuers_only"),
        rescuers_count=optional_bounds("rescuers_count"),
        drivers_include=ids("drivers_include"),
        drivers_only=ids("drivers_only"),
        passing_offered=ids("passing_offered"),
        passing_not_offered=ids("passing_not_offered"),
        rest_at_scene_min=whole(entry["rest_at_scene_min"], f"{field}.rest_at_scene_min")
        if "rest_at_scene_min" in entry
        else None,
        rest_on_way_any_of=ids("rest_on_way_any_of"),
    )
