"""What a plan checker finds: a :class:`Problem` has a code, the subject it is about, the numbers
behind it and a sentence for people. Code reads the code and the numbers; people read the sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ProblemCode(StrEnum):
    UNKNOWN_ID = "unknown_id"  # the plan names a coach, driver, group or trip the data lacks
    ORACLE_DISAGREES = "oracle_disagrees"  # the independent oracle (fleetplan.oracle) re-derives it otherwise
    NO_ROUTE = "no_route"  # a leg the plan claims cannot be routed under the conditions
    FAILED_COACH = "failed_coach"  # a failed coach is used
    IN_WORKSHOP = "in_workshop"
    PERMIT_EXPIRED = "permit_expired"
    DRIVER_INELIGIBLE = "driver_ineligible"  # licence, probation, age or qualification
    DRIVING_RULES = "driving_rules"  # continuous driving, rests, 24 h / 7 days, 02:00–05:00
    NO_PASSENGERS = "no_passengers"
    SEATS_EXCEEDED = "seats_exceeded"
    WRONG_ORIGIN = "wrong_origin"  # the coach does not stand where the plan says
    DRIVER_ELSEWHERE = "driver_elsewhere"  # the driver is not with the coach
    DRIVER_ON_TRIP = "driver_on_trip"
    DRIVER_WITH_FAILED_COACH = "driver_with_failed_coach"
    OFF_SHIFT = "off_shift"
    LEAVES_TOO_EARLY = "leaves_too_early"  # before the crew can turn out
    SCENE_TIME = "scene_time"  # the claimed arrival at the scene differs from the network's
    ARRIVAL_TIME = "arrival_time"  # the claimed arrival at the destination differs
    REST_PLACE = "rest_place"  # a rest on the way is not at a rest place on the way, or too short
    EMPTY_RUNNING = "empty_running"  # the claimed empty-running distance differs
    BOARDS_TOO_EARLY = "boards_too_early"  # before arrival or before the charter sign is filed
    DRIVER_HOURS_LEFT = "driver_hours_left"  # the claimed driving hours left differ
    WRONG_DRIVER = "wrong_driver"  # a passing coach with another driver than its trip's
    WRONG_DESTINATION = "wrong_destination"
    DOES_NOT_PASS = "does_not_pass"  # a "passing" coach whose route misses the scene
    OWN_PASSENGERS_DELAYED = "own_passengers_delayed"
    SHIFT_OUT_OF_RANGE = "shift_out_of_range"  # a trip's departure shift outside the allowed range
    CANNOT_REACH_TRIP = "cannot_reach_trip"
    SIGN_NOT_FILED = "sign_not_filed"  # a replacement coach leaves before its charter sign is filed
    OVER_CARRIED = "over_carried"  # more passengers carried than stranded
    DOUBLE_BOOKED = "double_booked"
    CREW_SPLIT = "crew_split"  # a coach or driver rescues with one partner and covers a trip with another
    UNAVAILABLE_USED = "unavailable_used"
    TRIP_COVERED_TWICE = "trip_covered_twice"
    TRIP_COVERED_AND_UNCOVERED = "trip_covered_and_uncovered"
    TRIP_UNACCOUNTED = "trip_unaccounted"  # a trip at stake is neither covered nor declared uncovered
    TRIP_LOST_TO_RESCUE = "trip_lost_to_rescue"
    OWN_TRIP_LOST = "own_trip_lost"  # a crew taken for another trip misses its own
    OBJECTIVE_MISMATCH = "objective_mismatch"


@dataclass(frozen=True)
class Problem:
    """One finding about a plan.

    Parameters
    ----------
    code
        What kind of problem it is.
    subject
        What it is about, as people name it: ``rescue by c05``, ``trip PM3 by c02``, ``objective``.
    message
        The whole sentence for people (``str(problem)``).
    numbers
        The values behind it, as (name, value) pairs: what the plan claims and what was found.
    """

    code: ProblemCode
    subject: str
    message: str
    numbers: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return self.message

    def number(self, name: str) -> Any:
        """The value named ``name`` (KeyError if the problem has none)."""
        return dict(self.numbers)[name]


def problem(code: ProblemCode, subject: str, detail: str, **numbers: Any) -> Problem:
    """A problem whose sentence is ``"<subject>: <detail>"``."""
    return Problem(code, subject, f"{subject}: {detail}", tuple(numbers.items()))
