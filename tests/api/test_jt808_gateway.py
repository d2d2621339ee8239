"""The JT/T 808 gateway of a real ``fleetplan serve --jt808-port`` (issue 16 §1), on SQLite and
PostgreSQL: terminals register, authenticate, beat and report; what they send wrong is answered (or,
when no header can be read, dropped) and never stops the gateway.

A terminal here is a plain socket speaking the codec of :mod:`api.feeds.jt808`, whose frames are
checked byte by byte against the standard in ``test_jt808_codec.py``.
"""

from __future__ import annotations

import socket
from contextlib import closing
from datetime import datetime, timedelta

import httpx
import pytest

from fleetplan.units import china_now

from api.feeds import jt808
from api.feeds.jt808 import BEIJING, Header, Location, Message, MessageId, RegisterResult, Registration, Result

from tests.api.http_support import bearer

C03_PHONE = "013804310003"  # vehicles.csv: c03's terminal 13804310003, as 12 BCD digits
ON_G1 = (43.4917, 124.8428)  # G1 at about K56.7; the carriageway toward Changchun runs at ≈42°
REGISTRATION = Registration(22, 300, "70111", "FP-808", "T000003", 1, "吉A·C0003")


@pytest.fixture
def gateway(gateway_service) -> dict:
    """The served gateway (tests/api/conftest.py) as these tests address it."""
    service = gateway_service
    return {
        "http": service.http,
        "port": service.jt808_port,
        "token": service.tokens["viewer"],
        "server": service.server,
    }


class Terminal:
    """A positioning terminal on one TCP connection."""

    def __init__(self, port: int, phone: str = C03_PHONE, version: int | None = None) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.phone, self.version, self.serial = phone, version, 0
        self.buffer = bytearray()

    def send(self, message_id: int, body: bytes = b"") -> None:
        self.serial += 1
        self.socket.sendall(jt808.encode(Message(Header(message_id, self.phone, self.serial, self.version), body)))

    def receive(self) -> Message:
        while True:
            frames = jt808.split_frames(self.buffer)
            if frames:
                (frame,) = frames
                return jt808.decode(frame)
            chunk = self.socket.recv(4096)
            assert chunk, "the gateway closed the connection"
            self.buffer += chunk

    def ask(self, message_id: int, body: bytes = b"") -> Message:
        self.send(message_id, body)
        return self.receive()

    def result(self, message_id: int, body: bytes = b"") -> Result:
        answer = self.ask(message_id, body)
        assert answer.header.message_id == MessageId.PLATFORM_RESPONSE
        serial, answered, result = jt808.decode_general_response(answer.body)
        assert (serial, answered) == (self.serial, message_id)  # it answers this very message
        return result

    def sign_in(self) -> None:
        answer = self.ask(MessageId.REGISTER, jt808.encode_registration(REGISTRATION, self.edition))
        serial, outcome, code = jt808.decode_register_response(answer.body)
        assert (answer.header.message_id, serial, outcome) == (
            MessageId.REGISTER_RESPONSE,
            self.serial,
            RegisterResult.SUCCESS,
        )
        assert self.result(MessageId.AUTHENTICATE, jt808.encode_authentication(code, self.edition)) == Result.SUCCESS

    @property
    def edition(self) -> int:
        return 2013 if self.version is None else 2019

    def close(self) -> None:
        self.socket.close()


def location(at: datetime | None = None, alarm: int = 0, heading: int = 41, lat: float = ON_G1[0]) -> bytes:
    moment = (at or china_now() - timedelta(seconds=5)).replace(microsecond=0, tzinfo=BEIJING)
    return jt808.encode_location(Location(alarm, jt808.STATUS_POSITIONED, lat, ON_G1[1], 180, 91.5, heading, moment))


def positions(gateway) -> dict[str, dict]:
    response = httpx.get(f"{gateway['http']}/positions", headers=bearer(gateway["token"]), timeout=30)
    return {row["vehicle_id"]: row for row in response.json()}


def test_a_terminal_registers_authenticates_and_its_location_is_the_coach_s_position(gateway):
    with closing(Terminal(gateway["port"])) as terminal:
        terminal.sign_in()
        assert terminal.result(MessageId.HEARTBEAT) == Result.SUCCESS
        assert terminal.result(MessageId.LOCATION, location(alarm=jt808.ALARM_EMERGENCY)) == Result.SUCCESS
    row = positions(gateway)["c03"]
    assert (row["source"], row["emergency"], row["speed_kmh"]) == ("jt808", True, 91.5)
    assert row["place"]["text"] == "G1 K56.7 toward Changchun" and row["place"]["side_from"] == "heading"


def test_a_2019_terminal_with_a_20_digit_phone_is_the_same_coach(gateway):
    with closing(Terminal(gateway["port"], phone="00000000013804310003", version=1)) as terminal:
        terminal.sign_in()
        assert terminal.result(MessageId.LOCATION, location(heading=222)) == Result.SUCCESS
    assert positions(gateway)["c03"]["place"]["text"] == "G1 K56.7 toward Siping"


def test_an_auth_code_holds_after_a_reconnect_and_a_wrong_one_fails(gateway):
    with closing(Terminal(gateway["port"])) as terminal:
        answer = terminal.ask(MessageId.REGISTER, jt808.encode_registration(REGISTRATION, 2013))
        code = jt808.decode_register_response(answer.body)[2]
    with closing(Terminal(gateway["port"])) as terminal:
        assert terminal.result(MessageId.AUTHENTICATE, b"NOT-THE-CODE") == Result.FAILURE
        assert terminal.result(MessageId.LOCATION, location()) == Result.FAILURE  # not signed in
        assert terminal.result(MessageId.AUTHENTICATE, code.encode()) == Result.SUCCESS


def test_an_unknown_terminal_is_told_so_and_cannot_report(gateway):
    with closing(Terminal(gateway["port"], phone="019999999999")) as terminal:
        answer = terminal.ask(MessageId.REGISTER, jt808.encode_registration(REGISTRATION, 2013))
        assert jt808.decode_register_response(answer.body)[1] == RegisterResult.NO_SUCH_TERMINAL
        assert terminal.result(MessageId.AUTHENTICATE, b"ANYTHING") == Result.FAILURE
        assert terminal.result(MessageId.LOCATION, location()) == Result.FAILURE


def test_what_a_terminal_sends_wrong_is_answered_and_never_stops_the_gateway(gateway):
    before = positions(gateway).get("c03", {}).get("at")
    with closing(Terminal(gateway["port"])) as terminal:
        terminal.sign_in()
        assert terminal.result(MessageId.LOCATION, location(at=datetime(1970, 1, 1, 8))) == Result.FAILURE
        assert terminal.result(MessageId.LOCATION, location(lat=0.0)[:10]) == Result.MESSAGE_WRONG  # cut short
        assert terminal.result(0x0900) == Result.NOT_SUPPORTED  # 数据上行透传: not for this platform
        frame = bytearray(jt808.encode(Message(Header(MessageId.HEARTBEAT, C03_PHONE, 99), b"")))
        frame[-2] ^= 0xFF  # a wrong check code: no header to trust, no answer
        terminal.socket.sendall(bytes(frame) + b"\x00\x01garbage\x7e\x7e")
        assert terminal.result(MessageId.HEARTBEAT) == Result.SUCCESS  # the next frame is answered
    with closing(socket.create_connection(("127.0.0.1", gateway["port"]), timeout=10)) as cut:
        cut.sendall(b"\x7e\x02\x00\x00")  # and leaves mid-frame
    with closing(Terminal(gateway["port"])) as terminal:
        terminal.sign_in()
    assert positions(gateway).get("c03", {}).get("at") == before  # nothing refused was stored
    assert "Traceback" not in gateway["server"].log()


def test_the_gateway_is_off_unless_serve_is_given_a_port():
    from api.cli import build_parser
    from api.cli_options import settings_of

    parser = build_parser()
    assert settings_of(parser.parse_args(["serve"])).jt808_port is None
    assert settings_of(parser.parse_args(["serve", "--jt808-port", "8808"])).jt808_port == 8808


def test_a_gateway_port_already_taken_is_exit_2_naming_the_option(capsys, tmp_path):
    from tests.api.http_support import free_port, run_cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # the service's own port is free: serve checks it first (port 1 is refused to a non-root user)
        code, out, err = run_cli(
            capsys,
            "serve",
            "--jt808-port",
            str(port),
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
            "--port",
            str(free_port()),
        )
    assert (code, out) == (2, "") and f"--jt808-port: cannot listen on 127.0.0.1:{port}" in err
