"""JT/T 808 (道路运输车辆卫星定位系统 终端通讯协议): the frames and the few messages a position feed needs.

A pure codec — bytes in, frozen values out, and back — with no sockets; the TCP gateway drives it.
Versions 2013 and 2019 (the 2019 header has a version flag, a protocol-version byte and a 20-digit
terminal phone). Words are big-endian; strings are GBK.

A frame is ``0x7e | header | body | check code | 0x7e``; the check code is the XOR of header and body;
inside the flags ``0x7e`` is sent as ``0x7d 0x02`` and ``0x7d`` as ``0x7d 0x01`` (escaping comes after
the check code is computed, un-escaping before it is verified).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import IntEnum

FLAG = 0x7E
ESCAPE = 0x7D
ESCAPED = {0x02: FLAG, 0x01: ESCAPE}  # the byte after 0x7d → the byte it stands for
BEIJING = timezone(timedelta(hours=8), "UTC+8")  # terminals report their clock in China Standard Time
MAX_BODY = 0x3FF  # the body length has 10 bits
VERSION_FLAG = 1 << 14  # in the body properties: the 2019 header
PACKETS_FLAG = 1 << 13  # a long message in several packets: two more words in the header
ENCRYPTION_SHIFT = 10
PHONE_DIGITS = {2013: 12, 2019: 20}  # BCD[6] and BCD[10]
LOCATION_FIXED = struct.Struct(">IIIIHHH6s")  # alarm, status, lat, lon, altitude, speed, heading, time
ALARM_EMERGENCY = 1 << 0  # 紧急报警: the driver pressed the alarm button
STATUS_POSITIONED = 1 << 1  # 定位: the fix is valid
STATUS_SOUTH = 1 << 2
STATUS_WEST = 1 << 3


class MessageId(IntEnum):
    TERMINAL_RESPONSE = 0x0001
    HEARTBEAT = 0x0002
    REGISTER = 0x0100
    AUTHENTICATE = 0x0102
    LOCATION = 0x0200
    PLATFORM_RESPONSE = 0x8001
    REGISTER_RESPONSE = 0x8100


class Result(IntEnum):
    """The result byte of the platform's general response 0x8001."""

    SUCCESS = 0
    FAILURE = 1
    MESSAGE_WRONG = 2
    NOT_SUPPORTED = 3


class RegisterResult(IntEnum):
    """The result byte of the register response 0x8100."""

    SUCCESS = 0
    VEHICLE_REGISTERED = 1
    NO_SUCH_VEHICLE = 2
    TERMINAL_REGISTERED = 3
    NO_SUCH_TERMINAL = 4


class FrameError(ValueError):
    """A frame or body that does not follow the standard; the message says which part."""


@dataclass(frozen=True)
class Header:
    message_id: int
    phone: str  # the terminal's phone number (or device id), its BCD digits as written
    serial: int  # the sender's message serial number, 0–65535, wrapping
    version: int | None = None  # the 2019 header's protocol version (1 for 2019); None: a 2013 header
    encryption: int = 0
    packet: tuple[int, int] | None = None  # (total, index) of a long message sent in packets

    @property
    def edition(self) -> int:
        return 2013 if self.version is None else 2019


@dataclass(frozen=True)
class Message:
    header: Header
    body: bytes = b""


@dataclass(frozen=True)
class Location:
    """The fixed part of a 0x0200 location report (and 0x0201's), decoded."""

    alarm: int
    status: int
    lat: float  # WGS84 degrees, south negative
    lon: float  # WGS84 degrees, west negative
    altitude_m: int
    speed_kmh: float
    heading_deg: int  # 0–359, clockwise from north
    at: datetime  # aware, in UTC+8 as the terminal sent it
    extras: dict[int, bytes] = field(default_factory=dict)  # additional information items by id

    @property
    def emergency(self) -> bool:
        return bool(self.alarm & ALARM_EMERGENCY)

    @property
    def positioned(self) -> bool:
        return bool(self.status & STATUS_POSITIONED)


@dataclass(frozen=True)
class Registration:
    """A 0x0100 terminal registration."""

    province: int
    city: int
    manufacturer: str
    model: str
    terminal_id: str
    plate_colour: int
    plate: str  # the plate (GBK), or the VIN when the colour is 0


# --------------------------------------------------------------------------- frames
def escape(raw: bytes) -> bytes:
    return raw.replace(bytes([ESCAPE]), bytes([ESCAPE, 0x01])).replace(bytes([FLAG]), bytes([ESCAPE, 0x02]))


def unescape(escaped: bytes) -> bytes:
    out = bytearray()
    pending = False
    for byte in escaped:
        if pending:
            if byte not in ESCAPED:
                raise FrameError(f"escape: 0x7d is followed by 0x{byte:02x}, not 0x01 or 0x02")
            out.append(ESCAPED[byte])
            pending = False
        elif byte == ESCAPE:
            pending = True
        elif byte == FLAG:
            raise FrameError("escape: an unescaped 0x7e inside the frame")
        else:
            out.append(byte)
    if pending:
        raise FrameError("escape: the frame ends inside an escape (0x7d)")
    return bytes(out)


def check_code(data: bytes) -> int:
    code = 0
    for byte in data:
        code ^= byte
    return code


def encode(message: Message) -> bytes:
    """The whole frame, flags included."""
    raw = _header_bytes(message.header, len(message.body)) + message.body
    return bytes([FLAG]) + escape(raw + bytes([check_code(raw)])) + bytes([FLAG])


def decode(frame: bytes) -> Message:
    """One frame, with or without its flags; raises :class:`FrameError` naming what is wrong."""
    inner = frame[1:-1] if len(frame) >= 2 and frame[0] == FLAG and frame[-1] == FLAG else frame
    raw = unescape(inner)
    if len(raw) < 2:
        raise FrameError("frame: too short for a header and a check code")
    data, code = raw[:-1], raw[-1]
    if check_code(data) != code:
        raise FrameError(f"check code: 0x{code:02x} sent, 0x{check_code(data):02x} computed")
    header, length = _read_header(data)
    body = data[length:]
    return Message(header, body)


def split_frames(buffer: bytearray) -> list[bytes]:
    """Take the complete frames (flag to flag) off the front of a TCP stream's ``buffer``.

    Bytes before the first flag are noise and dropped; an incomplete frame stays in the buffer;
    ``0x7e 0x7e`` (one frame's end flag, the next one's start flag) is two flags."""
    frames: list[bytes] = []
    while True:
        start = buffer.find(FLAG)
        if start < 0:
            buffer.clear()
            return frames
        del buffer[:start]
        end = buffer.find(FLAG, 1)
        if end < 0:
            return frames
        if end == 1:  # two flags in a row: the first ended a frame we did not see start
            del buffer[:1]
            continue
        frames.append(bytes(buffer[: end + 1]))
        del buffer[: end + 1]


def _header_bytes(header: Header, body_length: int) -> bytes:
    if body_length > MAX_BODY:
        raise FrameError(f"body: {body_length} bytes; one packet carries at most {MAX_BODY}")
    properties = body_length | (header.encryption << ENCRYPTION_SHIFT)
    properties |= PACKETS_FLAG if header.packet else 0
    parts = [struct.pack(">H", header.message_id)]
    if header.version is None:
        parts.append(struct.pack(">H", properties))
    else:
        parts.append(struct.pack(">HB", properties | VERSION_FLAG, header.version))
    parts.append(bcd(header.phone, PHONE_DIGITS[header.edition] // 2))
    parts.append(struct.pack(">H", header.serial))
    if header.packet:
        parts.append(struct.pack(">HH", *header.packet))
    return b"".join(parts)


def _read_header(data: bytes) -> tuple[Header, int]:
    """The header and its length in bytes; checks the body length the header states."""
    if len(data) < 4:
        raise FrameError("header: too short")
    message_id, properties = struct.unpack_from(">HH", data)
    offset, version = 4, None
    if properties & VERSION_FLAG:
        if len(data) < 5:
            raise FrameError("header: too short for the 2019 protocol version")
        version, offset = data[4], 5
    digits = PHONE_DIGITS[2013 if version is None else 2019]
    end = offset + digits // 2 + 2
    if len(data) < end:
        raise FrameError("header: too short for the terminal phone and serial number")
    phone = from_bcd(data[offset : offset + digits // 2], "header: terminal phone")
    (serial,) = struct.unpack_from(">H", data, offset + digits // 2)
    packet = None
    if properties & PACKETS_FLAG:
        if len(data) < end + 4:
            raise FrameError("header: too short for the packet items")
        packet = struct.unpack_from(">HH", data, end)
        end += 4
    stated = properties & MAX_BODY
    if len(data) - end != stated:
        raise FrameError(f"body: the header states {stated} bytes, the frame holds {len(data) - end}")
    encryption = (properties >> ENCRYPTION_SHIFT) & 0b111
    return Header(message_id, phone, serial, version, encryption, packet), end


# --------------------------------------------------------------------------- BCD, strings, times
def bcd(digits: str, size: int) -> bytes:
    """``digits`` as ``size`` BCD bytes, padded with leading zeros."""
    if not digits.isascii() or not digits.isdigit() or len(digits) > 2 * size:
        raise FrameError(f"BCD: {digits!r} is not at most {2 * size} digits")
    return bytes.fromhex(digits.rjust(2 * size, "0"))


def from_bcd(data: bytes, what: str) -> str:
    text = data.hex()
    if not text.isdigit():
        raise FrameError(f"{what}: {text} is not BCD (a nibble above 9)")
    return text


def phone_key(phone: str) -> str:
    """A terminal phone as ``vehicles.csv`` names it: the digits without the BCD padding zeros."""
    return phone.lstrip("0") or "0"


def gbk(data: bytes, what: str) -> str:
    try:
        return data.rstrip(b"\x00").decode("gbk")
    except UnicodeDecodeError:
        raise FrameError(f"{what}: not GBK text") from None


def beijing_time(data: bytes) -> datetime:
    """BCD[6] ``YYMMDDhhmmss`` in UTC+8 (the year is 20YY)."""
    text = from_bcd(data, "location: time")
    try:
        return datetime.strptime("20" + text, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
    except ValueError:
        raise FrameError(f"location: time {text} is not a date and time") from None


def beijing_bcd(moment: datetime) -> bytes:
    return bytes.fromhex(moment.astimezone(BEIJING).strftime("%y%m%d%H%M%S"))


# --------------------------------------------------------------------------- messages
def decode_location(body: bytes) -> Location:
    if len(body) < LOCATION_FIXED.size:
        raise FrameError(f"location: {len(body)} bytes, the fixed part has {LOCATION_FIXED.size}")
    alarm, status, lat, lon, altitude, speed, heading, moment = LOCATION_FIXED.unpack_from(body)
    if heading > 359:
        raise FrameError(f"location: heading {heading} is not 0–359")
    return Location(
        alarm=alarm,
        status=status,
        lat=(-lat if status & STATUS_SOUTH else lat) / 1e6,
        lon=(-lon if status & STATUS_WEST else lon) / 1e6,
        altitude_m=struct.unpack(">h", struct.pack(">H", altitude))[0],  # metres, may be below sea level
        speed_kmh=speed / 10,
        heading_deg=heading,
        at=beijing_time(moment),
        extras=_extras(body[LOCATION_FIXED.size :]),
    )


def encode_location(location: Location) -> bytes:
    status = location.status & ~(STATUS_SOUTH | STATUS_WEST)
    status |= STATUS_SOUTH if location.lat < 0 else 0
    status |= STATUS_WEST if location.lon < 0 else 0
    fixed = LOCATION_FIXED.pack(
        location.alarm,
        status,
        round(abs(location.lat) * 1e6),
        round(abs(location.lon) * 1e6),
        location.altitude_m & 0xFFFF,
        round(location.speed_kmh * 10),
        location.heading_deg,
        beijing_bcd(location.at),
    )
    return fixed + b"".join(bytes([key, len(value)]) + value for key, value in sorted(location.extras.items()))


def _extras(data: bytes) -> dict[int, bytes]:
    extras, offset = {}, 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise FrameError("location: an additional item is cut off")
        key, length = data[offset], data[offset + 1]
        if offset + 2 + length > len(data):
            raise FrameError(f"location: additional item 0x{key:02x} is cut off")
        extras[key] = data[offset + 2 : offset + 2 + length]
        offset += 2 + length
    return extras


def decode_registration(body: bytes, edition: int) -> Registration:
    sizes = (5, 20, 7) if edition == 2013 else (11, 30, 30)  # manufacturer, model, terminal id
    fixed = 4 + sum(sizes) + 1
    if len(body) < fixed:
        raise FrameError(f"register: {len(body)} bytes, the fixed part has {fixed}")
    province, city = struct.unpack_from(">HH", body)
    offset, texts = 4, []
    for size in sizes:
        texts.append(gbk(body[offset : offset + size], "register: manufacturer, model or terminal id"))
        offset += size
    manufacturer, model, terminal_id = texts
    plate = gbk(body[offset + 1 :], "register: plate")
    return Registration(province, city, manufacturer, model, terminal_id, body[offset], plate)


def encode_registration(registration: Registration, edition: int) -> bytes:
    sizes = (5, 20, 7) if edition == 2013 else (11, 30, 30)
    texts = (registration.manufacturer, registration.model, registration.terminal_id)
    fields = b"".join(text.encode("gbk")[:size].ljust(size, b"\x00") for text, size in zip(texts, sizes))
    head = struct.pack(">HH", registration.province, registration.city)
    return head + fields + bytes([registration.plate_colour]) + registration.plate.encode("gbk")


def decode_authentication(body: bytes, edition: int) -> str:
    """The auth code of a 0x0102 (2019: length-prefixed, then IMEI and software version)."""
    if edition == 2013:
        return gbk(body, "authenticate: auth code")
    if not body or len(body) < 1 + body[0]:
        raise FrameError("authenticate: the auth code is cut off")
    return gbk(body[1 : 1 + body[0]], "authenticate: auth code")


def encode_authentication(code: str, edition: int, imei: str = "", software: str = "") -> bytes:
    raw = code.encode("gbk")
    if edition == 2013:
        return raw
    return bytes([len(raw)]) + raw + imei.encode("ascii").ljust(15, b"\x00") + software.encode("gbk").ljust(20, b"\x00")


def encode_general_response(serial: int, message_id: int, result: Result) -> bytes:
    """The body of 0x8001 (and of the terminal's 0x0001): the answered serial, its message id, the result."""
    return struct.pack(">HHB", serial, message_id, result)


def decode_general_response(body: bytes) -> tuple[int, int, Result]:
    if len(body) != 5:
        raise FrameError(f"general response: {len(body)} bytes, not 5")
    serial, message_id, result = struct.unpack(">HHB", body)
    if result not in set(Result):
        raise FrameError(f"general response: result {result} is not one of 0–{max(Result)}")
    return serial, message_id, Result(result)


def encode_register_response(serial: int, result: RegisterResult, auth_code: str = "") -> bytes:
    """The body of 0x8100: the register's serial, the result and, on success only, the auth code."""
    body = struct.pack(">HB", serial, result)
    return body + auth_code.encode("gbk") if result == RegisterResult.SUCCESS else body


def decode_register_response(body: bytes) -> tuple[int, RegisterResult, str]:
    if len(body) < 3:
        raise FrameError(f"register response: {len(body)} bytes, at least 3")
    serial, result = struct.unpack_from(">HB", body)
    if result not in set(RegisterResult):
        raise FrameError(f"register response: result {result} is not one of 0–{max(RegisterResult)}")
    return serial, RegisterResult(result), gbk(body[3:], "register response: auth code")
