"""The cyclic garbage collector paused while a build runs.

A build allocates tens of thousands of small, short-lived, acyclic objects (timings, options,
rejections) and keeps most of them. Each allocation burst makes CPython's collector walk every young
object again, to find cycles there are none of: on the 1,000-coach benchmark about a tenth of the
build (docs/benchmarks.md, stop 36). Reference counting still frees everything the build drops; the
collector runs again as soon as the last build that paused it ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0  # builds running now that found the collector enabled or paused by another build
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
