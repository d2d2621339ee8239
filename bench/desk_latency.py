"""Report → options latency of the dispatch desk through HTTP on loopback (issue 4, benchmark).

Starts the real service (``fleetplan serve``) on a fresh SQLite database in a temporary directory and
a free 127.0.0.1 port, with the production dispatch deadline (``FLEETPLAN_DISPATCH_TIME_LIMIT_S``,
default 1.0 s). Then, for each client count, that many threads report seeded incidents
(:mod:`bench.incidents`, the same generator as the dispatch benchmarks) for ``--duration`` seconds:
``POST /incidents`` with 3 alternatives, timed from sending the report until its ranked options are
in hand (if the service answered before the options were ready, the client polls the incident and the
wait counts). Each incident is then voided, untimed, so that the broken-down coaches of earlier
reports do not pile up and change later dispatches. The loops are bounded by the duration and by
``MAX_REPORTS_PER_CLIENT``.

Prints Markdown: latency p50/p95/max/mean, completed reports per second, the solver's own time
(``solve_ms`` of the options) to tell queueing from computing, and the CPU time per report of the
service processes and of their dispatch workers (from ``/proc``, Linux only: the reports a second drift
with this machine's speed, the CPU a report costs less so).

With ``--burst N``, N reports near in time are sent at once instead (a pile-up), each first answer
timed, then the wait until every incident holds all the plans it asked for.

Run: ``python -m bench.desk_latency [--clients 1,20] [--duration 60] [--time-limit 1.0]``; with
``--processes 2 --postgres URL`` two service processes share one PostgreSQL database (the supported
way to use more than one core, issue 15) and the clients are spread over them.
Target (a benchmark, not a test): p95 ≤ 500 ms with 20 concurrent clients.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from fleetplan.corridor import load_corridor

from api.settings import Settings

from bench import header, load_average, markdown_table, percentile
from bench.incidents import DEFAULT_SEED, generate_incidents

REPO = Path(__file__).resolve().parents[1]
MAX_REPORTS_PER_CLIENT = 10_000  # the duration ends the loop long before this
POLL_LIMIT = 600  # polls of 0.05 s for options the service stored after answering
START_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 300.0
INCIDENT_POOL = 400
ALTERNATIVES = 3
SOLVER_STATUSES = ("optimal", "feasible", "greedy_fallback", "infeasible")
FULL_OPTIONS_WAIT_S = 60.0  # a burst: how long to wait for every incident's full options
JOINT_WINDOW = timedelta(minutes=Settings().joint_window_min)  # as the service reads it (same environment)


@dataclass
class Sample:
    latency_ms: float
    solve_ms: int | None
    status: int
    solver_status: str | None = None  # optimal, feasible, greedy_fallback, infeasible


@dataclass
class Run:
    clients: int
    wall_s: float
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the service
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def service(
    directory: Path, time_limit_s: float, concurrency: int | None, processes: int = 1, postgres: str | None = None
) -> Iterator[tuple[list[str], str, list[int]]]:
    """``processes`` × ``fleetplan serve`` on one fresh database (SQLite in ``directory``, or a new
    schema of the PostgreSQL server ``postgres``, dropped afterwards); yields (base URLs, admin token,
    the services' process ids)."""
    with _fresh_database(directory, postgres) as database_url:
        env = {
            **os.environ,
            "FLEETPLAN_DISPATCH_TIME_LIMIT_S": str(time_limit_s),
            "FLEETPLAN_VAR_DIR": str(directory / "var"),
        }
        if concurrency is not None:
            env["FLEETPLAN_DISPATCH_CONCURRENCY"] = str(concurrency)
        started: list[subprocess.Popen] = []
        base_urls = []
        try:
            for index in range(processes):  # one after another: the first migrates and writes the token
                port = free_port()
                command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
                log_path = directory / f"service-{index}.log"
                with open(log_path, "w", encoding="utf-8") as log:
                    started.append(
                        subprocess.Popen(
                            [*command, "--db", database_url], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
                        )
                    )
                base_urls.append(f"http://127.0.0.1:{port}")
                _wait_until_up(started[-1], base_urls[-1], log_path)
            token = (directory / "var" / "admin-token").read_text(encoding="utf-8").strip()
            yield base_urls, token, [process.pid for process in started]
        finally:
            for process in started:
                process.send_signal(signal.SIGTERM)
            for process in started:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


@contextmanager
def _fresh_database(directory: Path, postgres: str | None) -> Iterator[str]:
    """An empty records database: SQLite in ``directory``, or a new schema on ``postgres``."""
    if postgres is None:
        yield f"sqlite:///{directory / 'var' / 'fleetplan.db'}"
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = f"bench_{os.getpid()}_{int(time.time())}"
    admin = create_engine(postgres)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            make_url(postgres)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def _wait_until_up(process: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited:\n{log.read_text(encoding='utf-8')}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the service did not start within {START_TIMEOUT_S} s")


# --------------------------------------------------------------------------- CPU time
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (``/proc``; 0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the fork server, the dispatch workers), from ``/proc``."""
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                children = [int(child) for child in task.read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def cpu_of(service_pids: Sequence[int]) -> tuple[float, float]:
    """CPU seconds so far of the service processes and of their descendants (NaN without ``/proc``)."""
    if not Path("/proc/self/stat").exists():
        return float("nan"), float("nan")
    below = [child for pid in service_pids for child in descendants(pid)]
    return sum(map(cpu_seconds, service_pids)), sum(map(cpu_seconds, below))


# --------------------------------------------------------------------------- the load
def report_bodies(count: int, seed: int, alternatives: int = ALTERNATIVES) -> list[dict]:
    """Seeded incidents of the timetable as desk reports, each asking for ``alternatives`` plans."""
    corridor = load_corridor()
    return [
        {
            "vehicle_id": g.incident.vehicle_id,
            "location": g.incident.location,
            "time": g.incident.at.strftime("%Y-%m-%dT%H:%M"),
            "passengers": g.incident.passengers,
            "kind": g.incident.kind.value,
            "alternatives": alternatives,
        }
        for g in generate_incidents(corridor, count, seed)
    ]


def run_clients(base_urls: Sequence[str], token: str, bodies: Sequence[dict], clients: int, duration_s: float) -> Run:
    """``clients`` threads reporting for ``duration_s`` seconds, client k to ``base_urls[k % n]`` (a
    load balancer's round robin); every report timed until its options."""
    lock = threading.Lock()
    next_index = [0]
    # the desk refuses a coach in an open incident reported within its joint window (409: the same
    # breakdown), so a client takes the next report whose coach no other client holds near that time
    in_flight: list[dict] = []
    started = time.monotonic()
    end = started + duration_s
    run = Run(clients, 0.0)

    def next_body() -> dict:
        while True:
            with lock:
                for _ in range(len(bodies)):
                    body = bodies[next_index[0] % len(bodies)]
                    next_index[0] += 1
                    if not any(same_breakdown(body, other) for other in in_flight):
                        in_flight.append(body)
                        return body
            time.sleep(0.01)  # every report's coach held near its time: wait for a client to finish

    def client(base_url: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S) as http:
            for _ in range(MAX_REPORTS_PER_CLIENT):
                if time.monotonic() >= end:
                    return
                body = next_body()
                try:
                    sample, number = timed_report(http, body)
                    if number is not None:  # untimed: keep the fleet as it was for the next reports
                        http.post(f"/incidents/{number}/void", json={"reason": "benchmark"})
                except httpx.HTTPError as error:
                    with lock:
                        run.errors.append(f"{type(error).__name__}: {error}")
                    continue
                finally:
                    with lock:
                        in_flight.remove(body)
                with lock:
                    run.samples.append(sample)

    threads = [threading.Thread(target=client, args=(base_urls[k % len(base_urls)],)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.wall_s = time.monotonic() - started
    return run


def same_breakdown(body: dict, other: dict) -> bool:
    """Whether the desk would take ``body`` for a second report of ``other``'s breakdown (same coach,
    within the default joint window)."""
    apart = abs(datetime.fromisoformat(body["time"]) - datetime.fromisoformat(other["time"]))
    return body["vehicle_id"] == other["vehicle_id"] and apart <= JOINT_WINDOW


def timed_report(http: httpx.Client, body: dict) -> tuple[Sample, int | None]:
    """POST one report and wait for its options; the latency and the incident number (if recorded)."""
    started = time.perf_counter()
    response = http.post("/incidents", json=body)
    if response.status_code != 201:
        return Sample((time.perf_counter() - started) * 1000, None, response.status_code), None
    incident = response.json()
    for _ in range(POLL_LIMIT):
        if incident["options"] is not None:
            break
        time.sleep(0.05)
        incident = http.get(f"/incidents/{incident['number']}").json()
    latency_ms = (time.perf_counter() - started) * 1000
    options = incident["options"]
    return (
        Sample(latency_ms, options["solve_ms"] if options else None, 201, options["status"] if options else None),
        incident["number"],
    )


# --------------------------------------------------------------------------- a burst
def near_in_time(bodies: Sequence[dict], count: int) -> list[dict]:
    """``count`` reports of ``bodies`` a few hours apart at most: every ``len(bodies) // (4 * count)``-th in
    time from a quarter in (the 400 seeded incidents spread over the day; ten next to each other would
    fall within minutes on the same trips, more than the corridor's backups can carry), or the next one
    where that would report a coach a second time within the joint window (the desk refuses it)."""
    ordered = sorted(bodies, key=lambda body: body["time"])
    step = max(1, len(ordered) // (4 * count))
    position = min(len(ordered) // 4, max(0, len(ordered) - count * step))
    chosen: list[dict] = []
    while len(chosen) < count and position < len(ordered):
        body = ordered[position]
        if any(same_breakdown(body, other) for other in chosen):
            position += 1
            continue
        chosen.append(body)
        position += step
    return chosen


def run_burst(base_url: str, token: str, bodies: Sequence[dict]) -> tuple[list[float], float | None, Counter]:
    """Every report of ``bodies`` sent at once, each by its own client: each first answer's latency (ms,
    sorted), the seconds from the burst until every incident holds all the plans it asked for (None if
    not within ``FULL_OPTIONS_WAIT_S``), and the final options' statuses."""
    headers = {"Authorization": f"Bearer {token}"}
    answered: dict[int, float] = {}
    started = time.perf_counter()

    def report(body: dict) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S) as http:
            sample, number = timed_report(http, body)
            if number is not None:
                answered[number] = sample.latency_ms

    threads = [threading.Thread(target=report, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    full_s, statuses = None, Counter()
    with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S) as http:
        while time.perf_counter() - started < FULL_OPTIONS_WAIT_S:
            options = [http.get(f"/incidents/{number}").json()["options"] or {} for number in answered]
            if all(not o.get("more_options_coming") and o.get("plans") is not None for o in options):
                full_s = time.perf_counter() - started
                statuses = Counter(o.get("status") for o in options)
                break
            time.sleep(0.05)
    return sorted(answered.values()), full_s, statuses


def print_burst(args: argparse.Namespace, latencies: list[float], full_s: float | None, statuses: Counter) -> None:
    print(header("Dispatch desk: a burst of reports at once through HTTP (loopback)", load_average()))
    print(
        f"- {args.burst} seeded incidents near in time (seed {args.seed}), {args.alternatives} plan(s) asked per "
        f"report, each reported by its own client at the same moment; dispatch deadline {args.time_limit} s\n"
    )
    print(f"- first answers, ms (sorted): {' '.join(f'{ms:,.0f}' for ms in latencies)}")
    print(f"- reports answered: {len(latencies)} of {args.burst}")
    waited = f"{full_s:.1f} s after the burst" if full_s is not None else f"not within {FULL_OPTIONS_WAIT_S:.0f} s"
    print(f"- every incident holds all its options: {waited}")
    print(f"- final options' statuses: {', '.join(f'{k} {v}' for k, v in sorted(statuses.items())) or '–'}")


# --------------------------------------------------------------------------- report
def summary_row(run: Run, concurrency: str, cpu_s: tuple[float, float]) -> list[object]:
    """One table row; ``cpu_s``: the CPU seconds the services and their workers spent during the run."""
    ok = [s for s in run.samples if s.status == 201 and s.solve_ms is not None]
    latencies = [s.latency_ms for s in ok]
    solves = [float(s.solve_ms) for s in ok]
    other = len(run.samples) - len(ok)
    statuses = Counter(s.solver_status for s in ok)
    return [
        run.clients,
        concurrency,
        round(run.wall_s, 1),
        len(ok),
        other + len(run.errors),
        percentile(latencies, 50),
        percentile(latencies, 95),
        max(latencies, default=float("nan")),
        sum(latencies) / len(latencies) if latencies else float("nan"),
        f"{len(ok) / run.wall_s:.2f}" if run.wall_s else "–",
        percentile(solves, 50),
        percentile(solves, 95),
        " / ".join(str(statuses[name]) for name in SOLVER_STATUSES),
        *(1000 * seconds / len(ok) if ok else float("nan") for seconds in cpu_s),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.desk_latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,20", help="comma-separated client counts (default %(default)s)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per client count (default 60)")
    parser.add_argument("--time-limit", type=float, default=1.0, help="dispatch deadline, s (default 1.0)")
    parser.add_argument(
        "--concurrency",
        default="default",
        help="comma-separated FLEETPLAN_DISPATCH_CONCURRENCY values to compare; 'default' = the "
        "service's default (usable cores)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--alternatives",
        type=int,
        default=ALTERNATIVES,
        help="plans each report asks for (default %(default)s; 1: the best plan only)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="service processes on one database, the clients spread over them (default 1; more than one "
        "needs --postgres)",
    )
    parser.add_argument(
        "--postgres",
        default=None,
        help="a PostgreSQL URL (e.g. $FLEETPLAN_TEST_POSTGRES_URL); the run uses a new schema of it, dropped "
        "afterwards (default: SQLite in a temporary directory)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=None,
        help="instead of clients reporting for --duration: this many reports near in time sent at once, each "
        "first answer timed, then the wait until every incident holds all its options",
    )
    args = parser.parse_args(argv)
    if args.burst is not None and not 1 <= args.burst <= INCIDENT_POOL // 2:
        parser.error(f"--burst must be between 1 and {INCIDENT_POOL // 2}")
    if not 1 <= args.alternatives <= 5:
        parser.error("--alternatives must be between 1 and 5 (what a report may ask)")
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.processes > 1 and args.postgres is None:
        parser.error("--processes above 1 needs --postgres (SQLite takes one service process)")
    counts = [int(part) for part in args.clients.split(",") if part.strip()]
    limits = [None if part.strip() == "default" else int(part) for part in args.concurrency.split(",")]

    load_at_start = load_average()
    bodies = report_bodies(INCIDENT_POOL, args.seed, args.alternatives)
    if args.burst is not None:
        with tempfile.TemporaryDirectory(prefix="desk-burst-") as directory:
            with service(Path(directory), args.time_limit, None) as (urls, token, _pids):
                print_burst(args, *run_burst(urls[0], token, near_in_time(bodies, args.burst)))
        return 0
    rows = []
    for limit in limits:
        with tempfile.TemporaryDirectory(prefix="desk-latency-") as directory:
            with service(Path(directory), args.time_limit, limit, args.processes, args.postgres) as (urls, token, pids):
                for clients in counts:
                    before = cpu_of(pids)
                    run = run_clients(urls, token, bodies, clients, args.duration)
                    spent = tuple(after - then for after, then in zip(cpu_of(pids), before))
                    label = str(limit) if limit else f"{len(os.sched_getaffinity(0))} (default)"
                    rows.append(summary_row(run, label, spent))
    print(header("Dispatch desk: report → options through HTTP (loopback)", load_at_start))
    print(
        f"- service: {args.processes} × `fleetplan serve` on "
        f"{'PostgreSQL' if args.postgres else 'SQLite (WAL)'}, dispatch deadline {args.time_limit} s, "
        f"{args.alternatives} plan(s) asked per report; {INCIDENT_POOL} seeded incidents (seed {args.seed}), each voided after "
        f"its options arrive; 'solves at once' is FLEETPLAN_DISPATCH_CONCURRENCY; dispatch worker processes per "
        f"service: {os.environ.get('FLEETPLAN_DISPATCH_PROCESSES', 'the default')} (FLEETPLAN_DISPATCH_PROCESSES)\n"
    )
    print(
        markdown_table(
            [
                "clients",
                "solves at once",
                "wall s",
                "reports",
                "errors",
                "p50 ms",
                "p95 ms",
                "max ms",
                "mean ms",
                "reports/s",
                "solve p50 ms",
                "solve p95 ms",
                "optimal / feasible / greedy / infeasible",
                "service CPU ms/report",
                "workers CPU ms/report",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
