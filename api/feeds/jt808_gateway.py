"""The JT/T 808 TCP gateway (issue 16 §1): the coaches' positioning terminals connect, register,
authenticate, beat and report their location; each location becomes a fix through the same checks as
every other feed.

One asyncio server in the service's event loop (``fleetplan serve --jt808-port N``; off by default).
A terminal is known by its phone (``terminal_phone`` in ``vehicles.csv``). Its auth code is an HMAC of
that phone under the gateway's key, so any process sharing the key accepts it after a reconnect.
Nothing a terminal sends stops the gateway: a frame that cannot be read is dropped (and logged), a
readable one with a wrong body is answered 0x8001 "message wrong", an unknown message "not supported",
and a location from a terminal that has not authenticated, or that the checks refuse, "failure".
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fleetplan.corridor import Corridor
from fleetplan.positions import PositionSource

from api import views
from api.desk.times import TimeRules
from api.feeds import jt808
from api.feeds.fix_batches import FixBatches
from api.feeds.intake import RawFix, Rejected
from api.positions_log import PositionLog

logger = logging.getLogger(__name__)

KEY_FILE = "jt808-key"
READ_CHUNK = 4096
MAX_PENDING = 64 * 1024  # bytes of a frame not yet ended: a terminal sends a few hundred; more is not 808
AUTH_CODE_CHARS = 16
KEY_WAIT_TRIES = 40


@dataclass(frozen=True)
class PendingFix:
    """A location report checked as a frame, to be stored with the others of its moment."""

    header: jt808.Header
    fix: RawFix


@dataclass
class Session:
    """One terminal's connection."""

    peer: str
    coach: str | None = None  # set once it authenticated
    phone: str | None = None
    serial: int = 0  # the platform's own message serial on this connection

    def next_serial(self) -> int:
        self.serial = (self.serial + 1) & 0xFFFF
        return self.serial


@dataclass
class Jt808Gateway:
    corridor: Callable[[], Corridor]  # the live corridor (its coaches and their terminal phones)
    rules: TimeRules
    log: PositionLog
    key: bytes
    servers: list[asyncio.Server] = field(default_factory=list, init=False)
    batches: FixBatches = field(init=False)

    def __post_init__(self) -> None:
        self.batches = FixBatches(self.corridor, self.rules, self.log, PositionSource.JT808)

    async def start(self, host: str, port: int, sockets: Sequence[socket.socket] = ()) -> None:
        """Listen on ``sockets`` when given (bound by ``fleetplan serve`` at its address check, so that no
        other process takes the port in between), else bind ``host``:``port``."""
        if sockets:
            self.servers = [await asyncio.start_server(self.serve_terminal, sock=sock) for sock in sockets]
        else:
            self.servers = [await asyncio.start_server(self.serve_terminal, host, port)]
        logger.info("JT/T 808 gateway listening on %s:%s", host, self.port)

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
            await server.wait_closed()

    @property
    def port(self) -> int:
        assert self.servers and self.servers[0].sockets
        return int(self.servers[0].sockets[0].getsockname()[1])

    async def serve_terminal(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(peer=str(writer.get_extra_info("peername")))
        buffer = bytearray()
        try:
            while chunk := await reader.read(READ_CHUNK):
                buffer += chunk
                for frame in jt808.split_frames(buffer):
                    reply = self.answer(session, frame)  # decoding is quick and pure: the loop does it
                    if isinstance(reply, PendingFix):
                        reply = await self._stored(session, reply)
                    if reply:
                        writer.write(reply)
                        await writer.drain()
                if len(buffer) > MAX_PENDING:
                    logger.warning("JT/T 808 %s: %d bytes without a frame's end; closing", session.peer, len(buffer))
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:  # one terminal's trouble never stops the gateway
            logger.exception("JT/T 808 %s: closing after an unexpected error", session.peer)
        finally:
            writer.close()

    # ------------------------------------------------------------------ one frame → its answer
    def answer(self, session: Session, frame: bytes) -> bytes | PendingFix | None:
        try:
            message = jt808.decode(frame)
        except jt808.FrameError as error:  # no header to trust: nobody to answer
            logger.warning("JT/T 808 %s: frame dropped: %s", session.peer, error)
            return None
        header = message.header
        try:
            return self._dispatch(session, message)
        except jt808.FrameError as error:
            logger.warning("JT/T 808 %s (%s): message 0x%04x: %s", session.peer, header.phone, header.message_id, error)
            return self._general(session, header, jt808.Result.MESSAGE_WRONG)

    def _dispatch(self, session: Session, message: jt808.Message) -> bytes | PendingFix | None:
        header = message.header
        kind = header.message_id
        if kind == jt808.MessageId.REGISTER:
            return self._register(session, message)
        if kind == jt808.MessageId.AUTHENTICATE:
            return self._authenticate(session, message)
        if kind == jt808.MessageId.HEARTBEAT:
            return self._general(session, header, jt808.Result.SUCCESS)
        if kind == jt808.MessageId.LOCATION:
            return self._location(session, message)
        if kind == jt808.MessageId.TERMINAL_RESPONSE:
            return None  # an answer to us needs none
        return self._general(session, header, jt808.Result.NOT_SUPPORTED)

    def _register(self, session: Session, message: jt808.Message) -> bytes:
        header = message.header
        jt808.decode_registration(message.body, header.edition)  # a body that is not a registration: wrong
        coach = self.coach_of(header.phone)
        if coach is None:
            body = jt808.encode_register_response(header.serial, jt808.RegisterResult.NO_SUCH_TERMINAL)
        else:
            code = self.auth_code(header.phone)
            body = jt808.encode_register_response(header.serial, jt808.RegisterResult.SUCCESS, code)
        return self._reply(session, header, jt808.MessageId.REGISTER_RESPONSE, body)

    def _authenticate(self, session: Session, message: jt808.Message) -> bytes:
        header = message.header
        code = jt808.decode_authentication(message.body, header.edition)
        coach = self.coach_of(header.phone)
        if coach is None or not hmac.compare_digest(code, self.auth_code(header.phone)):
            return self._general(session, header, jt808.Result.FAILURE)
        session.coach, session.phone = coach, header.phone
        return self._general(session, header, jt808.Result.SUCCESS)

    def _location(self, session: Session, message: jt808.Message) -> bytes | PendingFix:
        header = message.header
        location = jt808.decode_location(message.body)
        if session.coach is None or header.phone != session.phone:
            return self._general(session, header, jt808.Result.FAILURE)  # authenticate first
        if not location.positioned:  # the terminal has no fix: acknowledged, nothing to store
            return self._general(session, header, jt808.Result.SUCCESS)
        fix = RawFix(
            coach=session.coach,
            lat=location.lat,
            lon=location.lon,
            at=location.at,  # aware (UTC+8): the intake turns it into the records' China-local time
            speed_kmh=location.speed_kmh,
            heading_deg=float(location.heading_deg),
            emergency=location.emergency,
        )
        return PendingFix(header, fix)  # stored with the other terminals' reports of the moment

    async def _stored(self, session: Session, pending: PendingFix) -> bytes:
        refused = await self.batches.store(pending.fix, f"jt808:{pending.header.phone}")
        if refused is not None:
            self._log_rejected(session, [refused])
            return self._general(session, pending.header, jt808.Result.FAILURE)
        return self._general(session, pending.header, jt808.Result.SUCCESS)

    # ------------------------------------------------------------------ helpers
    def coach_of(self, phone: str) -> str | None:
        vehicle = views.vehicle_by_phone(self.corridor().dataset, jt808.phone_key(phone))
        return vehicle.id if vehicle is not None else None

    def auth_code(self, phone: str) -> str:
        digest = hmac.new(self.key, jt808.phone_key(phone).encode("ascii"), hashlib.sha256).hexdigest()
        return digest[:AUTH_CODE_CHARS].upper()

    def _general(self, session: Session, header: jt808.Header, result: jt808.Result) -> bytes:
        body = jt808.encode_general_response(header.serial, header.message_id, result)
        return self._reply(session, header, jt808.MessageId.PLATFORM_RESPONSE, body)

    @staticmethod
    def _reply(session: Session, header: jt808.Header, message_id: int, body: bytes) -> bytes:
        # the answer speaks the terminal's own edition of the header, to its phone
        answer_header = jt808.Header(message_id, header.phone, session.next_serial(), header.version)
        return jt808.encode(jt808.Message(answer_header, body))

    @staticmethod
    def _log_rejected(session: Session, rejected: list[Rejected]) -> None:
        for problem in rejected:
            logger.warning("JT/T 808 %s (%s): location refused: %s", session.peer, session.coach, problem.detail)


def gateway_key(configured: str | None, var_dir: Path) -> bytes:
    """The key of the auth codes: the configured one, else one kept in ``var_dir`` (created 0600 once)."""
    if configured:
        return configured.encode("utf-8")
    path = var_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32))
    for _ in range(KEY_WAIT_TRIES):  # bounded: another process may be between creating and writing it
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key.encode("utf-8")
        time.sleep(0.05)
    raise RuntimeError(f"{path} is empty: delete it, or set FLEETPLAN_JT808_KEY")
