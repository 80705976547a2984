"""Shared helpers for the benchmarks: medians over repeated runs, a table, module loading."""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Time what a learner's Python does by default: cache bytecode. Where none was ever written
# (this project's machines set PYTHONDONTWRITEBYTECODE), every run recompiles the grader's
# modules, ~70 ms of `grade ex01`; every command timed, baselines included, runs without it,
# and the warm-up run writes the cache.
BYTECODE_NOTE = "bytecode cached" if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is None else (
    "bytecode cached (PYTHONDONTWRITEBYTECODE dropped)"
)


def load(relpath: str) -> Any:
    path = ROOT / relpath
    spec = importlib.util.spec_from_file_location(path.stem + "_bench", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_time(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def median_times(candidates: dict[str, Callable[[], Any]], rounds: int = 25, warmup: int = 2) -> dict[str, float]:
    """Median seconds of each candidate, run in turn within each round (so load hits all alike)."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def run_command(cmd: list[str], repeat: int = 5, warmup: int = 1, env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    full_env = {**os.environ, **(env or {})}

    def once() -> None:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, cwd=cwd, check=False)

    return median_time(once, repeat, warmup)


def machine() -> str:
    load1 = os.getloadavg()[0]
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {BYTECODE_NOTE}, load average {load1:.1f}"


def table(rows: list[tuple[str, float, str]], title: str) -> None:
    print(f"\n{title}  ({machine()})")
    width = max(len(r[0]) for r in rows)
    for name, seconds, note in rows:
        print(f"  {name.ljust(width)}  {seconds * 1000:9.1f} ms  {note}")
    sys.stdout.flush()
