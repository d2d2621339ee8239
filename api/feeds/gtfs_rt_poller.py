"""Polls an operator's GTFS-Realtime feed of vehicle positions (``FLEETPLAN_GTFS_RT_URL``, issue 16 §1).

A daemon thread fetches the feed every ``FLEETPLAN_GTFS_RT_POLL_S`` seconds and stores its fixes
through the same checks as a posted feed. A feed that cannot be fetched or read is logged and tried
again at the next poll, never stopping the service; the last outcome is kept for ``/health``-style looks.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from fleetplan.corridor import Corridor
from fleetplan.errors import InvalidValueError
from fleetplan.positions import PositionSource

from api.desk.times import TimeRules
from api.feeds.intake import gtfs_rt_fixes, record_fixes
from api.positions_log import PositionLog

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 10.0
MAX_FEED_BYTES = 4 * 1024 * 1024
ACTOR = "gtfs-rt-poller"


@dataclass
class GtfsRtPoller:
    url: str
    every_s: float
    corridor: Callable[[], Corridor]
    rules: TimeRules
    log: PositionLog
    last_outcome: str = "not polled yet"
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="gtfs-rt-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=FETCH_TIMEOUT_S + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.last_outcome = self.poll_once()
            self._stop.wait(self.every_s)

    def poll_once(self) -> str:
        """Fetch, read and store the feed once; what happened, in one line."""
        try:
            body = fetch(self.url)
            fixes, indices, passed_over = gtfs_rt_fixes(body)
            stored, rejected = record_fixes(
                self.corridor(), self.rules, self.log, fixes, PositionSource.GTFS_RT, ACTOR, indices
            )
        except (OSError, ValueError, InvalidValueError) as error:  # unreachable, HTTP error, not a feed
            logger.warning("GTFS-RT %s: %s", self.url, error)
            return f"failed: {error}"
        for problem in rejected:
            logger.warning("GTFS-RT %s: entity %s", self.url, problem.detail)
        return f"stored {stored}, rejected {len(rejected)}, passed over {passed_over}"


def fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/x-protobuf"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 — the operator's URL
        body = response.read(MAX_FEED_BYTES + 1)
    if len(body) > MAX_FEED_BYTES:
        raise ValueError(f"the feed is larger than {MAX_FEED_BYTES:,} bytes")
    return body
