"""Alerts raised from the positions (issue 16 §3), kept in the service's database (migration 0007).

An alert is raised ``open`` once per coach and kind (a partial unique index decides between processes),
and closed once by a dispatcher: ``confirmed`` with the incident it became, or ``dismissed`` with why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from fleetplan.detection import AlertKind, Suspicion

from api.records.schema import alerts

OPEN, CONFIRMED, DISMISSED = "open", "confirmed", "dismissed"


class AlertNotOpen(LookupError):
    """No open alert has that id (unknown, or already confirmed or dismissed)."""


@dataclass(frozen=True)
class Alert:
    id: int
    kind: AlertKind
    vehicle_id: str
    place: str
    lat: float
    lon: float
    since: datetime
    raised_at: datetime
    status: str
    plan: dict[str, Any] | None
    closed_at: datetime | None
    closed_by: str | None
    incident_number: int | None
    reason: str | None


class AlertLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def raise_new(self, suspicion: Suspicion, now: datetime, plan: dict[str, Any] | None = None) -> Alert | None:
        """Record ``suspicion`` as an open alert, with ``plan`` when it is known already (in the same
        insert, so no reader sees the alert without it); None when one is open for that coach and kind."""
        row = {
            "plan": plan,
            "kind": suspicion.kind.value,
            "vehicle_id": suspicion.vehicle_id,
            "place": suspicion.place[:200],
            "lat": suspicion.fix.lat,
            "lon": suspicion.fix.lon,
            "since": suspicion.since,
            "raised_at": now,
            "status": OPEN,
        }
        try:
            with self.engine.begin() as connection:
                number = connection.execute(insert(alerts).values(row).returning(alerts.c.id)).scalar_one()
        except IntegrityError:  # open already (raised by this or another process)
            return None
        return self.alert(number)

    def open_keys(self) -> set[tuple[str, str]]:
        """(coach, kind) of every open alert."""
        query = select(alerts.c.vehicle_id, alerts.c.kind).where(alerts.c.status == OPEN)
        with self.engine.connect() as connection:
            return {(row.vehicle_id, row.kind) for row in connection.execute(query)}

    def closed_runs(self, since: datetime) -> set[tuple[str, str, datetime]]:
        """(coach, kind, since) of the alerts closed whose run began at or after ``since``: the same run is
        not raised again once a dispatcher has dealt with it."""
        query = select(alerts.c.vehicle_id, alerts.c.kind, alerts.c.since).where(
            alerts.c.status != OPEN, alerts.c.since >= since
        )
        with self.engine.connect() as connection:
            return {(row.vehicle_id, row.kind, row.since) for row in connection.execute(query)}

    def alert(self, alert_id: int) -> Alert:
        with self.engine.connect() as connection:
            row = connection.execute(select(alerts).where(alerts.c.id == alert_id)).mappings().first()
        if row is None:
            raise AlertNotOpen(f"no alert {alert_id}")
        return _alert(row)

    def alerts(self, status: str | None = OPEN, limit: int = 200) -> list[Alert]:
        query = select(alerts).order_by(alerts.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(alerts.c.status == status)
        with self.engine.connect() as connection:
            return [_alert(row) for row in connection.execute(query).mappings()]

    def close(self, alert_id: int, status: str, actor: str, now: datetime, **details: Any) -> Alert:
        """Confirm or dismiss an open alert, once: :class:`AlertNotOpen` if it is not open (any more)."""
        values = {"status": status, "closed_at": now, "closed_by": actor, **details}
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(alerts).where(alerts.c.id == alert_id, alerts.c.status == OPEN).values(values)
            ).rowcount
        if not changed:
            existing = self.alert(alert_id)  # raises for an unknown id
            raise AlertNotOpen(f"alert {alert_id} is {existing.status} already")
        return self.alert(alert_id)


def _alert(row: Any) -> Alert:
    return Alert(
        id=row["id"],
        kind=AlertKind(row["kind"]),
        vehicle_id=row["vehicle_id"],
        place=row["place"],
        lat=row["lat"],
        lon=row["lon"],
        since=row["since"],
        raised_at=row["raised_at"],
        status=row["status"],
        plan=row["plan"],
        closed_at=row["closed_at"],
        closed_by=row["closed_by"],
        incident_number=row["incident_number"],
        reason=row["reason"],
    )
