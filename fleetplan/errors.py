"""The one exception hierarchy of fleetplan.

Every error a user can cause derives from :class:`FleetplanError`, so interfaces (CLI, HTTP) can turn
it into a clear message (CLI exit 2, HTTP 4xx) instead of a traceback. Infeasible plans are a solver
*status*, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass


class FleetplanError(Exception):
    """Base class of every domain error; its message is written for the user.

    Subclasses whose ``__init__`` takes other arguments than the message say how to build them again
    (``__reduce__``): an error raised in a worker process must reach the service as itself.
    """


class InvalidValueError(FleetplanError, ValueError):
    """A value given to a domain object or function is not acceptable.

    ``field`` names what was wrong so the interface can point at it.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def __reduce__(self) -> tuple:
        return type(self), (self.field, self.problem)


class UnknownIdError(FleetplanError, KeyError):
    """An identifier (vehicle, driver, node, preset, …) that the data does not contain."""

    def __init__(self, kind: str, identifier: str, known: list[str] | None = None) -> None:
        self.kind = kind
        self.identifier = identifier
        self.known = known
        hint = ""
        if known:
            shown = ", ".join(sorted(known)[:12])
            more = "" if len(known) <= 12 else f", … ({len(known)} in all)"
            hint = f"; known: {shown}{more}"
        super().__init__(f"unknown {kind} {identifier!r}{hint}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]

    def __reduce__(self) -> tuple:
        return type(self), (self.kind, self.identifier, self.known)


class LocationError(FleetplanError):
    """A location could not be parsed or resolved on the road network."""


class NoRouteError(FleetplanError):
    """No path exists between two points under the given conditions. ``finding`` holds the facts
    (:class:`fleetplan.network.travel.NoRoute`) when the router raised it, to word it in any language."""

    def __init__(self, message: str, finding: object | None = None) -> None:
        super().__init__(message)
        self.finding = finding

    def __reduce__(self) -> tuple:
        return type(self), (self.args[0], self.finding)


@dataclass(frozen=True)
class DataProblem:
    """One problem found in an input table: where it is and what is wrong."""

    file: str
    row: int | None  # the row as numbered in an editor (the header is row 1); None for file-level problems
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


class DataValidationError(FleetplanError):
    """A dataset failed validation; carries *all* problems found, not just the first."""

    def __init__(self, problems: list[DataProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the data:\n{lines}")

    def __reduce__(self) -> tuple:
        return type(self), (self.problems,)


# --------------------------------------------------------------------------- validation helpers
def require(condition: bool, field_name: str, problem: str) -> None:
    """Raise :class:`InvalidValueError` naming ``field_name`` unless ``condition`` holds."""
    if not condition:
        raise InvalidValueError(field_name, problem)


def require_id(value: str, field_name: str) -> None:
    require(isinstance(value, str) and value.strip() != "", field_name, "must be a non-empty id")


PHONE_CHARS = (3, 20)  # 12122 (highway police) up to an international number with its +


def require_phone(value: object, field_name: str) -> None:
    """A phone number as written in the data: ASCII digits with an optional leading ``+``, 3 to 20
    characters (no spaces or dashes: gateways dial it as it stands)."""
    low, high = PHONE_CHARS
    digits = value[1:] if isinstance(value, str) and value.startswith("+") else value
    require(
        isinstance(value, str)
        and isinstance(digits, str)
        and low <= len(value) <= high
        and digits.isascii()
        and digits.isdigit(),
        field_name,
        f"{value!r} is not a phone number: digits with an optional leading +, {low} to {high} characters",
    )


def require_lat_lon(lat: float, lon: float) -> None:
    require(-90.0 <= lat <= 90.0, "lat", f"{lat} is not a latitude")
    require(-180.0 <= lon <= 180.0, "lon", f"{lon} is not a longitude")
