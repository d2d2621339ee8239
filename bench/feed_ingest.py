"""Positions in at scale (issue 16): a real ``fleetplan serve`` fed at a fixed rate through each door.

For each door — ``POST /positions`` (JSON), ``POST /positions/gtfs-rt`` (a GTFS-Realtime FeedMessage)
and the JT/T 808 gateway (one TCP connection per terminal) — fixes are sent at ``--rate`` per second
for ``--seconds`` to a service on SQLite (or ``--database-url``) with detection on as in production.
The fleet is the default data's plus ``--coaches`` generated coaches (a terminal phone each), every
one reporting in turn. Measured:

- **rate**: fixes the service stored (counted in its database) per second of the run;
- **visible**: for a sampled fix every half second, the time from sending it to the first
  ``GET /positions?vehicle_id=…`` that returns it (polled every 50 ms): an upper bound of receipt →
  visible, the request's own transfer included;
- **memory**: the service's resident set at the start, its maximum and at the end;
- **load**: the generator's own CPU seconds (it shares the two cores with the service).

``--connections`` JT/T 808 terminals register, authenticate and report together (500 by default);
acknowledgements that are not ``success`` are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select

from fleetplan.corridor import default_data_dir
from fleetplan.units import CHINA

from api.feeds import jt808
from api.records.schema import positions

from bench import header, load_average, markdown_table, percentile

ON_G1 = (43.4917, 124.8428)  # G1 near K56.7; each coach is put a little apart along it
BATCH = 100  # fixes per HTTP request
POLL_S = 0.05
SAMPLE_EVERY_S = 0.5
START_TIMEOUT_S = 120


# --------------------------------------------------------------------------- the fleet
def fleet_dir(coaches: int, into: Path) -> tuple[Path, list[tuple[str, str]]]:
    """A copy of the default data with ``coaches`` more coaches; (directory, [(coach id, terminal phone)])."""
    data = into / "data"
    shutil.copytree(default_data_dir(), data)
    path = data / "vehicles.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header_row, template = rows[0], next(r for r in rows[1:] if r and not r[0].startswith("#"))
    columns = {name: index for index, name in enumerate(header_row)}
    fleet = [(r[columns["id"]], r[columns["terminal_phone"]]) for r in rows[1:] if r and not r[0].startswith("#")]
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for n in range(coaches):
            row = list(template)
            coach, phone = f"g{n:05d}", f"1390{n:08d}"
            row[columns["id"]], row[columns["plate"]] = coach, f"吉B·G{n:05d}"
            row[columns["terminal_phone"]], row[columns["status"]] = phone, "in_service"
            row[columns["note"]] = "generated for the ingest benchmark"
            writer.writerow(row)
            fleet.append((coach, phone))
    return data, fleet


# --------------------------------------------------------------------------- the service
@dataclass
class Service:
    process: subprocess.Popen
    base_url: str
    jt808_port: int
    database_url: str
    feed_token: str
    viewer_token: str
    rss_kib: list[int] = field(default_factory=list)

    def rss(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(data: Path, state: Path, database_url: str | None) -> Service:
    url = database_url or f"sqlite:///{state / 'ingest.db'}"
    env = {**os.environ, "FLEETPLAN_VAR_DIR": str(state / "var"), "FLEETPLAN_DATA": str(data)}

    def cli(*argv: str) -> str:
        done = subprocess.run([sys.executable, "-m", "api.cli", *argv], capture_output=True, text=True, env=env)
        if done.returncode:
            raise SystemExit(done.stderr)
        return done.stdout.strip()

    feed = cli("users", "add", f"feed{random.randrange(10**6)}", "--role", "feed", "--db", url, "--create")
    viewer = cli("users", "add", f"viewer{random.randrange(10**6)}", "--role", "viewer", "--db", url)
    port, gateway = free_port(), free_port()
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--db", url, "--data", str(data), "--jt808-port", str(gateway)]
    log = (state / "serve.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    service = Service(process, f"http://127.0.0.1:{port}", gateway, url, feed, viewer)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:  # bounded: the start timeout
        try:
            if httpx.get(f"{service.base_url}/health", timeout=2).status_code == 200:
                return service
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the service did not start; see {state / 'serve.log'}")


def stored(service: Service) -> int:
    engine = create_engine(service.database_url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(positions)).scalar_one()
    engine.dispose()
    return int(count)


# --------------------------------------------------------------------------- fixes
def where(index: int) -> tuple[float, float]:
    lat, lon = ON_G1
    return round(lat + (index % 400) * 0.0004, 6), round(lon + (index % 400) * 0.0004, 6)


def json_body(coaches: list[str], start: int, now: datetime) -> list[dict]:
    stamp = now.isoformat(timespec="seconds")
    return [
        {"vehicle_id": coach, "lat": where(start + k)[0], "lon": where(start + k)[1], "at": stamp, "speed_kmh": 80.0}
        for k, coach in enumerate(coaches)
    ]


def gtfs_body(coaches: list[str], start: int, now: datetime) -> bytes:
    from google.transit import gtfs_realtime_pb2

    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.timestamp = int(now.timestamp())
    for k, coach in enumerate(coaches):
        entity = feed.entity.add(id=coach)
        entity.vehicle.vehicle.id = coach
        entity.vehicle.position.latitude, entity.vehicle.position.longitude = where(start + k)
        entity.vehicle.position.speed = 22.0
        entity.vehicle.timestamp = int(now.timestamp())
    return feed.SerializeToString()


def china_stamp(now: datetime) -> str:
    """``now`` as ``GET /positions`` writes a fix's time: China local, to the second."""
    return now.astimezone(CHINA).replace(tzinfo=None).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- the run
@dataclass
class Outcome:
    door: str
    sent: int = 0
    refused: int = 0
    stored: int = 0
    seconds: float = 0.0
    visible_s: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    cpu_s: float = 0.0
    note: str = ""


class Sampler:
    """Times sampled fixes from sending to visible in ``GET /positions``: one poller asks for every
    sample still waiting in one request, so that measuring does not load the service much."""

    def __init__(self, service: Service, outcome: Outcome) -> None:
        self.client = httpx.AsyncClient(base_url=service.base_url, timeout=30)
        self.headers = {"Authorization": f"Bearer {service.viewer_token}"}
        self.outcome = outcome
        self.waiting: dict[str, tuple[str, float]] = {}  # coach → (its sampled fix's time, sent at)
        self.next_at = 0.0
        self.done = False
        self.task = asyncio.create_task(self._poll())

    def maybe_sample(self, coach: str, stamp: str, sent_at: float) -> None:
        if sent_at >= self.next_at and coach not in self.waiting:
            self.next_at = sent_at + SAMPLE_EVERY_S
            self.waiting[coach] = (stamp, sent_at)

    async def close(self) -> None:
        deadline = time.monotonic() + 30
        while self.waiting and time.monotonic() < deadline:  # bounded: the last samples get 30 s
            await asyncio.sleep(POLL_S)
        self.done = True
        await self.task
        self.outcome.visible_s += [float("inf")] * len(self.waiting)
        await self.client.aclose()

    async def _poll(self) -> None:
        while not self.done:
            if self.waiting:
                params = [("vehicle_id", coach) for coach in self.waiting]
                rows = (await self.client.get("/positions", params=params, headers=self.headers)).json()
                seen_at = time.monotonic()
                for row in rows:
                    stamp, sent_at = self.waiting.get(row["vehicle_id"], ("~", 0.0))
                    if row["at"] >= stamp:
                        self.outcome.visible_s.append(seen_at - sent_at)
                        del self.waiting[row["vehicle_id"]]
            await asyncio.sleep(POLL_S)


async def http_door(service: Service, door: str, fleet: list[str], rate: float, seconds: float, out: Outcome) -> None:
    sampler = Sampler(service, out)
    path = "/positions" if door == "json" else "/positions/gtfs-rt"
    headers = {"Authorization": f"Bearer {service.feed_token}"}
    if door == "gtfs-rt":
        headers["Content-Type"] = "application/x-protobuf"
    interval = BATCH / rate
    async with httpx.AsyncClient(base_url=service.base_url, timeout=60) as client:
        began, cursor, pending = time.monotonic(), 0, set()
        tick = 0
        while time.monotonic() - began < seconds:
            due = began + tick * interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            coaches = [fleet[(cursor + k) % len(fleet)] for k in range(BATCH)]
            now = datetime.now(UTC)
            if door == "json":
                request = client.post(path, json=json_body(coaches, cursor, now), headers=headers)
            else:
                request = client.post(path, content=gtfs_body(coaches, cursor, now), headers=headers)
            sent_at = time.monotonic()
            task = asyncio.create_task(_count(request, out, len(coaches)))
            pending.add(task)
            task.add_done_callback(pending.discard)
            sampler.maybe_sample(coaches[-1], china_stamp(now), sent_at)
            cursor, tick = cursor + BATCH, tick + 1
            out.sent += len(coaches)
        await asyncio.gather(*pending)
        out.seconds = time.monotonic() - began
    await sampler.close()


async def _count(request, out: Outcome, count: int) -> None:
    response = await request
    if response.status_code != 200:
        out.refused += count
        out.note = f"HTTP {response.status_code}: {response.text[:120]}"
    else:
        out.refused += len(response.json()["rejected"])


@dataclass
class Terminal:
    phone: str
    coach: str
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    buffer: bytearray = field(default_factory=bytearray)
    serial: int = 0

    async def ask(self, message_id: int, body: bytes) -> jt808.Message:
        self.serial = (self.serial + 1) & 0xFFFF
        header = jt808.Header(message_id, self.phone.rjust(12, "0"), self.serial)
        self.writer.write(jt808.encode(jt808.Message(header, body)))
        await self.writer.drain()
        while not (frames := jt808.split_frames(self.buffer)):
            chunk = await self.reader.read(4096)
            if not chunk:
                raise ConnectionError("the gateway closed the connection")
            self.buffer += chunk
        return jt808.decode(frames[0])


async def connect(service: Service, coach: str, phone: str) -> Terminal:
    reader, writer = await asyncio.open_connection("127.0.0.1", service.jt808_port)
    terminal = Terminal(phone, coach, reader, writer)
    registration = jt808.Registration(22, 0, "FPBEN", "ingest-bench", coach[:7], 1, coach)
    answer = await terminal.ask(jt808.MessageId.REGISTER, jt808.encode_registration(registration, 2013))
    _, outcome, code = jt808.decode_register_response(answer.body)
    if outcome != jt808.RegisterResult.SUCCESS:
        raise ConnectionError(f"{coach}: registration refused ({outcome.name})")
    answer = await terminal.ask(jt808.MessageId.AUTHENTICATE, code.encode("gbk"))
    if jt808.decode_general_response(answer.body)[2] != jt808.Result.SUCCESS:
        raise ConnectionError(f"{coach}: authentication refused")
    return terminal


async def jt808_door(
    service: Service, fleet: list[tuple[str, str]], rate: float, seconds: float, connections: int, out: Outcome
) -> None:
    chosen = fleet[-connections:]
    terminals = await asyncio.gather(*(connect(service, coach, phone) for coach, phone in chosen))
    sampler = Sampler(service, out)
    interval = connections / rate  # each terminal reports this often

    async def report(terminal: Terminal, offset: float, began: float) -> None:
        tick = 0
        while time.monotonic() - began < seconds:
            await asyncio.sleep(max(0.0, began + offset + tick * interval - time.monotonic()))
            now = datetime.now(UTC)
            lat, lon = where(tick)
            location = jt808.Location(
                0, jt808.STATUS_POSITIONED, lat, lon, 0, 80.0, 41, now.astimezone(jt808.BEIJING).replace(microsecond=0)
            )
            sent_at = time.monotonic()
            answer = await terminal.ask(jt808.MessageId.LOCATION, jt808.encode_location(location))
            out.sent += 1
            if jt808.decode_general_response(answer.body)[2] != jt808.Result.SUCCESS:
                out.refused += 1
            sampler.maybe_sample(terminal.coach, china_stamp(now), sent_at)
            tick += 1

    began = time.monotonic()
    await asyncio.gather(*(report(t, k * interval / len(terminals), began) for k, t in enumerate(terminals)))
    out.seconds = time.monotonic() - began
    await sampler.close()
    for terminal in terminals:
        terminal.writer.close()


async def watch_memory(service: Service, out: Outcome, stop: asyncio.Event) -> None:
    while not stop.is_set():
        out.rss_kib.append(service.rss())
        try:
            await asyncio.wait_for(stop.wait(), timeout=2.0)
        except TimeoutError:
            pass
    out.rss_kib.append(service.rss())


async def run_door(service: Service, door: str, fleet, args) -> Outcome:
    out = Outcome(door)
    before = stored(service)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    stop = asyncio.Event()
    memory = asyncio.create_task(watch_memory(service, out, stop))
    if door == "jt808":
        await jt808_door(service, fleet, args.rate, args.seconds, args.connections, out)
    else:
        await http_door(service, door, [coach for coach, _ in fleet], args.rate, args.seconds, out)
    stop.set()
    await memory
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    out.cpu_s = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    out.stored = stored(service) - before
    return out


def report_rows(outcomes: list[Outcome]) -> list[list[object]]:
    rows = []
    for o in outcomes:
        seen = [s for s in o.visible_s if s != float("inf")]
        rows.append(
            [
                o.door,
                o.sent,
                o.stored,
                o.refused,
                round(o.stored / o.seconds) if o.seconds else 0,
                len(o.visible_s),
                round(percentile(seen, 50) * 1000) if seen else "–",
                round(percentile(seen, 95) * 1000) if seen else "–",
                round(max(seen) * 1000) if seen else "–",
                len(o.visible_s) - len(seen),
                f"{o.rss_kib[0] // 1024} / {max(o.rss_kib) // 1024} / {o.rss_kib[-1] // 1024}" if o.rss_kib else "–",
                f"{o.cpu_s:.0f} s ({o.cpu_s / o.seconds:.0%})" if o.seconds else "–",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doors", default="json,gtfs-rt,jt808", help="comma-separated: json, gtfs-rt, jt808")
    parser.add_argument("--rate", type=float, default=2000.0, help="fixes per second (default 2000)")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds per door (default 60)")
    parser.add_argument("--coaches", type=int, default=10_000, help="generated coaches (default 10000)")
    parser.add_argument("--connections", type=int, default=500, help="JT/T 808 terminals at once (default 500)")
    parser.add_argument("--database-url", default=None, help="records database (default a new SQLite file)")
    args = parser.parse_args(argv)
    load_at_start = load_average()
    with tempfile.TemporaryDirectory(prefix="fleetplan-ingest-") as temporary:
        state = Path(temporary)
        data, fleet = fleet_dir(args.coaches, state)
        service = start_service(data, state, args.database_url)
        try:
            outcomes = [asyncio.run(run_door(service, door.strip(), fleet, args)) for door in args.doors.split(",")]
        finally:
            service.process.terminate()
            service.process.wait(timeout=30)
    print(header("Positions in: 2,000 fixes a second through each door (issue 16)", load_at_start))
    print(
        f"\n{len(fleet)} coaches ({args.coaches} generated), {args.rate:g} fixes/s for {args.seconds:g} s per door, "
        f"HTTP batches of {BATCH}, {args.connections} JT/T 808 terminals; detection on (every 10 s).\n"
    )
    headings = [
        "door",
        "sent",
        "stored",
        "refused",
        "stored/s",
        "samples",
        "visible p50 ms",
        "visible p95 ms",
        "visible max ms",
        "not seen in 30 s",
        "service RSS MiB start / max / end",
        "generator CPU",
    ]
    print(markdown_table(headings, report_rows(outcomes)))
    notes = [o.note for o in outcomes if o.note]
    if notes:
        print("\n" + "\n".join(f"- {note}" for note in notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
