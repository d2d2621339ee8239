"""Reading one value of a scenario file: each reader takes the raw TOML value and the field's dotted
name, and raises :class:`ValueProblem` with a sentence for the author when the value does not fit."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from fleetplan.units import parse_hhmm

from solver.planning.scenarios.spec import Bounds


class ValueProblem(ValueError):
    """One field of a scenario file is wrong; the loader adds the file's name."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def table(value: Any, field: str, known: tuple[str, ...] | None = None) -> Mapping[str, Any]:
    """A TOML table; with ``known``, any other key is refused (a typo must not silence a check)."""
    if not isinstance(value, Mapping):
        raise ValueProblem(field, f"must be a table, not {type(value).__name__}")
    if known is not None:
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueProblem(
                f"{field}.{unknown[0]}" if field else unknown[0], f"unknown key; known: {', '.join(known)}"
            )
    return value


def text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueProblem(field, "must be a non-empty string")
    return value.strip()


def whole(value: Any, field: str, minimum: int | None = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueProblem(field, f"{value!r} is not a whole number")
    if minimum is not None and value < minimum:
        raise ValueProblem(field, f"{value} is below {minimum}")
    return value


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValueProblem(field, f"{value!r} is not true or false")
    return value


def texts(value: Any, field: str) -> tuple[str, ...]:
    """A list of strings (a single string counts as a list of one)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueProblem(field, "must be a list of strings")
    return tuple(text(item, f"{field}[{n}]") for n, item in enumerate(value))


def bounds(value: Any, field: str) -> Bounds:
    """An exact whole number, or ``{ min = …, max = … }`` (either may be left out)."""
    if isinstance(value, Mapping):
        table(value, field, ("min", "max"))
        if not value:
            raise ValueProblem(field, "give min, max or both")
        low = whole(value["min"], f"{field}.min") if "min" in value else None
        high = whole(value["max"], f"{field}.max") if "max" in value else None
        if low is not None and high is not None and low > high:
            raise ValueProblem(field, f"min {low} is above max {high}")
        return Bounds(low, high)
    exact = whole(value, field)
    return Bounds(exact, exact)


def moment(value: Any, field: str) -> datetime:
    """A local date-time: a TOML local date-time (``2026-12-07T06:40``) or the same as a string."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueProblem(field, "give China-local time without an offset (2026-12-07T06:40)")
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueProblem(field, f"{value!r} is not a local date-time like 2026-12-07T06:40") from None
        return moment(parsed, field)
    raise ValueProblem(field, f"{value!r} is not a local date-time like 2026-12-07T06:40")


def enum_member(value: Any, kind: type[Enum], field: str) -> Any:
    choices = [member.value for member in kind]
    if value not in choices:
        raise ValueProblem(field, f"{value!r} is not one of {', '.join(map(str, choices))}")
    return kind(value)


def typed(value: Any, annotation: Any, field: str) -> Any:
    """``value`` converted to the type of a dataclass field (enum, day, clock time, number, text).

    An optional field (``date | None``) takes ``""`` for None, since TOML has no null.
    """
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    if options:
        if value == "" and type(None) in options:
            return None
        annotation = next(option for option in options if option is not type(None))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return enum_member(value, annotation, field)
    converter = _CONVERTERS.get(annotation)
    if converter is None:
        raise ValueProblem(field, f"cannot be changed by a scenario (a {annotation})")
    return converter(value, field)


def _day(value: Any, field: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueProblem(field, f"{value!r} is not a day YYYY-MM-DD") from None


def _clock(value: Any, field: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return parse_hhmm(str(value))
    except ValueError as error:
        raise ValueProblem(field, str(error)) from None


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueProblem(field, f"{value!r} is not a number")
    return float(value)


_CONVERTERS = {
    int: lambda value, field: whole(value, field, minimum=None),
    float: _number,
    bool: flag,
    str: text,
    date: _day,
    time: _clock,
    datetime: moment,
}
