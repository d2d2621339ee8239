"""Operating assumptions of a rescue (E: the operator's practice, configurable), shared by the
instance builder and the evaluator so both judge a plan by the same rules."""

from __future__ import annotations

from dataclasses import dataclass

from fleetplan.model import require


@dataclass(frozen=True)
class OperationsPolicy:
    turnout_s: int = 10 * 60  # a standby crew from the call to rolling
    call_in_s: int = 30 * 60  # an off-shift driver called in: from the call to at the coach (E)
    transfer_s: int = 5 * 60  # passengers change coach at the scene
    passing_dwell_s: int = 10 * 60  # a passing coach stops, boards and leaves
    # A coach at its first stop this close to departure passes the scene on its trip like one under way (E)
    passing_window_s: int = 30 * 60
    max_passing_delay_s: int = 20 * 60  # the most a passing coach's own passengers may be delayed
    max_trip_shift_s: int = 30 * 60  # a re-covered trip may leave at most this late
    max_late_s: int = 3 * 3600  # options later than this past the limit are not worth offering
    trip_horizon_s: int = 12 * 3600  # later trips considered for re-covering
    # Candidate lists are bounded so that a fleet of a thousand coaches builds in seconds; on the
    # default corridor they never bind. Each incident considers the standing coaches that reach it
    # first (or, on time, carry the most) and each later trip the crews that run it soonest.
    max_rescue_coaches: int = 30  # standing coaches considered per stranded group
    spare_drivers_per_coach: int = 3  # spare drivers offered with each coach, rotated over a depot's coaches
    max_trip_covers: int = 12  # coaches considered per later trip on their own (chained crews come on top)
    # Rescue routes through several scenes (issue #18 §1): the crews considered per ordered pair of
    # groups, those that reach the first scene soonest. 0 sends every crew to one group only.
    max_route_crews: int = 6
    max_route_leg_s: int = 60 * 60  # the drive from one scene to the next, at most
    max_route_scenes: int = 4  # the scenes one route calls at, at most (a further one only with seats to spare)
    max_route_next: int = 3  # from each scene a route goes on to one of the nearest groups short of a coach
    # Routes offered at most: the longer ones, most promising first, while the count stays below it (the
    # routes of one more scene grow as groups³; thousands would outgrow the one-second solve)
    max_routes: int = 300

    def __post_init__(self) -> None:
        for name in (
            "turnout_s",
            "call_in_s",
            "transfer_s",
            "passing_dwell_s",
            "passing_window_s",
            "max_passing_delay_s",
            "max_trip_shift_s",
            "max_late_s",
            "trip_horizon_s",
            "max_route_crews",
            "max_route_leg_s",
            "max_route_scenes",
            "max_route_next",
            "max_routes",
        ):
            require(getattr(self, name) >= 0, name, "must not be negative")
        for name in ("max_rescue_coaches", "max_trip_covers", "spare_drivers_per_coach"):
            require(getattr(self, name) >= 1, name, "must be at least 1")
