"""A real ``fleetplan serve`` answers a long request head with an HTTP status, never a dropped
connection: a client repeating ``vehicle_id`` a thousand times gets a 4xx naming the field, whatever
way TCP splits its bytes (found by the contract fuzzer on GET /positions)."""

from __future__ import annotations

import socket

import pytest

from tests.api.http_support import admin_token, running_server, sqlite_url

PART = "vehicle_id=00000000%3A%3A%3A%C2%80%E0%A0%80%F0%90%80%80"  # an id no coach has, in UTF-8


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("long-requests")
    database_url = sqlite_url(state_dir)
    with running_server(database_url, state_dir) as server:
        yield server, admin_token(database_url, state_dir)


def raw_get(base_url: str, target: str, token: str) -> bytes:
    """The response's head to a GET sent in one piece over a plain socket (no client-side URL limit)."""
    host, port = base_url.removeprefix("http://").split(":")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=60) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("repeats", [100, 2_000, 10_000])  # about 5 KB, 100 KB and 500 KB of query
def test_a_long_query_gets_a_4xx_naming_the_field(server, repeats):
    running, token = server
    response = raw_get(running.base_url, "/positions?" + "&".join([PART] * repeats), token)
    status_line, _, rest = response.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 4"), status_line
    assert b"vehicle_id" in rest
