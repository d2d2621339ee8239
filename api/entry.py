"""The ``fleetplan`` console script: Ctrl-C while the command line loads (its imports take a second
or two) ends it quietly, as Ctrl-C later does (:func:`api.cli.main`), not with an import traceback."""

from __future__ import annotations

import signal
from types import FrameType

EXIT_INTERRUPTED = 130


def main() -> int:
    signal.signal(signal.SIGINT, _stop_quietly)
    from api.cli import main as cli_main  # noqa: PLC0415 - imported once the handler is in place, on purpose

    signal.signal(signal.SIGINT, signal.default_int_handler)
    return cli_main()


def _stop_quietly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(EXIT_INTERRUPTED)
