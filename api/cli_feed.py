"""``fleetplan feed simulate``: the timetable replayed as moving coaches, sent to a service (issue 16 §5)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from fleetplan.calendar import trips_of_day
from fleetplan.corridor import load_corridor
from fleetplan.errors import InvalidValueError
from fleetplan.units import CHINA, china_now

from api.cli_options import Printer, add_data_option, number_option
from api.feeds.simulator import FeedProtocol, HttpSender, Jt808Sender, Replay, Sender, parse_injection

TOKEN_ENV = "FLEETPLAN_FEED_TOKEN"
AUTO_START = "auto"
LOOK_AHEAD = timedelta(days=14)
AFTER_DEPARTURE = timedelta(minutes=10)  # an automatic start this long after the next trip leaves: it is moving


class Stamp(StrEnum):
    REAL = "real"
    SIMULATED = "simulated"


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
        "terminal per coach by its terminal_phone). Fixes carry the real clock's time, or with --stamp "
        "simulated the simulated time, for a drill desk started with FLEETPLAN_CLOCK_FROM and "
        "FLEETPLAN_CLOCK_SPEEDUP equal to --from and --speedup. Ctrl-C stops it.",
    )
    simulate.add_argument(
        "--to", required=True, metavar="URL", help="http(s)://HOST:PORT, or tcp://HOST:PORT for jt808"
    )
    simulate.add_argument("--protocol", choices=[p.value for p in FeedProtocol], default="json")
    simulate.add_argument("--speedup", default="1", metavar="N", help="simulated seconds per real second (default 1)")
    simulate.add_argument(
        "--from",
        dest="start",
        default=AUTO_START,
        metavar="TIME",
        help="simulated start, YYYY-MM-DDTHH:MM (default: now if a coach is on a trip, else a few minutes into the "
        "next trip)",
    )
    simulate.add_argument(
        "--stamp",
        choices=[s.value for s in Stamp],
        default=Stamp.REAL.value,
        help="time on each fix: the real clock (a live desk), or the simulated time (a drill desk; default real)",
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
    simulate.add_argument(
        "--except",
        dest="left_out",
        action="append",
        default=[],
        metavar="COACH",
        help="send no fix for COACH (its own terminal reports: a rescue coach driven in a drill); repeatable",
    )
    simulate.add_argument("--noise", default="5", metavar="M", help="GPS noise, metres (default 5)")
    simulate.add_argument("--seed", default="0", metavar="N", help="seed of the noise (default 0)")
    simulate.add_argument("--token", default=None, help=f"bearer token of role feed (default ${TOKEN_ENV})")
    add_data_option(simulate)
    simulate.set_defaults(handler=run_feed_simulate)
    return parser


REFUSED_TOKEN = ("HTTP 401", "HTTP 403")  # the service's answers to a token it does not take for fixes


def run_feed_simulate(args: argparse.Namespace, out: Printer) -> int:
    protocol = FeedProtocol(args.protocol)
    speedup = number_option(args.speedup, "--speedup", low=0.1, high=10_000)
    every = number_option(args.every, "--every", low=0.05, high=3600)
    ticks = None if args.ticks is None else whole_number(args.ticks, "--ticks", 1, 10**9)
    corridor = load_corridor(args.data)
    stamp = Stamp(args.stamp)
    known = {vehicle.id for vehicle in corridor.dataset.vehicles}
    left_out = set(args.left_out)
    if left_out - known:
        raise InvalidValueError("--except", f"no coach {sorted(left_out - known)[0]!r}")
    replay = Replay(
        corridor,
        noise_m=number_option(args.noise, "--noise", low=0, high=1000),
        seed=whole_number(args.seed, "--seed", 0, 2**31),
        breakdowns=tuple(parse_injection(text) for text in args.inject),
    )
    sender = _sender(args, protocol, corridor)
    start = _start(args.start, corridor, out)  # last: a bad option is refused before anything is said
    began = time.monotonic()
    tick = delivered = 0
    try:
        while ticks is None or tick < ticks:
            simulated = start + timedelta(seconds=(time.monotonic() - began) * speedup)
            fixes = [fix for fix in replay.fixes_at(simulated) if fix.vehicle_id not in left_out]
            try:
                taken = simulated.replace(tzinfo=CHINA) if stamp == Stamp.SIMULATED else datetime.now(UTC)
                outcome = sender.send(fixes, taken)
            except OSError as error:  # the service is down or restarting: say so, try again next tick
                outcome = f"not sent: {getattr(error, 'reason', None) or error}"
            if outcome.startswith(REFUSED_TOKEN):  # no later tick can do better: stop, naming the token
                raise InvalidValueError("--token", f"the service refused it ({outcome.strip()})")
            lost = outcome.startswith(("not sent", "HTTP "))
            delivered += not lost
            out(
                f"{simulated:%Y-%m-%d %H:%M:%S} (simulated): {len(fixes)} fixes {'lost' if lost else 'sent'}; {outcome}"
            )
            tick += 1
            if ticks is None or tick < ticks:
                time.sleep(every)
    except KeyboardInterrupt:
        out("stopped")
    finally:
        sender.close()
    if tick and not delivered:  # every tick failed: a script must not read that as success
        print(f"fleetplan feed simulate: no fix was delivered in {tick} tick(s)", file=sys.stderr)
        return 1
    return 0


def _start(text: str, corridor, out: Printer) -> datetime:
    """``--from``: a time, or (``auto``) now when a coach is on a trip, else a few minutes into the next
    trip, said on the way, so that the coaches move whatever the hour."""
    if text != AUTO_START:
        try:
            return datetime.fromisoformat(text.strip())
        except ValueError:
            raise InvalidValueError("--from", f"{text!r} is not a time YYYY-MM-DDTHH:MM") from None
    now = china_now()
    running = next_running(corridor, now)
    if running is None:
        out(f"no trip runs within {LOOK_AHEAD.days} days of {now:%Y-%m-%d %H:%M}: the coaches stand still")
        return now
    if running > now:
        out(f"no coach is on a trip at {now:%a %Y-%m-%d %H:%M}: replaying from {running:%a %Y-%m-%d %H:%M}")
    return max(now, running)


def next_running(corridor, now: datetime) -> datetime | None:
    """``now`` if a coach is on a trip then, else a few minutes into the next trip (None: none soon)."""
    for day in range(LOOK_AHEAD.days + 1):
        trips = trips_of_day(corridor.dataset, (now + timedelta(days=day)).date())
        if any(t.departure <= now < t.arrival for t in trips):
            return now
        later = [t.departure for t in trips if t.departure > now]
        if later:
            return min(later) + AFTER_DEPARTURE
    return None


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
