"""The cyclic garbage collector paused while a build or a solve runs.

A build allocates tens of thousands of small, short-lived, acyclic objects (timings, options,
rejections) and keeps most of them; a solve makes as many again (model expressions, plans). Each
allocation burst makes CPython's collector walk every young object again, to find cycles there are
none of, and now and then every object of the process: on the 1,000-coach benchmark about a tenth of
the build (docs/benchmarks.md, stop 36) and 0.1-0.3 s of the solve (stop 40). Reference counting
still frees everything they drop; the collector runs again as soon as the last pause ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0  # pauses running now (builds, solves), nested or in other threads
_paused_by_us = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (or the decorated function: each call pauses anew);
    thread-safe and nestable. A collector someone else disabled stays disabled."""
    global _pausing, _paused_by_us
    with _lock:
        if _pausing == 0:
            _paused_by_us = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _paused_by_us:
                _paused_by_us = False
                gc.enable()
