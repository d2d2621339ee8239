"""Dispatch benchmarks (issue 3): latency, decision quality, large fleet.

Run them as modules from the repository root (see ``bench/README.md``); each prints Markdown tables
with the machine and the command. This package also holds the small reporting helpers they share.
Benchmarks are measurements, never timed assertions: ``tests/test_bench_smoke.py`` only checks that
each script still runs on a tiny size.
"""

from __future__ import annotations

import math
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Iterable, Sequence


def machine_description() -> str:
    """One line naming the CPU model, the cores usable by this process, the RAM and the Python."""
    return (
        f"{_cpu_model()}, {len(os.sched_getaffinity(0))} cores usable (nproc), "
        f"{_ram_gib():.0f} GiB RAM, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def command_line() -> str:
    """The command that started this process, as it could be typed again."""
    return " ".join(
        shlex.quote(part) for part in [os.path.basename(sys.executable), "-m", _module_name()] + sys.argv[1:]
    )


def _module_name() -> str:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return spec.name if spec is not None else (sys.argv[0] or "?")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _ram_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned."""
    rows = [[_cell(value) for value in row] for row in rows]
    align = ["---:" if rows and all(_numeric(row[i]) for row in rows) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.1f}"
    return str(value)


def _numeric(text: str) -> bool:
    try:
        float(text.replace("–", "nan"))
    except ValueError:
        return False
    return True


def code_version() -> str:
    """The git commit of the code measured, with ``+ local changes`` when the tree differs from it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{commit} + local changes" if changed else commit


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: above the core count, other work shared the CPU."""
    try:
        return ", ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def header(title: str, load_at_start: str | None = None) -> str:
    """The heading every benchmark prints: title, machine, exact command and the load averages (at the
    start if given, and now) — a load above the core count means other work shared the CPU."""
    load = f"at start {load_at_start}, at end {load_average()}" if load_at_start else load_average()
    return (
        f"## {title}\n\n- machine: {machine_description()}\n- command: `{command_line()}`\n"
        f"- code: {code_version()}\n- load average (1, 5, 15 min): {load}\n"
    )
