"""What one dispatch may spend and how it searches: :class:`Budget`, :class:`SolveParams`, and the
:class:`Allowance` that every CP-SAT call of a solve draws on.

One budget serves the whole answer: the lexicographic stages, their hints, the alternatives and the
relaxation probes all take their time limits from the same :class:`Allowance`, so a dispatch keeps
its deadline whatever it has to do. A budget is either

- **wall-clock** seconds: the desk's promise to answer in time; what a stage reaches depends on
  the machine's load, or
- **deterministic** seconds (CP-SAT's deterministic time, with one worker): the same plans on any
  machine and any load, which a what-if replication needs. A wall-clock cap far above the budget
  remains as a safety net; hitting it is reported (:attr:`Allowance.wall_capped`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from enum import StrEnum

from ortools.sat.python import cp_model

from fleetplan.errors import InvalidValueError

MAX_BUDGET_S = 3600.0
MAX_ALTERNATIVES = 10
MAX_WORKERS = 16
MAX_SEED = 2**31 - 1  # CP-SAT's random seed is a 32-bit integer
WALL_CAP_FACTOR = 20.0  # a deterministic budget's wall-clock safety cap: this many times the budget, plus a second


class BudgetKind(StrEnum):
    WALL_CLOCK = "wall_clock"
    DETERMINISTIC = "deterministic"


@dataclass(frozen=True)
class Budget:
    """How long a dispatch may think, in wall-clock or in deterministic seconds.

    Parameters
    ----------
    seconds
        For the whole answer: every stage, alternative and relaxation probe (> 0, at most an hour).
    kind
        :attr:`BudgetKind.WALL_CLOCK` (the default) or :attr:`BudgetKind.DETERMINISTIC`.

    Raises
    ------
    InvalidValueError
        Naming ``budget``: not a finite positive number of seconds, or over an hour.
    """

    seconds: float = 1.0
    kind: BudgetKind = BudgetKind.WALL_CLOCK

    def __post_init__(self) -> None:
        seconds = self.seconds
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or not 0 < seconds <= MAX_BUDGET_S
        ):
            raise InvalidValueError(
                "budget", f"{seconds!r} must be a number of seconds above 0 and at most {MAX_BUDGET_S:g}"
            )
        object.__setattr__(self, "kind", BudgetKind(self.kind))

    @classmethod
    def wall_clock(cls, seconds: float) -> Budget:
        """``seconds`` on the clock."""
        return cls(seconds, BudgetKind.WALL_CLOCK)

    @classmethod
    def deterministic(cls, seconds: float) -> Budget:
        """``seconds`` of CP-SAT deterministic time: reproducible plans (needs one worker)."""
        return cls(seconds, BudgetKind.DETERMINISTIC)

    @property
    def is_deterministic(self) -> bool:
        return self.kind == BudgetKind.DETERMINISTIC


@dataclass(frozen=True)
class SolveParams:
    """The knobs of one dispatch solve, checked when made.

    Parameters
    ----------
    budget
        For the whole answer (default one wall-clock second).
    alternatives
        Plans wanted in all: the best and ``alternatives - 1`` alternatives (1–10).
    workers
        CP-SAT workers (1–16); a deterministic budget needs exactly one.
    seed
        CP-SAT's random seed (0 – 2³¹−1).
    allow_split
        Passengers of one group may ride in several vehicles.
    hard_limits
        A plan must reach every passenger within the tier limit (otherwise lateness is penalised).
    keep
        Crews proposed before, as (coach, driver) or (coach, driver, incident id): among the best plans,
        the first keeps as many of them as it can (a re-plan that need not change a proposal does not);
        a crew given with its incident counts only where it rescues that incident's passengers.

    Raises
    ------
    InvalidValueError
        Naming the field whose value is out of range or of the wrong type.
    """

    budget: Budget = field(default_factory=Budget)
    alternatives: int = 3
    workers: int = 2
    seed: int = 0
    allow_split: bool = True
    hard_limits: bool = False
    keep: frozenset[tuple[str, ...]] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.budget, Budget):
            raise InvalidValueError("budget", f"{self.budget!r} is not a Budget")
        _require_whole(self.alternatives, "alternatives", 1, MAX_ALTERNATIVES)
        _require_whole(self.workers, "workers", 1, MAX_WORKERS)
        _require_whole(self.seed, "seed", 0, MAX_SEED)
        for name in ("allow_split", "hard_limits"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidValueError(name, f"{getattr(self, name)!r} must be true or false")
        if not isinstance(self.keep, frozenset) or not all(
            isinstance(crew, tuple) and len(crew) in (2, 3) and all(isinstance(part, str) for part in crew)
            for crew in self.keep
        ):
            raise InvalidValueError(
                "keep", f"{self.keep!r} must be a frozenset of (coach id, driver id[, incident id]) tuples"
            )
        if self.budget.is_deterministic and self.workers != 1:
            raise InvalidValueError(
                "workers",
                f"a deterministic budget needs one worker, not {self.workers} "
                "(parallel workers make the search depend on timing)",
            )


def _require_whole(value: object, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidValueError(name, f"{value!r} must be a whole number from {low} to {high}")


@dataclass
class _Account:
    """What a whole solve has spent, shared by all its allowances."""

    deterministic_s: float = 0.0
    wall_capped: bool = False


class Allowance:
    """The part of a :class:`Budget` that one step of a solve may spend.

    The root allowance is the whole budget; :meth:`share` hands a step part of what is left, and the
    step's CP-SAT calls take their limits from it (:meth:`limit`) and report what they used
    (:meth:`charge`), so every part of a solve draws on one account.
    """

    def __init__(self, budget: Budget, seconds: float | None = None, account: _Account | None = None) -> None:
        self.budget = budget
        self.seconds = budget.seconds if seconds is None else max(seconds, 0.0)
        self._account = account if account is not None else _Account()
        self._opened_at = time.perf_counter()
        self._opened_spent_s = self._account.deterministic_s

    def spent_s(self) -> float:
        """Seconds of this allowance's kind spent since it was opened."""
        if self.budget.is_deterministic:
            return self._account.deterministic_s - self._opened_spent_s
        return time.perf_counter() - self._opened_at

    def wall_elapsed_s(self) -> float:
        """Wall-clock seconds since this allowance was opened (what a caller waited, whatever the kind)."""
        return time.perf_counter() - self._opened_at

    def left_s(self) -> float:
        """Seconds left (negative once overspent)."""
        return self.seconds - self.spent_s()

    def share(self, seconds: float) -> Allowance:
        """A step's allowance: ``seconds`` of what is left (never more), drawn from the same account."""
        return Allowance(self.budget, min(seconds, max(self.left_s(), 0.0)), self._account)

    def limit(self, solver: cp_model.CpSolver, seconds: float) -> None:
        """Set ``solver``'s limit for one call of at most ``seconds`` of this budget's kind."""
        if self.budget.is_deterministic:
            solver.parameters.max_deterministic_time = seconds
            solver.parameters.max_time_in_seconds = WALL_CAP_FACTOR * self.budget.seconds + 1.0
        else:
            solver.parameters.max_time_in_seconds = seconds

    def charge(self, solver: cp_model.CpSolver) -> None:
        """Count a finished call of ``solver`` against the account."""
        if self.budget.is_deterministic:
            self._account.deterministic_s += solver.deterministic_time
            self._account.wall_capped |= solver.wall_time >= solver.parameters.max_time_in_seconds

    @property
    def wall_capped(self) -> bool:
        """Whether the wall-clock safety cap stopped a deterministic call (its plan may depend on load)."""
        return self._account.wall_capped
