"""The GTFS-Realtime poller (issue 16 §1): a real ``fleetplan serve`` with ``FLEETPLAN_GTFS_RT_URL`` set
takes the operator's feed by itself; a feed that is down or is not a feed is logged and polled again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from api.feeds.gtfs_rt_poller import GtfsRtPoller

from tests.api.http_support import add_users, bearer, running_desk, running_server, sqlite_url
from tests.api.test_http_positions import ON_G1, feed_message, posix

POLL_DEADLINE_S = 30.0  # the poller runs every second here; this only bounds a failure


@contextmanager
def feed_server(bodies: list[bytes]) -> Iterator[str]:
    """An operator's feed on a loopback port: answers with the last of ``bodies`` (changeable)."""

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies[-1]
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/vehicle-positions.pb"
    finally:
        server.shutdown()


def test_a_service_with_a_feed_url_takes_the_feed_by_itself(tmp_path):
    url = sqlite_url(tmp_path)
    token = add_users(url)["viewer"]
    body = feed_message({"id": "c10", **ON_G1, "bearing": 41.0, "timestamp": posix(5)})
    with (
        feed_server([body]) as feed,
        running_server(url, tmp_path, settings={"gtfs_rt_url": feed, "gtfs_rt_poll_s": 1}) as server,
    ):
        deadline = time.monotonic() + POLL_DEADLINE_S
        rows: dict = {}
        while time.monotonic() < deadline and "c10" not in rows:  # bounded: the deadline above
            rows = {r["vehicle_id"]: r for r in httpx.get(f"{server.base_url}/positions", headers=bearer(token)).json()}
            time.sleep(0.2)
        assert rows["c10"]["source"] == "gtfs-rt" and rows["c10"]["place"]["text"] == "G1 K56.7 toward Changchun"


def test_a_feed_that_is_down_or_is_no_feed_is_a_logged_failure_then_polled_again(tmp_path):
    with running_desk(sqlite_url(tmp_path)) as desk:
        state = desk.client.app.state
        bodies = [b"<html>maintenance</html>"]
        with feed_server(bodies) as feed:
            poller = GtfsRtPoller(feed, 1, state.desk.live_corridor, state.desk.times, state.positions)
            assert poller.poll_once().startswith("failed: body: not a GTFS-Realtime FeedMessage")
            bodies.append(
                feed_message(
                    {"id": "c11", **ON_G1, "timestamp": posix(5)}, {"id": "c99", **ON_G1, "timestamp": posix(5)}
                )
            )
            assert poller.poll_once() == "stored 1, rejected 1, passed over 0"
        down = GtfsRtPoller(feed, 1, state.desk.live_corridor, state.desk.times, state.positions)
        assert down.poll_once().startswith("failed:")  # the server is gone
        assert "c11" in state.positions.latest()
