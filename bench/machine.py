"""What a benchmark report says of the machine it ran on: the processor's name, and a yardstick.

The same code has cost 2.5 times as much CPU a turn from one session's machine to the next (same kind of
machine, another host), and a run's cells swing ±30 % on a busy host. The yardstick — a fixed piece of pure
Python timed in this process's CPU time, before and after the run — puts a number on the machine's speed that
runs can be compared by, and shows when the host slowed down during a run.
"""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def cpu_model(cpuinfo: str | None = None) -> str:
    """The processor's name ("AMD EPYC", "Intel(R) Xeon(R) …"), or the architecture where the system has none."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo = ""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "cpu model") and value.strip():
            return " ".join(value.split())
    return platform.processor() or platform.machine()


def _work() -> int:
    total = 0
    table: dict[int, int] = {}
    for i in range(200_000):
        total += i * 7 % 13
        table[i & 1023] = total
    return total + len(table)


def yardstick(runs: int = 5) -> float:
    """Milliseconds of CPU time for a fixed piece of pure Python (a loop, arithmetic, a dict): the median of
    ``runs``."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        _work()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)
