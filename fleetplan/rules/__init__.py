"""Driver legality: may this driver take this coach for this drive, and if not, why and until when.

Rules (DESIGN §2.2; the numbers live in :class:`fleetplan.model.DrivingPolicy`, whose defaults are
the regulations):

- ``continuous_day``: ≤4 h continuous driving by day (规范 Art. 38; 实施条例 Art. 62(7)).
- ``continuous_night``: ≤2 h continuous driving at night, 22:00–06:00 (规范 Art. 38).
- ``rest_too_short``: a break under 20 min does not end continuous driving (规范 Art. 38).
- ``daily_8h``: ≤8 h driving in any 24 h; ``weekly_44h``: ≤44 h in any 7 days (规范 Art. 38).
- ``overnight_stop``: no driving 02:00–05:00 unless the trip is exempt, a policy switch
  (规范 2018; 交运规〔2023〕2号 Art. 32).
- ``double_booked``: the drive overlaps an interval of the driver's duty log.
- ``licence_class``: A1 for a coach ≥6 m long or with ≥20 occupants (驾驶证规定 Art. 11).
- ``probation``: not in the first 12 months of the licence (驾驶证规定 Art. 77).
- ``age``: at most 60 周岁, the working age of a passenger-coach driver (道路运输条例 Art. 9(2);
  道路运输从业人员管理规定 Art. 9(2)); 周岁 are reached the day after the birthday (民法典 Art. 201–202,
  法释〔2006〕1号 Art. 2), a policy switch, so 60 holds up to and including the 61st birthday.
- ``qualification``: a valid passenger-transport qualification certificate (道路运输条例 Art. 9).

Besides the rules of a drive, a *task* (:mod:`~fleetplan.rules.duty`: a rescue's drive to the scene,
duty there, any rest and onward drive) is checked piece by piece; the roster's shift
(:mod:`~fleetplan.rules.shift`: the whole task inside one shift; a later shift begins at home) and the
charter sign (:mod:`~fleetplan.rules.charter`: who needs a new one, when passengers may board) are
asked of every task by the builder and the evaluator.

(规范 = 道路旅客运输企业安全管理规范 2018; 实施条例 = 道路交通安全法实施条例; 驾驶证规定 =
机动车驾驶证申领和使用规定.)

Conventions chosen here, where the texts leave room (all conservative):

- **Continuous driving** is the driving time since the end of the last *rest* of at least
  ``min_rest_s``. A rest is time the log marks ``rest`` or does not cover at all (off duty);
  consecutive rest intervals and gaps add up. ``other`` duty (loading, paperwork) is work, not a
  rest: it interrupts a rest and does not end continuous driving, but it is not driving either, so
  it does not add to the driving total. Breaks shorter than ``min_rest_s`` do not end it.
- **Night**: a stretch that runs partly at night is judged pro rata, ``day_s / 4 h + night_s / 2 h
  ≤ 1``: pure day driving gets 4 h, pure night driving 2 h, and a mix never more than either share
  allows (the stricter reading of "2 h at night" without letting a day stretch end at 22:00 sharp).
- **Rolling windows**: every 24 h (7 days) window that overlaps the drive, not calendar days.
- **02:00–05:00**: the stop applies to the trip the drive belongs to; relay (接驳) is not modelled.
  A trip whose distance is unknown is not exempt under the distance rules.
- Time is counted in whole seconds on naive China-local datetimes (:mod:`fleetplan.units`).

The helpers :func:`licence_allows`, :func:`personal_eligibility`, :func:`driving_state` and
:func:`violations_at` are cheap (pure Python over sorted intervals); :func:`check_drive` adds the
earliest legal start and the remaining driving, which cost a search.

The package, by concept: :mod:`~fleetplan.rules.timeline` (clock stamps, night seconds, the duty
log as integer timelines), :mod:`~fleetplan.rules.personal` (licence, probation, age,
qualification), :mod:`~fleetplan.rules.checks` (the time rules at one start),
:mod:`~fleetplan.rules.search` (the earliest legal start), :mod:`~fleetplan.rules.wording` (every
message) and :mod:`~fleetplan.rules.legality` (the public checks that word what the others find);
:mod:`~fleetplan.rules.values` holds the codes and value types. The arithmetic never imports the
wording: the checks find what is broken as numbers and the wording composes the text.
"""

from __future__ import annotations

from fleetplan.rules.charter import earliest_boarding, needs_new_sign, sign_ready_at
from fleetplan.rules.checks import overnight_exempt
from fleetplan.rules.duty import DutyPiece, ProposedTask, cover_task, rescue_task, route_task
from fleetplan.rules.legality import (
    check_drive,
    cover_violations,
    licence_allows,
    personal_eligibility,
    task_violations,
    violations_at,
)
from fleetplan.rules.personal import age_in_zhousui, required_licence
from fleetplan.rules.shift import (
    CoverStart,
    cover_start,
    next_shift_start,
    off_shift_at,
    off_shift_reason,
    shift_label,
)
from fleetplan.rules.timeline import DrivingState, driving_state, driving_states, night_seconds
from fleetplan.rules.values import (
    PERSONAL_RULES,
    TIME_RULES,
    DriveVerdict,
    ProposedDrive,
    RuleCode,
    Violation,
)
from fleetplan.rules.wording import format_duration

__all__ = [
    "PERSONAL_RULES",
    "TIME_RULES",
    "CoverStart",
    "DriveVerdict",
    "DrivingState",
    "DutyPiece",
    "ProposedDrive",
    "ProposedTask",
    "RuleCode",
    "Violation",
    "age_in_zhousui",
    "check_drive",
    "cover_start",
    "driving_state",
    "driving_states",
    "earliest_boarding",
    "format_duration",
    "licence_allows",
    "needs_new_sign",
    "next_shift_start",
    "night_seconds",
    "off_shift_at",
    "off_shift_reason",
    "overnight_exempt",
    "personal_eligibility",
    "required_licence",
    "cover_task",
    "cover_violations",
    "rescue_task",
    "route_task",
    "shift_label",
    "sign_ready_at",
    "task_violations",
    "violations_at",
]
