"""Plain-data views of domain objects, shared by the CLI's ``--json`` output and the HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fleetplan.errors import DataProblem
from fleetplan.model import Dataset, Driver, Vehicle, VehicleClass
from fleetplan.network import RoadNetwork
from fleetplan.phrase import PlaceRef, TierRef, phrase, where_of
from fleetplan.problems import Problem
from fleetplan.route_lines import rescue_lines
from fleetplan.units import KM, ceil_minutes, format_hhmm, minutes
from fleetplan.wording import Names, explanation, lines_text, names_of, render, said_text

from api.plan_outcome import incident_outcomes, outcome_lines, plan_outcome, rescue_late_min
from api.route_views import INCIDENT_COLUMNS, incident_headers, route_lines, routes_view
from api.text_table import table
from api.view_words import TEXT_WORDS, named, on_trip, position_phrase, rejected_view, why_below_first_zh

# 'today' for commands run on a dataset without trips; with trips it is the timetable's first day
# (fleetplan.timetable.first_timetable_day)
FALLBACK_DAY = date(2026, 12, 7)


def find_vehicle(dataset: Dataset, key: str) -> Vehicle:
    """A coach by id or by plate (with or without the middle dot)."""
    ids, plates, _ = _vehicle_index(dataset)
    found = ids.get(key) or plates.get(_plain_plate(key))
    return found if found is not None else dataset.vehicle(key)  # raises UnknownIdError listing the known ids


def vehicle_by_phone(dataset: Dataset, phone_key: str) -> Vehicle | None:
    """The coach whose terminal's phone (digits, leading zeros dropped) is ``phone_key``."""
    return _vehicle_index(dataset)[2].get(phone_key)


def _plain_plate(text: str) -> str:
    return text.replace("·", "").replace(" ", "").upper()


_indexes: dict[int, tuple[Dataset, tuple[dict, dict, dict]]] = {}


def _vehicle_index(dataset: Dataset) -> tuple[dict[str, Vehicle], dict[str, Vehicle], dict[str, Vehicle]]:
    """(id, plate, terminal phone) → coach, once per dataset object: a feed names thousands a second."""
    cached = _indexes.get(id(dataset))
    if cached is not None and cached[0] is dataset:
        return cached[1]
    ids: dict[str, Vehicle] = {}
    plates: dict[str, Vehicle] = {}
    phones: dict[str, Vehicle] = {}
    for vehicle in dataset.vehicles:  # the first of a (refused) duplicate wins, as a scan would
        ids.setdefault(vehicle.id, vehicle)
        plates.setdefault(_plain_plate(vehicle.plate), vehicle)
        if vehicle.terminal_phone:
            phones.setdefault(vehicle.terminal_phone.lstrip("0") or "0", vehicle)  # as jt808.phone_key
    if len(_indexes) > 16:  # a desk makes a dataset per recorded status change: keep a few
        _indexes.clear()
    _indexes[id(dataset)] = (dataset, (ids, plates, phones))
    return ids, plates, phones


def vehicle_view(vehicle: Vehicle, on: date) -> dict[str, Any]:
    return {
        "id": vehicle.id,
        "plate": vehicle.plate,
        "class": vehicle.vehicle_class.value,
        "seats": vehicle.seats,
        "length_m": vehicle.length_m,
        "age_years": round(vehicle.age_years(on), 1),
        "depot": vehicle.home_depot,
        "status": vehicle.status.value,
        "permit_valid_until": vehicle.permit_valid_until.isoformat(),
    }


def driver_view(driver: Driver, on: date) -> dict[str, Any]:
    return {
        "id": driver.id,
        "name": driver.name,
        "licence_class": driver.licence_class.value,
        "licence_issued": driver.licence_issued.isoformat(),
        "age": driver.age_years(on),
        "qualified_until": driver.qualified_until.isoformat() if driver.qualified_until else None,
        "depot": driver.home_depot,
        "shift": f"{format_hhmm(driver.shift_start)}–{format_hhmm(driver.shift_end)}",
    }


def route_view(
    network: RoadNetwork, route, depart_at: datetime, conditions: str, vehicle_class: VehicleClass
) -> dict[str, Any]:
    return {
        "path": path_steps(network, route),
        "km": round(route.length_m / KM, 1),
        "minutes": round(minutes(route.travel_time_s), 1),
        "roads": list(route.roads),
        "depart_at": depart_at.isoformat(timespec="minutes"),
        "conditions": conditions,
        "vehicle_class": vehicle_class.value,
    }


def path_steps(network: RoadNetwork, route) -> list[dict[str, str]]:
    """The nodes the route passes, between its two ends. ``route.path`` holds nodes only, so an end
    between two nodes (a kilometre post, a ``lat,lon``) is not in it: added here, or the path would
    start and stop at the nodes next to the places asked for."""
    steps = [{"id": node, "name": network.node_name(node)} for node in route.path]
    if route.origin.on_edge:
        steps.insert(0, point_step(route.origin))
    if route.destination.on_edge and route.destination.key != route.origin.key:
        steps.append(point_step(route.destination))
    return steps


def point_step(location) -> dict[str, str]:
    """A place between nodes: it has no node id, so its id is the place as written back
    (``G1 K90 toward Siping``), as a dispatch's stops name a scene."""
    text = location.describe()
    return {"id": text, "name": text}


def route_text(view: dict[str, Any]) -> str:
    """The route for a person: length and time, what it was priced for, the roads, then the path. FROM
    and TO at one place (a path of that place alone) are said to be so; a route on interchange ramps
    alone names no road (``roads`` leaves ramps out), so it says no 'via'."""
    priced = f"depart {view['depart_at']}, {view['conditions']}, {view['vehicle_class']}"
    if len(view["path"]) == 1:
        lines = [f"FROM and TO are the same place: 0 km, 0 min  ({priced})"]
    else:
        via = f"; via {', '.join(view['roads'])}" if view["roads"] else ""
        lines = [f"{view['km']} km, {view['minutes']} min  ({priced}{via})"]
    lines += [f"  {index:>2}. {step['id']:<34} {step['name']}" for index, step in enumerate(view["path"], 1)]
    return "\n".join(lines)


def problem_view(problem: DataProblem) -> dict[str, Any]:
    return {"file": problem.file, "row": problem.row, "column": problem.column, "message": problem.message}


def dispatch_view(outcome) -> dict[str, Any]:
    """The JSON answer of a dispatch (the contract of ``fleetplan dispatch --json``).

    Every text a dispatcher reads is in English with a Chinese sibling named ``…_zh`` (``reason_zh``,
    ``explanation_zh``, ``description_zh``, ``reasons_zh``, …), and every place id beside its names.
    """
    instance, result = outcome.instance, outcome.result
    names = names_of(instance.network, instance.dataset)
    first = result.plans[0] if result.plans else None
    view = {
        "status": result.status.value,
        "solve_ms": result.solve_ms,
        "incidents": [group_view(g, names) for g in instance.groups],
        "plans": [
            plan_view(instance, plan, rank, problems, first)
            for rank, (plan, problems) in enumerate(zip(result.plans, outcome.problems), start=1)
        ],
        "rejected": [rejected_view(r, names) for r in result.rejections],
        "bound": result.bound.as_dict() if result.bound else None,
        "reasons": list(result.reasons),
        "reasons_zh": [render(reason, "zh", names) for reason in result.reason_phrases] or list(result.reasons),
    }
    if result.relaxations:
        view["relaxations"] = [
            {
                "kind": r.kind,
                "description": r.description,
                "description_zh": said_text(r, "zh", names),
                "amount": r.amount,
            }
            for r in result.relaxations
        ]
    return view


def group_view(group, names: Names | None = None) -> dict[str, Any]:
    names = names or names_of(None)
    return {
        "incident_id": group.incident_id,
        "vehicle_id": group.failed_vehicle_id,
        "trip_id": group.trip_id,
        "location": group.scene_text,
        "passengers": group.passengers,
        "tier": group.tier,
        "limit_min": group.limit_s // 60,
        # when the passengers must be reached (before a departure: the scheduled departure plus the limit)
        "deadline": group.deadline.isoformat(timespec="minutes"),
        "reported_at": group.reported_at.isoformat(timespec="minutes"),
        "destination": group.destination_node,
        **named("location_name", where_of(group.scene) if group.scene is not None else group.scene_text, names),
        **named("tier_name", TierRef(group.tier), names),
        **named("destination_name", PlaceRef(group.destination_node), names),
    }


def plan_view(instance, plan, rank: int, problems: tuple[Problem, ...], first=None) -> dict[str, Any]:
    """One ranked plan; ``first`` is the first plan, which ``why_below_first`` compares with."""
    names = names_of(instance.network, instance.dataset)
    routes_by_id = {route.id: route for route in plan.routes}
    assignments = []
    for rescue in plan.rescues:
        group = instance.group(rescue.group_id)
        destination = rescue.destination_node or group.destination_node
        origin = PlaceRef(rescue.origin_node) if rescue.passing_trip_id is None else on_trip(rescue)
        assignments.append(
            {
                "vehicle_id": rescue.vehicle_id,
                "driver_id": rescue.driver_id,
                "incident_id": group.incident_id,
                "route_id": rescue.route_id or None,
                "origin": rescue.origin_node,
                "depart_at": format_hhmm(rescue.depart_at),
                "scene_eta_min": round(minutes((rescue.scene_arrival - group.reported_at).total_seconds()), 1),
                "limit_min": group.limit_s // 60,
                "deadline": format_hhmm(
                    group.deadline
                ),  # the limit as a clock time (pre-departure: from the departure)
                "late_min": rescue_late_min(group, rescue),  # after the deadline, started minutes (0 in time)
                "passengers": rescue.passengers,
                "destination": destination,
                "destination_arrival": format_hhmm(rescue.destination_arrival),
                "deadhead_km": round(rescue.deadhead_m / KM, 1),
                "driver_hours_left_h": round(rescue.driver_hours_left_s / 3600, 1),
                "rest_at_scene_min": rescue.rest_at_scene_s // 60,
                "rest_on_way": rest_on_way_view(rescue, names),
                **named("position", position_phrase(instance, rescue.vehicle_id), names),
                **named("origin_name", origin, names),
                **named("destination_name", PlaceRef(destination), names),
                # the roads driven, for the desk's map
                "route": rescue_lines(instance, rescue, routes_by_id.get(rescue.route_id)),
            }
        )
    recovered = [
        {
            "trip_id": c.trip_id,
            "vehicle_id": c.vehicle_id,
            "driver_id": c.driver_id,
            "departure_shift_min": ceil_minutes(c.departure_shift_s),  # as trips_retimed_min counts it
        }
        for c in plan.trip_covers
        if not c.keeps_timetable  # its own crew runs it as timetabled: nothing to call or book
    ]
    return {
        "rank": rank,
        "source": plan.source,
        "objective": plan.objective.as_dict(),
        "outcome": plan_outcome(instance, plan),  # splits the objective's not-reached into late and not reached
        "explanation": plan.explanation,
        "explanation_zh": lines_text(explanation(instance, plan), "zh", names),
        "why_below_first": plan.why_below_first,  # empty for the first plan
        "why_below_first_zh": why_below_first_zh(first, plan),
        "assignments": assignments,
        "incidents": incident_outcomes(instance, plan),  # per incident: carried, on_time (same rule as outcome)
        "routes": routes_view(instance, plan, names),  # one per rescue crew, stop by stop
        "recovered_trips": recovered,
        "uncovered_trips": list(plan.uncovered_trip_ids),
        "evaluator_problems": [problem.message for problem in problems],
    }


def rest_on_way_view(rescue, names: Names | None = None) -> dict[str, Any] | None:
    """Where and when the driver rests on the way to the delivery stop (None: no rest on the way)."""
    if rescue.rest_on_way_at is None:
        return None
    return {
        "place": rescue.rest_on_way_node,
        **named("place_name", PlaceRef(rescue.rest_on_way_node), names or names_of(None)),
        "at": format_hhmm(rescue.rest_on_way_at),
        "rest_min": rescue.rest_on_way_s // 60,
    }


_COLUMNS = (
    "vehicle_id", "driver_id", "origin_name", "depart_at", "eta", "passengers", "destination_arrival", "deadhead_km",
)  # fmt: skip


def dispatch_text(view: dict[str, Any], lang: str = "en") -> str:
    """The dispatch view as text for a person, in ``lang`` (``en`` or ``zh``)."""
    words, zh = TEXT_WORDS[lang], "_zh" if lang == "zh" else ""
    lines = [words["status"].format(status=view["status"], ms=view["solve_ms"])]
    if view.get("bound"):  # 'feasible': the deadline stopped the proof; say how far plan 1 may be from the best
        lines.append(words["bound"] + objective_text(view["bound"]))
    for incident in view["incidents"]:
        pre = incident["tier"] == "pre_departure" and incident.get("deadline")
        limit = words["limit_pre" if pre else "limit"].format(
            m=incident["limit_min"], deadline=(incident.get("deadline") or "")[11:16]
        )
        location = incident.get(f"location_name{zh}", incident["location"])
        tier = incident.get(f"tier_name{zh}", incident["tier"])
        lines.append(
            words["incident"].format(
                id=incident["incident_id"], vehicle=incident["vehicle_id"], location=location,
                n=incident["passengers"], tier=tier, limit=limit,
            )
        )  # fmt: skip
    for plan in view["plans"]:
        lines.append(words["plan"].format(rank=plan["rank"], source=plan["source"]))
        lines[-1] += objective_text(plan["objective"])
        if plan.get("why_below_first"):
            lines.append(words["below"].format(why=plan.get(f"why_below_first{zh}", plan["why_below_first"])))
        said = outcome_lines(plan["outcome"], lang) if plan.get("outcome") else []
        if said:  # nobody aboard: nothing to say (an empty "outcome:" line before)
            lines.append(words["outcome"] + ("；" if zh else "; ").join(said))
        rows = [_assignment_row(a, words, zh) for a in plan["assignments"]]
        if rows:
            lines.append(table(rows, list(_COLUMNS), words["columns"].split()))
        if plan.get("incidents"):
            lines.append(_indented(table(plan["incidents"], INCIDENT_COLUMNS, incident_headers(lang))))
        lines += route_lines(plan, lang)
        for trip in plan["recovered_trips"]:
            lines.append(
                words["trip"].format(
                    trip=trip["trip_id"], vehicle=trip["vehicle_id"], driver=trip["driver_id"],
                    m=trip["departure_shift_min"],
                )
            )  # fmt: skip
        lines += [words["uncovered"].format(trip=trip_id) for trip_id in plan["uncovered_trips"]]
        lines += [words["evaluator"].format(problem=problem) for problem in plan["evaluator_problems"]]
    lines += [words["reason"].format(reason=reason) for reason in view.get(f"reasons{zh}", view["reasons"])]
    for relaxation in view.get("relaxations", []):
        lines.append(
            words["relaxation"].format(description=relaxation.get(f"description{zh}", relaxation["description"]))
        )
    if view["rejected"]:
        lines.append(words["rejected"].format(n=len(view["rejected"])))
        lines += [
            f"  {r['candidate']:<12} {r.get(f'code_name{zh}', r['code']):<15} {r.get(f'reason{zh}', r['reason'])}"
            for r in view["rejected"]
        ]
    return "\n".join(lines)


def _indented(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def objective_text(objective: dict[str, int]) -> str:
    """The objective's terms as ``name=value``, most important first: a plan's and the bound's alike,
    so the two lines compare term by term."""
    return ", ".join(f"{term}={value}" for term, value in objective.items())


def _assignment_row(assignment: dict[str, Any], words: dict[str, str], zh: str) -> dict[str, Any]:
    late = words["late"].format(m=assignment["late_min"]) if assignment.get("late_min") else ""
    eta = words["eta"].format(eta=assignment["scene_eta_min"], deadline=assignment["deadline"]) + late
    origin = assignment.get(f"origin_name{zh}", assignment["origin"])
    return {**assignment, "eta": eta, "origin_name": origin}


# --------------------------------------------------------------------------- the dispatch desk (HTTP)
def desk_dispatch_view(outcome) -> dict[str, Any]:
    """The dispatch view plus what the desk shows beside each assignment and the decision's candidates.

    Each assignment gains ``seats`` (the coach's approved seats); ``candidates`` lists every
    coach–driver crew that was considered.
    """
    view = dispatch_view(outcome)
    instance = outcome.instance
    names = names_of(instance.network, instance.dataset)
    for plan, shown in zip(outcome.result.plans, view["plans"]):
        for rescue, assignment in zip(plan.rescues, shown["assignments"]):  # plan_view keeps the order
            assignment["seats"] = instance.dataset.vehicle(rescue.vehicle_id).seats
    view["candidates"] = [candidate_view(crew, names) for crew in instance.crews]
    return view


def candidate_view(crew, names: Names | None = None) -> dict[str, Any]:
    origin = PlaceRef(crew.origin_node) if crew.origin_node else phrase("plan.on_trip", trip=crew.trip_id)
    return {
        "crew": crew.id,
        "kind": crew.kind.value,
        "vehicle_id": crew.vehicle_id,
        "driver_id": crew.driver_id,
        "origin": crew.origin_node,
        **named("origin_name", origin, names or names_of(None)),
        "available_from": format_hhmm(crew.available_from),
        "capacity": crew.capacity,
    }


def local_minute(moment: datetime | None) -> str | None:
    """China-local ``YYYY-MM-DDTHH:MM`` (the contract's time format), ``None`` stays ``None``."""
    return moment.isoformat(timespec="minutes") if moment is not None else None


REPORT_FIELDS = ("vehicle_id", "location", "passengers", "kind", "conditions", "trip_id", "alternatives", "scene")


def _released_view(release) -> dict[str, Any]:
    payload = release.payload["release"]
    return {
        "at": local_minute(release.at),
        "by": release.actor,
        "reason": payload.get("reason", ""),
        "rank": payload.get("accepted_rank"),
    }


def incident_view(record, with_entries: bool = False, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An incident as the desk sees it, derived from its append-only entries (HTTP contract).

    Parameters
    ----------
    record
        An :class:`api.records.types.IncidentRecord` with its entries.
    with_entries
        Add ``entries`` (kind, time, actor, payload of each, oldest first).
    messages
        With ``with_entries``: the outbox's messages of the incident (each as
        :meth:`api.messaging.outbox.OutboxMessage.view`), added as ``messages``.

    Returns
    -------
    dict
        number, status, report, tier and limit, the latest options, the accepted plan (who, when),
        on-scene time with the response time against the limit, resolution, follow-up call, void.
    """
    from api.records.types import EntryKind

    report = record.report
    options = record.latest(EntryKind.OPTIONS)
    accepted = record.accept_in_force()  # a released plan no longer stands: ``released`` says so
    release = record.release_in_force()
    on_scene = record.latest(EntryKind.ON_SCENE)
    resolved = record.latest(EntryKind.RESOLVED)
    follow_up = record.latest(EntryKind.FOLLOW_UP)
    voided = record.latest(EntryKind.VOID)
    view = {
        "number": record.number,
        "status": record.status.value,
        "reported_at": local_minute(record.reported_at),
        "report": {key: report.get(key) for key in REPORT_FIELDS},
        "tier": report.get("tier"),
        **(named("tier_name", TierRef(report["tier"]), names_of(None)) if report.get("tier") else {}),
        "limit_min": report.get("limit_min"),
        "options": options.payload if options else None,
        "accepted": {
            "rank": accepted.payload.get("rank"),
            "plan": accepted.payload.get("plan"),
            "by": accepted.actor,
            "at": local_minute(accepted.at),
            "accepted_with": accepted.payload.get("accepted_with"),
        }
        if accepted
        else None,
        "released": _released_view(release) if release else None,
        "on_scene_at": on_scene.payload.get("at") if on_scene else None,
        "response_min": on_scene.payload.get("response_min") if on_scene else None,
        "within_limit": on_scene.payload.get("within_limit") if on_scene else None,
        "on_scene_override_reason": on_scene.payload.get("override_reason") if on_scene else None,
        "resolved_at": resolved.payload.get("at") if resolved else None,
        "follow_up": {
            "at": follow_up.payload.get("at") or local_minute(follow_up.at),
            "by": follow_up.actor,
            "note": follow_up.payload.get("note", ""),
        }
        if follow_up
        else None,
        "voided": {"at": local_minute(voided.at), "by": voided.actor, "reason": voided.payload.get("reason", "")}
        if voided
        else None,
    }
    if with_entries:
        view["entries"] = [
            {
                "id": entry.id,
                "kind": entry.kind.value,
                "at": local_minute(entry.at),
                "actor": entry.actor,
                "payload": entry.payload,
            }
            for entry in record.entries
        ]
        if messages is not None:
            view["messages"] = messages
    return view
