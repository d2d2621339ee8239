"""Reports that come while a joint re-plan runs wait and are re-planned together (api.desk.batches), and
a batch is split into joint plans newest first, each incident once (JointPlanner.plan_reported)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from api.desk.batches import IdleWork, ReportBatches, Waiting
from api.desk.dispatch_pool import ReportsWaiting
from api.desk.joint import JointPlanner
from api.desk.joint_views import Trigger
from api.records.types import IncidentHead, IncidentStatus

WAIT_S = 10.0


class GatedRuns:
    """A batch runner that records each batch and holds the first ``held`` until released."""

    def __init__(self, held: int = 1, fail_first: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.started = threading.Semaphore(0)
        self.release = [threading.Event() for _ in range(held)]
        self.fail_first = fail_first

    def __call__(self, batch: Sequence[Waiting], served) -> None:
        self.batches.append([w.number for w in batch])
        index = len(self.batches) - 1
        self.started.release()
        if index < len(self.release):
            assert self.release[index].wait(WAIT_S)
        if self.fail_first and index == 0:
            raise RuntimeError("the solver fell over")


def start(batches: ReportBatches, number: int) -> threading.Thread:
    thread = threading.Thread(target=batches.replan, args=(number, "dispatcher"), daemon=True)
    thread.start()
    return thread


def one_running_one_waiting(runs: GatedRuns, batches: ReportBatches) -> tuple[threading.Thread, threading.Thread]:
    """Report 1 in a batch that ``runs`` holds, report 2 waiting for the next; their callers."""
    first = start(batches, 1)
    assert runs.started.acquire(timeout=WAIT_S)
    second = start(batches, 2)
    wait_until(lambda: batches.waiting() == 1)
    return first, second


def wait_until(condition, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_lone_report_is_planned_at_once():
    runs = GatedRuns(held=0)
    lone = start(ReportBatches(runs), 7)
    lone.join(WAIT_S)
    assert not lone.is_alive()
    assert runs.batches == [[7]]


def test_reports_one_after_another_each_start_a_batch_when_none_runs():
    runs = GatedRuns(held=0)
    batches = ReportBatches(runs)
    for number in range(1, 6):
        thread = start(batches, number)
        thread.join(WAIT_S)
        assert not thread.is_alive()
    assert runs.batches == [[1], [2], [3], [4], [5]]


def test_reports_during_a_run_wait_and_are_planned_in_one_next_batch():
    runs = GatedRuns(held=1)
    batches = ReportBatches(runs)
    first = start(batches, 1)
    assert runs.started.acquire(timeout=WAIT_S)
    later = [start(batches, n) for n in (2, 3, 4)]
    wait_until(lambda: batches.waiting() == 3)
    runs.release[0].set()
    for thread in [first, *later]:
        thread.join(WAIT_S)
        assert not thread.is_alive()
    assert [sorted(b) for b in runs.batches] == [[1], [2, 3, 4]]


def test_a_caller_returns_when_its_own_batch_is_stored_not_after_the_next():
    runs = GatedRuns(held=2)
    batches = ReportBatches(runs)
    first, second = one_running_one_waiting(runs, batches)
    runs.release[0].set()
    first.join(WAIT_S)
    assert runs.started.acquire(timeout=WAIT_S)  # the second batch is running, held
    assert not first.is_alive() and second.is_alive()
    runs.release[1].set()
    second.join(WAIT_S)
    assert not second.is_alive()


def test_a_report_returns_as_soon_as_its_own_plan_is_stored_before_its_batch_ends():
    batch_served = threading.Event()
    hold_rest = threading.Event()
    first_started = threading.Event()
    release_first = threading.Event()

    def run(batch, served):
        numbers = [w.number for w in batch]
        if numbers == [1]:
            first_started.set()
            assert release_first.wait(WAIT_S)
            return
        served([2])  # 2's plan is stored; 3's is still being planned
        batch_served.set()
        assert hold_rest.wait(3 * WAIT_S)  # longer than the test waits for the served report

    batches = ReportBatches(run)
    first = start(batches, 1)
    assert first_started.wait(WAIT_S)
    second, third = start(batches, 2), start(batches, 3)
    wait_until(lambda: batches.waiting() == 2)
    release_first.set()
    first.join(WAIT_S)
    assert batch_served.wait(WAIT_S)
    second.join(WAIT_S)
    assert not first.is_alive() and not second.is_alive()
    assert third.is_alive(), "3 waits for its own plan"
    hold_rest.set()
    third.join(WAIT_S)
    assert not third.is_alive()


def test_a_failed_batch_is_logged_and_frees_its_callers_and_the_next_batch_runs(caplog):
    runs = GatedRuns(held=1, fail_first=True)
    batches = ReportBatches(runs)
    first, second = one_running_one_waiting(runs, batches)
    runs.release[0].set()
    for thread in (first, second):
        thread.join(WAIT_S)
        assert not thread.is_alive()
    assert runs.batches == [[1], [2]]
    assert "joint re-planning failed" in caplog.text


# --------------------------------------------------------------------------- splitting a batch
class Settings:
    joint_planning = True
    joint_max_incidents = 3
    dispatch_concurrency = 1


class Desk:
    settings = Settings()
    dispatch_pool = SimpleNamespace(reports_waiting=ReportsWaiting(shared=False))


class RecordingPlanner(JointPlanner):
    """plan_reported over a fixed set of open incidents (all near in time), its re-plans recorded."""

    def __init__(self, open_numbers: Sequence[int], concurrency: int = 1) -> None:
        desk = Desk()
        desk.settings = Settings()
        desk.settings.dispatch_concurrency = concurrency
        super().__init__(desk)  # type: ignore[arg-type]
        self.open_numbers = sorted(open_numbers)
        self.replans: list[tuple[list[int], str, str]] = []
        self.first_only: list[bool] = []

    def unaccepted(self, exclude=None, near=None):
        return [n for n in self.open_numbers if n != exclude]

    def open_heads(self):
        return []  # partners below knows the open incidents

    def partners(self, number, planned=frozenset(), heads=None):
        open_near = [n for n in self.unaccepted(exclude=number) if n not in planned]
        return open_near[-(self.desk.settings.joint_max_incidents - 1) :]

    def replan(self, numbers, actor, trigger: Trigger, first_only=False):
        self.replans.append((sorted(numbers), actor, trigger.en))
        self.first_only.append(first_only)
        return {}


def test_a_batch_is_planned_newest_first_each_incident_once_within_the_cap():
    planner = RecordingPlanner(open_numbers=[1, 2, 3, 4, 5, 6, 7])
    batch = [Waiting(n, f"desk {n}") for n in (5, 6, 7)]
    planner.plan_reported(batch)
    assert planner.replans == [
        ([5, 6, 7], "desk 7", "incidents 5, 6, 7 were reported"),
    ]


def test_reports_beyond_the_cap_are_planned_in_further_joint_plans_without_repeats():
    planner = RecordingPlanner(open_numbers=[1, 2, 3, 4, 5, 6, 7])
    batch = [Waiting(n, "dispatcher") for n in (2, 4, 7)]
    planner.plan_reported(batch)
    planned = [numbers for numbers, _, _ in planner.replans]
    assert planned == [[5, 6, 7], [2, 3, 4]]  # 2 goes with 4, the newest report left; 1 is not reported
    assert [trigger for _, _, trigger in planner.replans] == ["incident 7 was reported", "incidents 2, 4 were reported"]
    every = [n for numbers in planned for n in numbers]
    assert len(every) == len(set(every))


@pytest.mark.parametrize("numbers", [(3,), (1, 2)])
def test_the_trigger_names_one_report_or_several(numbers):
    trigger = Trigger.reported(*numbers)
    text = ", ".join(map(str, numbers))
    assert text in trigger.en and text in trigger.zh
    assert trigger.en.startswith("incident " if len(numbers) == 1 else "incidents ")


def test_the_plans_of_a_batch_run_at_once_up_to_the_concurrency_and_each_is_served():
    planner = RecordingPlanner(open_numbers=[1, 2, 3, 4, 5, 6], concurrency=2)
    both_in_flight = threading.Barrier(2, timeout=WAIT_S)
    recorded = planner.replan

    def replan(numbers, actor, trigger, first_only=False):
        both_in_flight.wait()  # breaks (and the test fails) unless two plans run at the same time
        return recorded(numbers, actor, trigger, first_only)

    planner.replan = replan
    served: list[list[int]] = []
    planner.plan_reported([Waiting(n, "dispatcher") for n in (3, 6)], served.append)
    assert sorted(numbers for numbers, _, _ in planner.replans) == [[1, 2, 3], [4, 5, 6]]
    assert sorted(served) == [[3], [6]]


def test_a_plan_that_fails_is_logged_and_the_others_of_the_batch_are_still_planned(caplog):
    planner = RecordingPlanner(open_numbers=[1, 2, 3, 4, 5, 6])
    recorded = planner.replan

    def replan(numbers, actor, trigger, first_only=False):
        if 6 in numbers:
            raise RuntimeError("the store went away")
        return recorded(numbers, actor, trigger, first_only)

    planner.replan = replan
    served: list[list[int]] = []
    planner.plan_reported([Waiting(n, "dispatcher") for n in (3, 6)], served.append)
    assert [numbers for numbers, _, _ in planner.replans] == [[1, 2, 3]]
    assert sorted(served) == [[3], [6]]  # 6's caller is told too: its record says it has no options yet
    assert "joint re-planning failed" in caplog.text


# --------------------------------------------------------------------------- the best plan first
def test_each_plan_of_a_batch_of_several_is_a_first_answer_and_a_lone_report_gets_all_its_options():
    planner = RecordingPlanner(open_numbers=[1, 2, 3, 4, 5, 6])
    planner.plan_reported([Waiting(6, "dispatcher")])
    assert planner.first_only == [False], "nobody waits: all the options at once"
    planner.plan_reported([Waiting(n, "dispatcher") for n in (3, 6)])
    assert planner.first_only[1:] == [True, True], "two plans in the batch: each answers its reports first"


def test_a_plan_started_while_another_report_waits_is_a_first_answer():
    planner = RecordingPlanner(open_numbers=[1, 2])
    planner.batches.waiting = lambda: 1  # type: ignore[method-assign]
    planner.plan_reported([Waiting(2, "dispatcher")])
    assert planner.first_only == [True]


class IdleSteps:
    """Idle work of ``steps`` steps, each recorded (and the first one held until released)."""

    def __init__(self, steps: int, hold_first: bool = False, fail_first: bool = False) -> None:
        self.left = steps
        self.done: list[int] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.fail_first = fail_first

    def pending(self) -> bool:
        return self.left > 0

    def step(self) -> None:
        self.left -= 1
        self.started.set()
        assert self.release.wait(WAIT_S)
        self.done.append(self.left)
        if self.fail_first and len(self.done) == 1:
            raise RuntimeError("the solver fell over")


def test_idle_work_runs_after_the_batches_step_by_step_and_the_thread_then_stops():
    runs = GatedRuns(held=0)
    idle = IdleSteps(3)
    batches = ReportBatches(runs, IdleWork(idle.pending, idle.step))
    start(batches, 1).join(WAIT_S)
    wait_until(lambda: idle.done == [2, 1, 0])
    wait_until(lambda: not batches._running)
    assert runs.batches == [[1]]


def test_a_report_during_an_idle_step_waits_for_that_step_only_then_goes_before_the_rest():
    order: list[str] = []
    runs = GatedRuns(held=0)
    idle = IdleSteps(3, hold_first=True)

    def run(batch, served):
        order.append(f"batch {[w.number for w in batch]}")
        runs(batch, served)

    def step():
        order.append(f"idle step {3 - idle.left + 1}")
        idle.step()

    batches = ReportBatches(run, IdleWork(idle.pending, step))
    start(batches, 1).join(WAIT_S)
    assert idle.started.wait(WAIT_S)  # the first idle step runs, held
    second = start(batches, 2)
    wait_until(lambda: batches.waiting() == 1)
    idle.release.set()
    second.join(WAIT_S)
    assert not second.is_alive()
    wait_until(lambda: idle.done == [2, 1, 0])
    assert order == ["batch [1]", "idle step 1", "batch [2]", "idle step 2", "idle step 3"]


def test_a_failed_idle_step_is_logged_and_the_next_goes_on(caplog):
    idle = IdleSteps(2, fail_first=True)
    batches = ReportBatches(GatedRuns(held=0), IdleWork(idle.pending, idle.step))
    start(batches, 1).join(WAIT_S)
    wait_until(lambda: idle.done == [1, 0])
    assert "idle work between report batches failed" in caplog.text


class CountingStore:
    """Open incidents' heads, counting the reads (every statement of the service is paid per report)."""

    def __init__(self, numbers: Sequence[int]) -> None:
        at = datetime(2026, 12, 8, 7, 40)
        self.heads = [IncidentHead(n, at + timedelta(minutes=n), {}, IncidentStatus.OPTIONS) for n in numbers]
        self.reads = 0

    def incident_heads(self, statuses, limit):
        self.reads += 1
        return list(self.heads)


class ReadingPlanner(RecordingPlanner):
    """The planner's own choice of partners, over the open incidents its store holds."""

    open_heads = JointPlanner.open_heads
    unaccepted = JointPlanner.unaccepted
    partners = JointPlanner.partners

    def __init__(self, store: CountingStore) -> None:
        super().__init__(open_numbers=[])
        self.desk.settings.joint_window_min = 120
        self.desk.store = store  # type: ignore[attr-defined]


def test_a_batch_reads_the_open_incidents_once_whatever_its_size():
    store = CountingStore(range(1, 10))
    planner = ReadingPlanner(store)
    planner.plan_reported([Waiting(n, "dispatcher") for n in (3, 6, 9)])
    planned = [numbers for numbers, _, _ in planner.replans]
    assert planned == [[7, 8, 9], [4, 5, 6], [1, 2, 3]]  # newest first, each with its two newest partners
    assert store.reads == 1
