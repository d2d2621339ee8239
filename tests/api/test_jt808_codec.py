"""The JT/T 808 codec against byte strings worked out by hand from the standard (issue 16 §1).

Each frame below was written from the standard's tables — message id, body properties (length in
bits 0–9, bit 14 the 2019 version flag), the BCD terminal phone, the serial, the body, the XOR check
code — and is decoded to the values it carries and encoded back to the same bytes.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.feeds.jt808 import (
    BEIJING,
    FrameError,
    Header,
    Location,
    Message,
    MessageId,
    RegisterResult,
    Registration,
    Result,
    decode,
    decode_authentication,
    decode_general_response,
    decode_location,
    decode_register_response,
    decode_registration,
    encode,
    encode_authentication,
    encode_general_response,
    encode_location,
    encode_register_response,
    encode_registration,
    escape,
    phone_key,
    split_frames,
    unescape,
)

# The standard's own example (§4.4.2): the content 30 7e 08 7d 55 is sent as 7e 30 7d 02 08 7d 01 55 7e.
STANDARD_CONTENT = bytes.fromhex("307e087d55")
STANDARD_ESCAPED = bytes.fromhex("307d02087d0155")

# 0x0002 heartbeat, 2013 header, phone 013800138000, serial 1, empty body:
# 0002 | 0000 | 01 38 00 13 80 00 | 0001, check 02^01^38^13^80^01 = a9
HEARTBEAT = bytes.fromhex("7e000200000138001380000001a97e")
# the same with serial 0x7e7d: both bytes escaped; check a9^01^7e^7d = ab
HEARTBEAT_ESCAPED = bytes.fromhex("7e000200000138001380007d027d01ab7e")

# 0x0200 location, 2019 header (properties 0x4000 | 34, version 1, BCD[10] phone), serial 7:
# alarm bit 0 (emergency), status bit 1 (positioned; north, east), lat 43.491700 = 0x0297a174,
# lon 124.842800 = 0x0770f330, altitude 200 m, speed 96.5 km/h = 965 = 0x03c5, heading 45,
# time 26-12-07 07:40:05 (UTC+8), then item 0x01 (mileage, DWORD) 12345 = 1234.5 km; check 65
LOCATION_BODY = bytes.fromhex("00000001000000020297a1740770f33000c803c5002d261207074005010400003039")
LOCATION_2019 = bytes.fromhex("7e0200402201000000000138001380000007") + LOCATION_BODY
LOCATION_2019 += bytes.fromhex("657e")

# 0x0100 register, 2013: province 22 (Jilin), city 0x012c (Siping, 300), manufacturer "70111",
# model "FP-808" (BYTE[20], zero-padded), terminal id "T000001", plate colour 1 (blue), plate
# 吉C12345 in GBK (bc aa 43 31 32 33 34 35); 45 bytes; check b1
REGISTRATION_BODY = bytes.fromhex("0016012c373031313146502d383038" + "00" * 14 + "5430303030303101bcaa433132333435")
REGISTER_2013 = bytes.fromhex("7e0100002d0138001380000001") + REGISTRATION_BODY + bytes.fromhex("b17e")


def test_escaping_follows_the_standard_s_example():
    assert escape(STANDARD_CONTENT) == STANDARD_ESCAPED
    assert unescape(STANDARD_ESCAPED) == STANDARD_CONTENT


def test_a_2013_heartbeat_decodes_and_encodes_to_the_same_bytes():
    message = decode(HEARTBEAT)
    assert message == Message(Header(MessageId.HEARTBEAT, "013800138000", 1))
    assert message.header.edition == 2013
    assert encode(message) == HEARTBEAT


def test_flag_and_escape_bytes_inside_a_frame_are_escaped_after_the_check_code():
    message = Message(Header(MessageId.HEARTBEAT, "013800138000", 0x7E7D))
    assert encode(message) == HEARTBEAT_ESCAPED
    assert decode(HEARTBEAT_ESCAPED) == message


def test_a_2019_location_report_carries_its_fix_alarm_and_extras():
    message = decode(LOCATION_2019)
    assert message.header == Header(MessageId.LOCATION, "00000000013800138000", 7, version=1)
    assert phone_key(message.header.phone) == "13800138000"
    location = decode_location(message.body)
    assert (location.lat, location.lon) == (43.4917, 124.8428)
    assert (location.altitude_m, location.speed_kmh, location.heading_deg) == (200, 96.5, 45)
    assert location.at == datetime(2026, 12, 7, 7, 40, 5, tzinfo=BEIJING)
    assert location.emergency and location.positioned
    assert location.extras == {0x01: bytes.fromhex("00003039")}
    assert encode_location(location) == LOCATION_BODY
    assert encode(message) == LOCATION_2019


def test_south_and_west_are_status_bits_not_signs():
    body = bytearray(LOCATION_BODY)
    body[7] |= 0b1100  # status bits 2 (south) and 3 (west)
    location = decode_location(bytes(body))
    assert (location.lat, location.lon) == (-43.4917, -124.8428)
    assert encode_location(location) == bytes(body)


def test_a_2013_registration_and_its_response():
    message = decode(REGISTER_2013)
    registration = decode_registration(message.body, message.header.edition)
    assert registration == Registration(22, 300, "70111", "FP-808", "T000001", 1, "吉C12345")
    assert encode_registration(registration, 2013) == REGISTRATION_BODY
    # 0x8100: the register's serial 0001, result 0, auth code "AUTH1"
    assert encode_register_response(1, RegisterResult.SUCCESS, "AUTH1") == bytes.fromhex("0001004155544831")
    assert decode_register_response(bytes.fromhex("0001004155544831")) == (1, RegisterResult.SUCCESS, "AUTH1")
    # a refusal carries no auth code
    assert encode_register_response(1, RegisterResult.NO_SUCH_TERMINAL, "AUTH1") == bytes.fromhex("000104")


def test_authentication_bodies_of_both_editions():
    assert decode_authentication(b"AUTH1", 2013) == "AUTH1"
    body_2019 = bytes.fromhex("054155544831") + b"860000000000001" + b"v1.0".ljust(20, b"\x00")
    assert encode_authentication("AUTH1", 2019, "860000000000001", "v1.0") == body_2019
    assert decode_authentication(body_2019, 2019) == "AUTH1"


def test_the_platform_general_response():
    # answers serial 7 of a 0x0200 with success: 0007 0200 00
    assert encode_general_response(7, MessageId.LOCATION, Result.SUCCESS) == bytes.fromhex("0007020000")
    assert decode_general_response(bytes.fromhex("0007020001")) == (7, 0x0200, Result.FAILURE)


@pytest.mark.parametrize(
    ("frame", "complaint"),
    [
        (HEARTBEAT[:-2] + b"\x00\x7e", "check code: 0x00 sent, 0xa9 computed"),
        (bytes.fromhex("7e00027d037e"), "escape: 0x7d is followed by 0x03"),
        (bytes.fromhex("7e00027d7e"), "escape: the frame ends inside an escape"),
        (bytes.fromhex("7e000200010138001380000001a87e"), "body: the header states 1 bytes"),
        (bytes.fromhex("7e000200000138001380a00001097e"), "not BCD"),
        (bytes.fromhex("7e000200027e"), "header: too short"),
    ],
    ids=["check code", "bad escape", "cut escape", "body length", "phone not BCD", "short header"],
)
def test_a_malformed_frame_is_a_frame_error_naming_the_part(frame, complaint):
    with pytest.raises(FrameError, match=complaint.replace("(", r"\(")):
        decode(frame)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda body: body[:20], "the fixed part has 28"),
        (lambda body: body[:20] + b"\x01\x68" + body[22:], "heading 360"),
        (lambda body: body[:22] + bytes.fromhex("261307074005") + body[28:], "time 261307074005"),
        (lambda body: body[:-1], "additional item 0x01 is cut off"),
    ],
    ids=["short", "heading", "month 13", "cut extra"],
)
def test_a_malformed_location_body_is_a_frame_error(change, complaint):
    with pytest.raises(FrameError, match=complaint):
        decode_location(change(LOCATION_BODY))


def test_frames_are_split_off_a_stream_with_noise_and_a_partial_tail():
    buffer = bytearray(b"\x00\x01" + HEARTBEAT + LOCATION_2019 + HEARTBEAT_ESCAPED[:5])
    assert split_frames(buffer) == [HEARTBEAT, LOCATION_2019]
    assert bytes(buffer) == HEARTBEAT_ESCAPED[:5]
    buffer += HEARTBEAT_ESCAPED[5:]
    assert split_frames(buffer) == [HEARTBEAT_ESCAPED] and not buffer


headers = st.builds(
    Header,
    message_id=st.integers(0, 0xFFFF),
    phone=st.text("0123456789", min_size=0, max_size=12).map(lambda digits: digits.rjust(12, "0")),
    serial=st.integers(0, 0xFFFF),
    version=st.none(),
    packet=st.none() | st.tuples(st.integers(1, 0xFFFF), st.integers(1, 0xFFFF)),
) | st.builds(
    Header,
    message_id=st.integers(0, 0xFFFF),
    phone=st.text("0123456789", min_size=20, max_size=20),
    serial=st.integers(0, 0xFFFF),
    version=st.integers(0, 255),
    packet=st.none(),
)


@given(headers, st.binary(max_size=0x3FF))
def test_any_message_survives_encoding_and_every_flag_is_escaped(header, body):
    frame = encode(Message(header, body))
    assert frame.count(0x7E) == 2 and frame[0] == frame[-1] == 0x7E
    assert decode(frame) == Message(header, body)


@given(st.binary(max_size=64))
def test_garbage_is_a_frame_error_or_a_message_never_a_crash(garbage):
    try:
        decode(garbage)
    except FrameError:
        pass


@given(
    st.floats(-89.999999, 89.999999),
    st.floats(-179.999999, 179.999999),
    st.integers(0, 6000),
    st.integers(0, 359),
    st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)),
)
def test_a_location_survives_encoding_to_its_resolution(lat, lon, speed_tenths, heading, moment):
    at = moment.replace(microsecond=0, tzinfo=BEIJING)
    location = Location(0, 2, lat, lon, 0, speed_tenths / 10, heading, at)
    decoded = decode_location(encode_location(location))
    assert abs(decoded.lat - lat) <= 5e-7 and abs(decoded.lon - lon) <= 5e-7  # 10⁻⁶ degrees
    assert (decoded.speed_kmh, decoded.heading_deg, decoded.at) == (speed_tenths / 10, heading, at)


@pytest.mark.parametrize(
    "decoder",
    [
        decode_location,
        decode_general_response,
        decode_register_response,
        lambda body: decode_registration(body, 2013),
        lambda body: decode_registration(body, 2019),
        lambda body: decode_authentication(body, 2013),
        lambda body: decode_authentication(body, 2019),
    ],
    ids=[
        "location",
        "general response",
        "register response",
        "register 2013",
        "register 2019",
        "auth 2013",
        "auth 2019",
    ],
)
@given(body=st.binary(max_size=120))
def test_any_body_is_a_frame_error_or_a_value_never_a_crash(decoder, body):
    try:
        decoder(body)
    except FrameError:
        pass
