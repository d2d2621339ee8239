"""Joint re-planning at the desk (issue 18 §3): open incidents not yet accepted are planned together.

When an incident is reported while others have options but are not accepted, on the dispatcher's
"plan together", and when an accepted plan is released, every such incident is dispatched in *one*
instance: one coach may then collect two groups (a rescue route) where two separate solves would both
have grabbed the same last backup. Accepted incidents keep their plans; their crews stay unavailable.

- **Options.** The joint dispatch view is stored on each incident *projected* to its own part (its
  group, the assignments serving it, the routes through its scene, the failed coach's trips re-covered),
  with ``planned_with`` (the other incidents) and ``joint`` (the dispatch's id, incidents, trigger). A
  plan's objective, explanation and rank stay those of the joint plan.
- **Batches.** Reports that come while a joint re-plan runs wait for it; the next run plans all of them
  (:mod:`api.desk.batches`, :meth:`JointPlanner.plan_reported`), so a burst of reports costs a few joint
  plans instead of one per report, each out of date when stored.
- **Stability.** Among the plans whose objective equals the best, the one keeping the most incidents'
  previous first proposal (same crews) ranks first. An incident whose first proposal still changes gets
  ``changed_because`` (and ``_zh``): the trigger and what changed.
- **Accept.** Accepting rank k of an incident planned jointly accepts rank k for every incident of that
  joint dispatch, in one transaction (:mod:`api.records.joint`): each record gets its own part, every
  coach and driver is booked once. If any of them was accepted, voided or re-planned meanwhile, the
  accept is refused (409) with fresh joint options.
- **Release.** An accepted incident whose rescue has not started can be released: its bookings are
  freed (with those of every incident accepted together with it, which share its crews), the release is
  recorded with its reason, and the released incidents are re-planned with the other open ones.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import anyio
import anyio.to_thread

from fleetplan.errors import FleetplanError, InvalidValueError

from api.desk.batches import IdleWork, ReportBatches, Waiting
from api.desk.first_answers import FirstAnswer, FirstAnswers, keep_joint_id, mark_more_coming, still_first
from api.desk.joint_dispatch import DeskState, joint_instance, joint_view, single_view
from api.desk.joint_views import Trigger, conditions_of, explain_change, first_crews, keep_previous, project
from api.desk.live import crews_not_offered, plan_resources, sends_nobody
from api.desk.reports import AcceptConflict
from api.messaging.facts import ready_messages
from api.records.types import (
    BookingConflict,
    EntryKind,
    IncidentHead,
    IncidentRecord,
    IncidentStatus,
    InvalidTransition,
    JointAccept,
    NotFound,
    RecordError,
    ResourceUnusable,
)

# Planned together: reported (options being computed, or released) or with options, not yet accepted
UNACCEPTED = frozenset({IncidentStatus.REPORTED, IncidentStatus.OPTIONS})
MAX_OPEN = 10_000
logger = logging.getLogger(__name__)


RESCUE_STARTED = frozenset({IncidentStatus.ON_SCENE, IncidentStatus.RESOLVED, IncidentStatus.FOLLOWED_UP})


class JointPlanner:
    """Joint re-planning, joint accept and release for one desk."""

    def __init__(self, desk: DeskState) -> None:
        self.desk = desk
        self.first_answers = FirstAnswers()  # the best plan stored alone while others waited
        # reports during a joint re-plan wait for the next; the alternatives come when none waits
        self.batches = ReportBatches(
            self.plan_reported,
            IdleWork(self.first_answers.pending, self.add_alternatives),
            on_waiting=desk.dispatch_pool.reports_waiting.set,  # what a deferring dispatch asks
        )

    # ------------------------------------------------------------------ which incidents
    def unaccepted(
        self,
        exclude: int | None = None,
        near: datetime | None = None,
        conditions: str | None = None,
        heads: Sequence[IncidentHead] | None = None,
    ) -> list[int]:
        """The open incidents not yet accepted (reported or with options), oldest first; with ``near``,
        only those reported within ``FLEETPLAN_JOINT_WINDOW_MIN`` of it (hours apart, their rescues do
        not compete: a back-dated entry is never planned with today's); with ``conditions``, only those
        reported under that conditions preset (:func:`conditions_of`). ``heads``: theirs, if just read."""
        window = timedelta(minutes=self.desk.settings.joint_window_min)
        if heads is None:
            heads = self.open_heads()
        return sorted(
            h.number
            for h in heads
            if h.number != exclude
            and (near is None or abs(h.reported_at - near) <= window)
            and (conditions is None or conditions_of(h.report) == conditions)
        )

    def open_heads(self) -> list[IncidentHead]:
        """The heads of the open incidents not yet accepted, in one read."""
        return self.desk.store.incident_heads(set(UNACCEPTED), limit=MAX_OPEN)

    def partners(
        self, number: int, planned: frozenset[int] = frozenset(), heads: Sequence[IncidentHead] | None = None
    ) -> list[int]:
        """Those to plan together with the newly reported ``number``: the newest open incidents not yet
        accepted reported near its time (``FLEETPLAN_JOINT_MAX_INCIDENTS`` with it), leaving out those
        ``planned`` already; none when joint planning is off, or when ``number`` is no longer open and
        unaccepted (:meth:`replan` then leaves it as it is). ``heads``: :meth:`open_heads`, if just read."""
        if not self.desk.settings.joint_planning:
            return []
        if heads is None:
            heads = self.open_heads()
        head = next((h for h in heads if h.number == number), None)
        if head is None:
            return []
        near, conditions = head.reported_at, conditions_of(head.report)
        open_near = [n for n in self.unaccepted(number, near, conditions, heads) if n not in planned]
        return open_near[-(self.desk.settings.joint_max_incidents - 1) :]

    # ------------------------------------------------------------------ re-planning
    def replan(self, numbers: Sequence[int], actor: str, trigger: Trigger, first_only: bool = False) -> list[int]:
        """Dispatch ``numbers`` together (those still unaccepted) and store each one's part.

        Returns the numbers re-planned: each holds its new options, or is as another desk left it when
        it changed meanwhile (nothing is read back: a report's batch has no use for the records).
        One incident alone is dispatched alone, as a report is; incidents reported under different
        conditions are planned apart, each set under its own (one instance has one weather). With
        ``first_only`` (other reports wait) the best plan is stored alone, the alternatives follow when
        the desk is free (:mod:`api.desk.first_answers`).
        """
        store = self.desk.store
        records = [r for r in (store.incident(n) for n in sorted(set(numbers))) if r.status in UNACCEPTED]
        by_conditions: dict[str, list[int]] = {}
        for record in records:
            by_conditions.setdefault(conditions_of(record.report), []).append(record.number)
        if len(by_conditions) > 1:
            return [n for same in by_conditions.values() for n in self.replan(same, actor, trigger, first_only)]
        return self._plan(records, actor, trigger, first_only) if records else []

    def add_alternatives(self) -> None:
        """The full options of the oldest first answer still waiting for them (the desk's idle work)."""
        answer = self.first_answers.take()
        if answer is None:
            return
        fresh = still_first(answer, [self.desk.store.incident(n) for n in answer.numbers])
        if fresh:
            self._plan(fresh, answer.actor, Trigger.alternatives(), answer=answer)

    def _plan(
        self,
        records: Sequence[IncidentRecord],
        actor: str,
        trigger: Trigger,
        first_only: bool = False,
        answer: FirstAnswer | None = None,
    ) -> list[int]:
        """Dispatch ``records`` (one weather) in one instance and store each one's part. The best plan
        alone with ``first_only``, or when a report comes to wait before the alternatives. After a first
        ``answer``, the full options keep its first plan among equal ones, and its joint id when they
        plan the same incidents with the same first crews; they are stored only on a record whose
        latest entry is still that answer."""
        store = self.desk.store
        defer = not first_only and answer is None  # the alternatives unless reports wait by then
        after = dict(answer.entries) if answer else {}
        first_before = {r.number: first_crews(r) for r in records}
        wanted = max(int(r.report.get("alternatives") or 3) for r in records)
        if len(records) == 1:
            (record,) = records
            before = first_before[record.number] if answer else None
            keep = frozenset((v, d) for v, d, _ in before or ())
            view = single_view(self.desk, record, keep, best_only=first_only, defer_alternatives=defer)
            payloads = {record.number: view}
            joint = None
        else:
            view = joint_view(self.desk, records, 1 if first_only else None, defer)
            keep_previous(view, first_before)
            joint = {
                "id": uuid.uuid4().hex,
                "incidents": [r.number for r in records],
                "trigger": trigger.en,
                "trigger_zh": trigger.zh,
            }
            payloads = {r.number: project(view, r.number, joint) for r in records}
        if answer is not None and joint is not None:
            keep_joint_id(payloads, first_before, answer, records)
        for record in records:
            payload, before = payloads[record.number], first_before[record.number]
            if before is not None and payload["plans"] and (answer is not None or joint is not None):
                explain_change(payload["plans"][0], before, record.number, trigger)
            if first_only:
                mark_more_coming(payload, wanted)
        stored = []
        for record in records:
            payload = payloads[record.number]
            try:
                entry_id = store.append_entry(
                    record.number, EntryKind.OPTIONS, actor, payload, after=after.get(record.number)
                )
            except RecordError:  # accepted, voided or planned again meanwhile: its record stays
                continue
            stored.append((record.number, entry_id, payload))
        self.first_answers.remember(stored, actor, str(joint["id"]) if joint else None)  # if marked
        return [record.number for record in records]

    async def plan_reported_within_wait(self, number: int, actor: str, recomputed: bool = False) -> IncidentRecord:
        """Re-plan the newly reported ``number`` (or one whose options the dispatcher asked for again:
        ``recomputed``) with its open partners, in the desk's next batch of reports
        (:mod:`api.desk.batches`), off the loop; its record, with options when ready within the wait."""
        work = partial(self.batches.replan, number, actor, recomputed)
        with anyio.move_on_after(self.desk.settings.dispatch_wait_s):
            await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
        return await anyio.to_thread.run_sync(self.desk.store.incident, number)

    def plan_reported(
        self, batch: Sequence[Waiting], served: Callable[[Iterable[int]], None] = lambda numbers: None
    ) -> None:
        """Re-plan a batch of reports: the newest with its open partners (:meth:`partners`), then the
        newest not yet planned with the partners left, and so on; each incident is planned once per
        batch, in one joint plan of at most ``FLEETPLAN_JOINT_MAX_INCIDENTS``, and a plan's trigger
        names the batch's reports in it. The plans share no incident, so up to
        ``FLEETPLAN_DISPATCH_CONCURRENCY`` run at once; ``served`` hears of each plan's reports as soon
        as it is stored. A plan that fails is logged; the others go on."""
        reported = {waiting.number for waiting in batch}
        recomputed = {waiting.number for waiting in batch if waiting.recomputed}
        planned: set[int] = set()
        plans: list[tuple[list[int], str]] = []
        heads = self.open_heads() if self.desk.settings.joint_planning else []  # once for the whole batch
        for waiting in sorted(batch, key=lambda w: w.number, reverse=True):
            if waiting.number not in planned:
                together = [*self.partners(waiting.number, frozenset(planned), heads), waiting.number]
                plans.append((together, waiting.actor))
                planned.update(together)

        def plan(together: list[int], actor: str) -> None:
            mine = sorted(reported.intersection(together))
            new = [n for n in mine if n not in recomputed]
            trigger = Trigger.reported(*new) if new else Trigger.recomputed(*mine)
            others_wait = len(plans) > 1 or self.batches.waiting() > 0  # the best plan first, for them
            try:
                self.replan(together, actor, trigger, first_only=others_wait)
            except Exception:  # the reports are recorded; the desk can ask again (options, plan together)
                logger.exception("incidents %s: joint re-planning failed", together)
            served(mine)

        workers = max(1, min(len(plans), self.desk.settings.dispatch_concurrency))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="joint") as pool:
            list(pool.map(lambda args: plan(*args), plans))

    # ------------------------------------------------------------------ the dispatcher's commands
    def plan_together(self, numbers: Sequence[int] | None, actor: str) -> list[IncidentRecord]:
        """Re-plan ``numbers`` (default: every open incident not yet accepted) jointly.

        Raises
        ------
        InvalidValueError
            ``numbers`` names one twice, or one that does not exist (field ``numbers``).
        InvalidTransition
            One of them is accepted, on scene, closed or voided; or fewer than two are open.
        """
        window_min = self.desk.settings.joint_window_min
        if numbers is None:
            newest = [self.desk.store.incident(n) for n in self.unaccepted()[-1:]]
            near = newest[0].reported_at if newest else None
            chosen = self.unaccepted(near=near, conditions=conditions_of(newest[0].report) if newest else None)
            if len(chosen) < 2:
                raise InvalidTransition(
                    f"{len(chosen)} incident(s) open, not accepted and reported within {window_min} min of the "
                    "latest under its road conditions: planning together needs at least two"
                )
        else:
            chosen = sorted(set(numbers))
            if len(chosen) != len(numbers):
                raise InvalidValueError("numbers", "names an incident more than once")
            for number in chosen:
                try:
                    record = self.desk.store.incident(number)
                except NotFound:
                    raise InvalidValueError("numbers", f"no incident number {number}") from None
                if record.status not in UNACCEPTED:
                    hint = "; release it first" if record.status == IncidentStatus.ACCEPTED else ""
                    raise InvalidTransition(
                        f"incident {number} is {record.status.value}: only open incidents not yet "
                        f"accepted are planned together{hint}"
                    )
            records = [self.desk.store.incident(n) for n in chosen]
            times = [record.reported_at for record in records]
            if max(times) - min(times) > timedelta(minutes=window_min):
                raise InvalidValueError(
                    "numbers", f"their reports lie more than {window_min} min apart: their rescues do not compete"
                )
            named = sorted({conditions_of(record.report) for record in records})
            if len(named) > 1:
                raise InvalidValueError(
                    "numbers",
                    f"their reports name different road conditions ({', '.join(named)}): one plan has one "
                    "weather, so they are planned apart",
                )
        planned = set(self.replan(chosen, actor, Trigger.together()))
        return [self.desk.store.incident(n) for n in chosen if n in planned]

    def release(self, number: int, reason: str, actor: str) -> IncidentRecord:
        """Un-accept ``number`` (and the incidents accepted together with it whose rescue has not started),
        then re-plan them jointly with every open incident not yet accepted; ``number``'s record.

        A partner already on scene keeps its plan and its bookings (its rescue is under way): the
        released incidents are planned without the coaches it holds."""
        record = self.desk.store.incident(number)
        accepted = record.latest(EntryKind.ACCEPT)
        partners = list((accepted.payload.get("accepted_with") or []) if accepted else [])
        under_way: list[int] = []
        if record.status == IncidentStatus.ACCEPTED:  # the store checks again under its lock
            statuses = {n: self.desk.store.incident(n).status for n in partners}
            under_way = [n for n in partners if statuses[n] in RESCUE_STARTED]
            partners = [n for n in partners if statuses[n] == IncidentStatus.ACCEPTED]
        released = sorted({number, *partners})
        together = [n for n in released if n != number]
        payload = {
            "release": {
                "reason": reason,
                "accepted_rank": accepted.payload.get("rank") if accepted else None,
                "released_together": together,
                **({"partners_under_way": under_way} if under_way else {}),
            }
        }
        # InvalidTransition once on scene, or when not accepted: naming ``number`` first if it is the one
        self.desk.store.release([number, *together], actor, payload)
        near = self.unaccepted(near=record.reported_at, conditions=conditions_of(record.report))
        self.replan(sorted({*released, *near}), actor, Trigger.released(released))
        return self.desk.store.incident(number)

    def accept(self, record: IncidentRecord, options: dict[str, Any], rank: int, actor: str) -> IncidentRecord:
        """Accept rank ``rank`` of ``record``'s joint options for every incident planned with it.

        Raises
        ------
        AcceptConflict
            One of them changed meanwhile (accepted, voided, re-planned elsewhere), the plan sends no
            coach to one of them, or its crews can no longer all be booked: fresh joint options included
            where they could be computed.
        """
        joint = options["joint"]
        store = self.desk.store
        chosen: list[tuple[IncidentRecord, Any, dict[str, Any]]] = []  # (record, options entry, plan)
        planned: list[IncidentRecord] = []  # every incident of the joint plan, as they were planned
        for number in joint["incidents"]:
            other = record if number == record.number else store.incident(number)
            planned.append(other)
            entry = other.latest(EntryKind.OPTIONS)
            if (
                other.status != IncidentStatus.OPTIONS
                or entry is None
                or (entry.payload.get("joint") or {}).get("id") != joint["id"]
            ):
                state = other.status.value if other.status != IncidentStatus.OPTIONS else "re-planned"
                raise self._conflict(
                    record,
                    f"rank: incident {number}, planned together with incident {record.number}, was {state} "
                    "meanwhile; the others are planned again without it",
                    actor,
                    Trigger.changed(number, state),
                )
            plan = next((p for p in entry.payload.get("plans", []) if p.get("rank") == rank), None)
            if plan is None:
                raise InvalidValueError("rank", f"{rank} is not one of the options of incident {number}")
            passengers = other.report.get("passengers", 0)
            if sends_nobody(plan, passengers):
                if passengers == 0 and number != record.number:
                    continue  # nobody stranded, nothing to book (an empty coach broke down): it stays open
                raise AcceptConflict(
                    f"rank: option {rank} sends no coach to incident {number}"
                    + (f", planned together with incident {record.number}" if number != record.number else "")
                    + "; plan the others together without it, or void it",
                    None,
                )
            chosen.append((other, entry, plan))
        together = [other.number for other, _, _ in chosen]
        parts = []
        for other, entry, plan in chosen:
            vehicle_ids, driver_ids = plan_resources(plan)
            messages = ready_messages(self.desk.corridor, other, entry.payload, plan, actor, self.desk.clock())
            payload = {
                "rank": rank,
                "plan": plan,
                "options_entry_id": entry.id,
                "joint_id": joint["id"],
                "accepted_with": [n for n in together if n != other.number],
            }
            parts.append(JointAccept(other.number, payload, vehicle_ids, driver_ids, messages))
        changed = self.desk.closures_changed_since(record, options)
        if changed:
            raise self._conflict(
                record,
                f"rank: {changed}; fresh options are computed with them",
                actor,
                Trigger("the road closures changed", "道路封闭情况有变"),
            )
        try:
            self._check_crews_usable(planned, chosen)  # ResourceUnusable is a BookingConflict
            store.accept_jointly(parts, actor)
        except BookingConflict as conflict:
            raise self._conflict(
                record,
                f"rank: {conflict}; fresh options are computed without them",
                actor,
                Trigger("another incident booked some of its crews", "部分车组已被其他事件占用"),
            ) from None
        return store.incident(record.number)

    def _check_crews_usable(
        self, planned: Sequence[IncidentRecord], chosen: Sequence[tuple[IncidentRecord, Any, dict[str, Any]]]
    ) -> None:
        """Raise ResourceUnusable for the crews of the ``chosen`` plans the joint instance, built again
        from the live state, no longer offers. The incidents are checked as they were planned together,
        at the latest report, not each alone at its own time: a crew whose shift starts between two
        reports is a crew of their joint plan, and no crew of the earlier report alone."""
        fresh = joint_instance(self.desk, planned)
        numbers = {other.number for other in planned}
        held = self.desk.bookings_by_resource()
        reasons: dict[str, str] = {}
        vehicle_ids: list[str] = []
        driver_ids: list[str] = []
        for other, _, plan in chosen:
            # a booking elsewhere is the store's to refuse, under the unique constraint and in its own words
            found = {
                r: why for r, why in crews_not_offered(plan, fresh).items() if held.get(r, other.number) in numbers
            }
            reasons.update(found)
            vehicles, drivers = plan_resources(plan)
            vehicle_ids += [v for v in vehicles if v in found and v not in vehicle_ids]
            driver_ids += [d for d in drivers if d in found and d not in driver_ids]
        if reasons:
            raise ResourceUnusable(reasons, vehicle_ids, driver_ids)

    def replanned_since(self, number: int, seen_joint_id: str) -> tuple[str, dict[str, Any]] | None:
        """Why ``number``'s options are no longer those the dispatcher saw (joint id ``seen_joint_id``,
        empty for options planned alone), with the options now; None when they still are (or there are
        none to accept: the accept itself says why)."""
        record = self.desk.store.incident(number)
        entry = record.latest(EntryKind.OPTIONS)
        if record.status != IncidentStatus.OPTIONS or entry is None:
            return None
        joint = entry.payload.get("joint") or {}
        if (joint.get("id") or "") == seen_joint_id:
            return None
        given = {(e.payload.get("joint") or {}).get("id") or "" for e in record.entries if e.kind == EntryKind.OPTIONS}
        if seen_joint_id not in given:  # a typo or another incident's id: not "planned again"
            return (
                f"joint_id: {seen_joint_id or 'empty (planned alone)'} was never a plan of incident {number}; "
                "choose from its options now",
                entry.payload,
            )
        why = f" ({joint['trigger']})" if joint.get("trigger") else ""
        return f"rank: the options were planned again since you saw them{why}; choose from these", entry.payload

    def _conflict(self, record: IncidentRecord, detail: str, actor: str, trigger: Trigger) -> AcceptConflict:
        """An AcceptConflict with ``record``'s fresh options (re-planned jointly with the open ones)."""
        try:
            near = self.unaccepted(near=record.reported_at, conditions=conditions_of(record.report))
            planned = self.replan(sorted({record.number, *near}), actor, trigger)
            fresh = self.desk.store.incident(record.number) if record.number in planned else None
        except (RecordError, FleetplanError):
            fresh = None
        entry = fresh.latest(EntryKind.OPTIONS) if fresh is not None else None
        return AcceptConflict(detail, entry.payload if entry else None)
