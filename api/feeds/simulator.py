"""A feed simulator (issue 16 §5): replays the timetable as moving coaches with GPS noise and sends their
fixes to a service over JSON, GTFS-Realtime or JT/T 808, as the coaches' terminals or an operator's feed
would. A breakdown can be injected: from its time on, that coach stands where it was.

Simulated time runs ``speedup`` times faster than the clock from ``start`` (a time of the timetable);
each fix is stamped with the real clock, since a fix is an observation made now.
"""

from __future__ import annotations

import json
import math
import random
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError
from fleetplan.replay import Sighting, sightings_at

from api.feeds import jt808

METRES_PER_DEGREE = 111_320.0
HTTP_TIMEOUT_S = 30.0


class FeedProtocol(StrEnum):
    JSON = "json"
    GTFS_RT = "gtfs-rt"
    JT808 = "jt808"


@dataclass(frozen=True)
class Breakdown:
    vehicle_id: str
    at: datetime  # simulated time from which it stands still


def parse_injection(text: str) -> Breakdown:
    """``breakdown:COACH@YYYY-MM-DDTHH:MM`` → a :class:`Breakdown`; :class:`InvalidValueError` naming --inject."""
    kind, _, rest = text.partition(":")
    coach, _, when = rest.partition("@")
    if kind != "breakdown" or not coach or not when:
        raise InvalidValueError("--inject", f"{text!r} is not breakdown:COACH@YYYY-MM-DDTHH:MM")
    try:
        return Breakdown(coach.strip(), datetime.fromisoformat(when.strip()))
    except ValueError:
        raise InvalidValueError("--inject", f"{when!r} is not a time YYYY-MM-DDTHH:MM") from None


@dataclass
class Replay:
    """The coaches' fixes at each simulated moment: the timetable's, with noise and the breakdowns."""

    corridor: Corridor
    noise_m: float = 5.0
    seed: int = 0
    breakdowns: tuple[Breakdown, ...] = ()
    _random: random.Random = field(init=False)
    _stopped: dict[str, Sighting] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        known = {vehicle.id for vehicle in self.corridor.dataset.vehicles}
        for breakdown in self.breakdowns:
            if breakdown.vehicle_id not in known:
                raise InvalidValueError("--inject", f"no coach {breakdown.vehicle_id!r}")

    def fixes_at(self, moment: datetime) -> list[Sighting]:
        fixes = []
        for sighting in sightings_at(self.corridor, moment):
            broken = next((b for b in self.breakdowns if b.vehicle_id == sighting.vehicle_id and moment >= b.at), None)
            if broken is not None:  # it stands where it broke down, heading kept, engine off
                sighting = self._stopped.setdefault(sighting.vehicle_id, replace(sighting, speed_kmh=0.0))
            fixes.append(self._noisy(sighting))
        return fixes

    def _noisy(self, sighting: Sighting) -> Sighting:
        north, east = self._random.gauss(0, self.noise_m), self._random.gauss(0, self.noise_m)
        lat = sighting.lat + north / METRES_PER_DEGREE
        lon = sighting.lon + east / (METRES_PER_DEGREE * math.cos(math.radians(sighting.lat)))
        return replace(sighting, lat=round(lat, 6), lon=round(lon, 6))


class Sender(Protocol):
    def send(self, fixes: list[Sighting], now: datetime) -> str: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- senders
@dataclass
class HttpSender:
    """POSTs each tick to ``/positions`` (JSON) or ``/positions/gtfs-rt`` (a FeedMessage). The standard
    library's client: the service's own install has no HTTP client package (httpx is a test extra)."""

    base_url: str
    token: str
    protocol: FeedProtocol

    def send(self, fixes: list[Sighting], now: datetime) -> str:
        if self.protocol == FeedProtocol.JSON:
            path, content_type = "/positions", "application/json"
            body = json.dumps([_json_fix(fix, now) for fix in fixes]).encode("utf-8")
        else:
            path, content_type = "/positions/gtfs-rt", "application/x-protobuf"
            body = _feed_message(fixes, now)
        request = urllib.request.Request(
            self.base_url.rstrip("/") + path,
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310 — --to
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            return f"HTTP {error.code}: {error.read(200).decode('utf-8', 'replace')}"
        return f"stored {answer['stored']}, rejected {len(answer['rejected'])}"

    def close(self) -> None:
        pass


def _json_fix(fix: Sighting, now: datetime) -> dict:
    body = {"vehicle_id": fix.vehicle_id, "lat": fix.lat, "lon": fix.lon, "at": now.isoformat(timespec="seconds")}
    body["speed_kmh"] = fix.speed_kmh
    if fix.heading_deg is not None:
        body["heading_deg"] = round(fix.heading_deg % 360, 1)
    return body


def _feed_message(fixes: list[Sighting], now: datetime) -> bytes:
    from google.transit import gtfs_realtime_pb2

    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.timestamp = int(now.timestamp())
    for fix in fixes:
        entity = feed.entity.add(id=fix.vehicle_id)
        entity.vehicle.vehicle.id = fix.vehicle_id
        entity.vehicle.position.latitude, entity.vehicle.position.longitude = fix.lat, fix.lon
        entity.vehicle.position.speed = fix.speed_kmh / 3.6  # GTFS-RT: metres per second
        if fix.heading_deg is not None:
            entity.vehicle.position.bearing = fix.heading_deg % 360
    return feed.SerializeToString()


@dataclass
class Jt808Sender:
    """One JT/T 808 (2013) terminal per coach: register and authenticate once, then a location a tick."""

    host: str
    port: int
    phones: dict[str, str]  # coach id → terminal phone
    _terminals: dict[str, tuple[socket.socket, bytearray]] = field(default_factory=dict, init=False)
    _serial: int = field(default=0, init=False)

    def send(self, fixes: list[Sighting], now: datetime) -> str:
        answers = dict.fromkeys(jt808.Result, 0)
        for fix in fixes:
            if fix.vehicle_id not in self.phones:
                continue
            try:
                connection = self._terminal(fix.vehicle_id)
            except OSError:
                self._terminals.pop(fix.vehicle_id, None)  # the next tick connects again
                raise
            body = jt808.encode_location(
                jt808.Location(
                    0,
                    jt808.STATUS_POSITIONED,
                    fix.lat,
                    fix.lon,
                    0,
                    fix.speed_kmh,
                    int(round(fix.heading_deg or 0)) % 360,
                    now.astimezone(jt808.BEIJING).replace(microsecond=0),
                )
            )
            try:
                answers[self._result(connection, jt808.MessageId.LOCATION, body)] += 1
            except OSError:
                self._terminals.pop(fix.vehicle_id)[0].close()  # the next tick connects again
                raise
        return ", ".join(f"{result.name.lower()} {count}" for result, count in answers.items() if count)

    def close(self) -> None:
        for connection, _ in self._terminals.values():
            connection.close()

    def _terminal(self, vehicle_id: str) -> tuple[socket.socket, bytearray]:
        if vehicle_id not in self._terminals:
            connection = (socket.create_connection((self.host, self.port), timeout=30), bytearray())
            self._terminals[vehicle_id] = connection
            phone = self.phones[vehicle_id]
            registration = jt808.Registration(22, 0, "FPSIM", "fleetplan-sim", vehicle_id[:7], 1, vehicle_id)
            answer = self._ask(
                connection, phone, jt808.MessageId.REGISTER, jt808.encode_registration(registration, 2013)
            )
            _, outcome, code = jt808.decode_register_response(answer.body)
            if outcome != jt808.RegisterResult.SUCCESS:
                raise ConnectionError(f"terminal {phone} of {vehicle_id}: registration refused ({outcome.name})")
            self._result(connection, jt808.MessageId.AUTHENTICATE, code.encode("gbk"), phone)
        return self._terminals[vehicle_id]

    def _result(
        self, connection: tuple[socket.socket, bytearray], message_id: int, body: bytes, phone: str | None = None
    ) -> jt808.Result:
        phone = phone or next(p for v, p in self.phones.items() if self._terminals.get(v) is connection)
        return jt808.decode_general_response(self._ask(connection, phone, message_id, body).body)[2]

    def _ask(
        self, connection: tuple[socket.socket, bytearray], phone: str, message_id: int, body: bytes
    ) -> jt808.Message:
        self._serial = (self._serial + 1) & 0xFFFF
        terminal, buffer = connection
        terminal.sendall(
            jt808.encode(jt808.Message(jt808.Header(message_id, phone.rjust(12, "0"), self._serial), body))
        )
        while not (frames := jt808.split_frames(buffer)):
            chunk = terminal.recv(4096)
            if not chunk:
                raise ConnectionError("the gateway closed the connection")
            buffer += chunk
        return jt808.decode(frames[0])
