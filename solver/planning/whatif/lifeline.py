"""Worker processes that end with the process that owns their pool, even when it is killed with SIGKILL.

A ``concurrent.futures`` worker started through the ``forkserver`` outlives a killed owner: it waits for
work on a queue whose write end it holds itself, so it never sees end-of-file, and the fork server stays
alive as long as a worker holds its liveness pipe. ``PR_SET_PDEATHSIG`` does not help either: the
worker's parent is the fork server, not the owner. So each worker watches the owner itself: a daemon
thread blocks on a pidfd of the owner (Linux ≥ 5.3; it names that process, not a reusable number) —
or, elsewhere, checks every :data:`POLL_INTERVAL_S` that the owner's pid still exists — and ends the
worker at once when the owner is gone. The fork server and the resource tracker then see end-of-file and leave too.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable

POLL_INTERVAL_S = 1.0  # without pidfds: how often a worker checks that its owner lives
EXIT_STATUS = 70  # os.EX_SOFTWARE: the worker did not finish its work


def exit_with(owner_pid: int) -> None:
    """End this process as soon as process ``owner_pid`` ends (call it in a pool worker's initializer).

    Parameters
    ----------
    owner_pid
        The process that owns the pool (``os.getpid()`` where the pool is made).
    """
    if owner_pid == os.getpid():  # not in a worker (the local engine calls the initializer in-process)
        return
    watch: Callable[[int], None]
    try:
        pidfd = os.pidfd_open(owner_pid)
    except ProcessLookupError:  # the owner died before this worker got here
        os._exit(EXIT_STATUS)
    except (AttributeError, OSError):  # no pidfds: not Linux, or a kernel before 5.3
        watch = _poll_owner
        argument = owner_pid
    else:
        watch = _wait_for_pidfd
        argument = pidfd
    threading.Thread(target=watch, args=(argument,), name="exit-with-owner", daemon=True).start()


def _wait_for_pidfd(pidfd: int) -> None:
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)  # readable once the process has ended
    while not poller.poll():  # poll() without a timeout returns only with an event
        pass
    _exit()


def _poll_owner(owner_pid: int) -> None:
    stopped = threading.Event()  # never set: its wait() is an interruptible sleep
    while _alive(owner_pid):
        stopped.wait(POLL_INTERVAL_S)
    _exit()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: the pid was reused, so the owner is gone
        return False
    return True


def _exit() -> None:
    # os._exit, not sys.exit: the main thread may be deep in a replication, and nobody is left to
    # receive its result or to run the pool's orderly shutdown
    os._exit(EXIT_STATUS)
