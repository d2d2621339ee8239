"""``fleetplan feed simulate``: the timetable replayed as moving coaches, sent to a service (issue 16 §5)."""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from fleetplan.corridor import load_corridor
from fleetplan.errors import InvalidValueError

from api.cli_options import Printer, add_data_option, number_option
from api.feeds.simulator import FeedProtocol, HttpSender, Jt808Sender, Replay, Sender, parse_injection

TOKEN_ENV = "FLEETPLAN_FEED_TOKEN"


def add_feed_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``fleetplan feed simulate --to URL --protocol json|gtfs-rt|jt808 --speedup N …``."""
    parser = subparsers.add_parser("feed", help="positioning feeds")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    simulate = actions.add_parser(
        "simulate",
        help="replay the timetable as moving coaches and send their fixes to a service",
        description="Replay the timetable from --from at --speedup times the clock, with GPS noise, and send "
        "every coach's fix each --every seconds to the service at --to: JSON or GTFS-Realtime over HTTP "
        f"(a token of role feed: --token or ${TOKEN_ENV}), or JT/T 808 over TCP (tcp://HOST:PORT, one "
        "terminal per coach by its terminal_phone). Fixes carry the real clock's time. Ctrl-C stops it.",
    )
    simulate.add_argument(
        "--to", required=True, metavar="URL", help="http(s)://HOST:PORT, or tcp://HOST:PORT for jt808"
    )
    simulate.add_argument("--protocol", choices=[p.value for p in FeedProtocol], default="json")
    simulate.add_argument("--speedup", default="1", metavar="N", help="simulated seconds per real second (default 1)")
    simulate.add_argument(
        "--from",
        dest="start",
        default="2026-12-07T07:00",
        metavar="TIME",
        help="simulated start, a time of the timetable (default %(default)s)",
    )
    simulate.add_argument("--every", default="5", metavar="S", help="real seconds between fixes (default 5)")
    simulate.add_argument("--ticks", default=None, metavar="K", help="stop after K rounds of fixes (default: run on)")
    simulate.add_argument(
        "--inject",
        action="append",
        default=[],
        metavar="breakdown:COACH@TIME",
        help="from TIME (simulated) the coach stands still where it is; repeatable",
    )
    simulate.add_argument("--noise", default="5", metavar="M", help="GPS noise, metres (default 5)")
    simulate.add_argument("--seed", default="0", metavar="N", help="seed of the noise (default 0)")
    simulate.add_argument("--token", default=None, help=f"bearer token of role feed (default ${TOKEN_ENV})")
    add_data_option(simulate)
    simulate.set_defaults(handler=run_feed_simulate)
    return parser


def run_feed_simulate(args: argparse.Namespace, out: Printer) -> int:
    protocol = FeedProtocol(args.protocol)
    speedup = number_option(args.speedup, "--speedup", low=0.1, high=10_000)
    every = number_option(args.every, "--every", low=0.05, high=3600)
    ticks = None if args.ticks is None else whole_number(args.ticks, "--ticks", 1, 10**9)
    try:
        start = datetime.fromisoformat(args.start)
    except ValueError:
        raise InvalidValueError("--from", f"{args.start!r} is not a time YYYY-MM-DDTHH:MM") from None
    corridor = load_corridor(args.data)
    replay = Replay(
        corridor,
        noise_m=number_option(args.noise, "--noise", low=0, high=1000),
        seed=whole_number(args.seed, "--seed", 0, 2**31),
        breakdowns=tuple(parse_injection(text) for text in args.inject),
    )
    sender = _sender(args, protocol, corridor)
    began = time.monotonic()
    tick = 0
    try:
        while ticks is None or tick < ticks:
            simulated = start + timedelta(seconds=(time.monotonic() - began) * speedup)
            fixes = replay.fixes_at(simulated)
            try:
                outcome = sender.send(fixes, datetime.now(UTC))
            except OSError as error:  # the service is down or restarting: say so, try again next tick
                outcome = f"not sent: {getattr(error, 'reason', None) or error}"
            out(f"{simulated:%Y-%m-%d %H:%M:%S} (simulated): {len(fixes)} fixes sent; {outcome}")
            tick += 1
            if ticks is None or tick < ticks:
                time.sleep(every)
    except KeyboardInterrupt:
        out("stopped")
    finally:
        sender.close()
    return 0


def whole_number(text: str, option: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InvalidValueError(option, f"{text!r} is not a whole number") from None
    if not low <= value <= high:
        raise InvalidValueError(option, f"{value} is outside {low}–{high}")
    return value


def _sender(args: argparse.Namespace, protocol: FeedProtocol, corridor) -> Sender:
    where = urlsplit(args.to)
    if protocol == FeedProtocol.JT808:
        if where.scheme != "tcp" or not where.hostname or not where.port:
            raise InvalidValueError("--to", f"{args.to!r}: jt808 needs tcp://HOST:PORT")
        phones = {v.id: v.terminal_phone for v in corridor.dataset.vehicles if v.terminal_phone}
        if not phones:
            raise InvalidValueError("--protocol", "no coach of the data has a terminal_phone for jt808")
        return Jt808Sender(where.hostname, where.port, phones)
    if where.scheme not in ("http", "https") or not where.hostname:
        raise InvalidValueError("--to", f"{args.to!r}: {protocol.value} needs http(s)://HOST:PORT")
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        raise InvalidValueError("--token", f"give a token of role feed (--token or ${TOKEN_ENV})")
    return HttpSender(args.to, token, protocol)
