"""From a pushed position to the marker moved on the desk's map (issue 17): a real ``fleetplan serve`` and
Debian's Chromium showing the desk, with ``--coaches`` coaches (26 by default, the default fleet) each
reporting every ``--every`` seconds through ``POST /positions`` for ``--seconds``.

For every fix, the time from just before its POST to the moment the desk's marker of that coach carries
the fix (a MutationObserver on the markers' ``data-at``, in the page) — the whole path: the request,
the store, the service's watcher, the event stream, the page's drawing. The peer, in the same page and
the same run, is the desk as it was before the push: ``GET /positions`` polled every ``--poll`` seconds
(the old desk polled every 4 s), measured as the first poll that returns the fix. Both clocks are the
machine's own.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from fleetplan.units import china_now

from bench import header, load_average, markdown_table, percentile

START_TIMEOUT_S = 120
CHROMIUM = "/usr/bin/chromium"
ON_G1 = (43.4917, 124.8428)  # K56.7; the coaches drive north-east from here, a little apart
OBSERVER = """
(pollMs) => {
  window.__pushed = [];
  window.__polled = new Map();
  new MutationObserver((records) => {
    const now = Date.now();
    for (const r of records) {
      if (r.attributeName === 'data-at') window.__pushed.push([r.target.dataset.vehicle, r.target.dataset.at, now]);
    }
  }).observe(document.querySelector('#map'), { subtree: true, attributes: true, attributeFilter: ['data-at'] });
  const token = sessionStorage.getItem('fleetplan.token');
  setInterval(async () => {
    const rows = await fetch('/positions', { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.json());
    const now = Date.now();
    for (const row of rows) {
      const key = `${row.vehicle_id}|${row.at}`;
      if (!window.__polled.has(key)) window.__polled.set(key, now);
    }
  }, pollMs);
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fleetplan(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, check=True, **kwargs
    )


def add_user(database_url: str, name: str, role: str) -> str:
    return fleetplan("users", "add", name, "--role", role, "--db", database_url).stdout.strip().split()[-1]


def start_service(workdir: Path) -> tuple[subprocess.Popen, str, str]:
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    port = free_port()
    env = {**os.environ, "FLEETPLAN_VAR_DIR": str(workdir / "var"), "FLEETPLAN_DETECT_EVERY_S": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--db", database_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:  # bounded by START_TIMEOUT_S
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return process, base, database_url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("the service did not start")


def fix(vehicle_id: str, index: int, step: int) -> dict:
    """Coach ``index`` at its ``step``-th fix: a little apart from the others, moving north-east."""
    lat, lon = ON_G1
    d = 0.002 * index + 0.0005 * step
    return {
        "vehicle_id": vehicle_id,
        "lat": round(lat + d * 0.74, 6),
        "lon": round(lon + d, 6),
        "at": (china_now() - timedelta(seconds=1)).replace(microsecond=0).isoformat(),
        "speed_kmh": 80,
        "heading_deg": 41,
    }


def feed(base: str, token: str, coaches: list[str], every_s: float, seconds: float) -> dict[tuple[str, str], float]:
    """Each coach's fix every ``every_s`` seconds, the coaches spread evenly over the interval; send times."""
    sent: dict[tuple[str, str], float] = {}
    gap = every_s / len(coaches)
    start = time.monotonic()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        tick = 0
        while time.monotonic() - start < seconds:  # bounded by --seconds
            index = tick % len(coaches)
            due = start + tick * gap
            time.sleep(max(0.0, due - time.monotonic()))
            body = fix(coaches[index], index, tick // len(coaches))
            key = (body["vehicle_id"], body["at"])
            if key not in sent:  # one fix per coach per second: a repeat would be the same fix
                sent[key] = time.time() * 1000
                client.post("/positions", json=[body]).raise_for_status()
            tick += 1
    return sent


def latencies(sent: dict[tuple[str, str], float], seen: dict[tuple[str, str], float]) -> list[float]:
    return [seen[key] - at for key, at in sent.items() if key in seen]


def row(name: str, sent: dict, values: list[float]) -> list:
    if not values:
        return [name, len(sent), 0, "–", "–", "–"]
    return [
        name,
        len(sent),
        len(values),
        round(percentile(values, 50)),
        round(percentile(values, 95)),
        round(max(values)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coaches", type=int, default=26, help="coaches reporting (default 26, the default fleet)")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a coach's fixes (default 5)")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long they report (default 120)")
    parser.add_argument("--poll", type=float, default=4.0, help="the polling peer's interval, seconds (default 4)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    load_at_start = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        process, base, database_url = start_service(Path(tmp))
        try:
            desk_token = add_user(database_url, "bench-desk", "dispatcher")
            feed_token = add_user(database_url, "bench-feed", "feed")
            fleet = httpx.get(f"{base}/fleet", headers={"Authorization": f"Bearer {desk_token}"}).json()
            coaches = [vehicle["id"] for vehicle in fleet][: args.coaches]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.goto(base + "/")
                page.fill("#token", desk_token)
                page.press("#token", "Enter")
                page.wait_for_function("() => document.querySelector('#conn').textContent.includes('●')")
                page.evaluate(OBSERVER, int(args.poll * 1000))
                sent = feed(base, feed_token, coaches, args.every, args.seconds)
                time.sleep(args.poll + 1)  # the last fixes' time to show
                pushed: dict[tuple[str, str], float] = {}
                for vehicle, at, shown_at in page.evaluate("window.__pushed"):
                    pushed.setdefault((vehicle, at), shown_at)  # the first time the marker carried the fix
                polled = {tuple(key.split("|")): t for key, t in page.evaluate("[...window.__polled]")}
                browser.close()
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    push, poll = latencies(sent, pushed), latencies(sent, polled)
    print(header("Desk: a pushed position to the marker moved on the map (issue 17)", load_at_start))
    print(
        f"\n{len(coaches)} coaches, a fix each every {args.every:g} s for {args.seconds:g} s through POST /positions; "
        f"Chromium shows the desk at 1366×768. Milliseconds from before the POST to the fix on screen.\n"
    )
    print(
        markdown_table(
            ["desk", "fixes sent", "seen", "p50 ms", "p95 ms", "max ms"],
            [row("pushed (server-sent events)", sent, push), row(f"polled every {args.poll:g} s (peer)", sent, poll)],
        )
    )
    if push and poll:
        print(f"\np95 ratio, polled / pushed: {percentile(poll, 95) / percentile(push, 95):.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
