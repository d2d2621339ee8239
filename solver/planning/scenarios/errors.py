"""The one error of the scenario book: a scenario file that cannot be read, naming the file and field."""

from __future__ import annotations

from pathlib import Path

from fleetplan.errors import FleetplanError


class ScenarioFileError(FleetplanError):
    """A scenario file is unreadable or says something the data cannot mean (CLI exit 2).

    The message names the file and the field (``setup.vehicles.c09.status``), so the author finds the
    line without a traceback.
    """

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = Path(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}" if field else str(self.path)
        super().__init__(f"{where}: {problem}")
