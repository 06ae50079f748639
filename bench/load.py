"""How busy the machine was with work that is not the benchmark's.

The benchmark shares its two cores with whatever else runs (other people's test suites,
on a shared development machine). A figure measured while another process used half
the CPU is not the bot's figure, so every section records the share of CPU used by
processes outside the benchmark's own process tree (its PostgreSQL and Redis servers
and child processes count as its own), and the runner can wait for a quiet machine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    """``(busy, total)`` CPU ticks over all cores since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks used, including waited-for children)."""
    table: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: split after the last ')'.
        rest = raw[raw.rindex(")") + 2 :].split()
        ppid = int(rest[1])
        utime, stime, cutime, cstime = (int(v) for v in rest[11:15])
        table[int(entry.name)] = (ppid, utime + stime + cutime + cstime)
    return table


def own_ticks(root: int | None = None) -> int:
    """CPU ticks used so far by ``root`` (default: this process) and its descendants."""
    table = _process_table()
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += table.get(pid, (0, 0))[1]
        stack.extend(children.get(pid, []))
    return total


@dataclass(frozen=True, slots=True)
class LoadSnapshot:
    """CPU counters at one moment."""

    at: float
    busy: int
    total: int
    own: int

    @classmethod
    def take(cls) -> LoadSnapshot:
        """Read the counters now."""
        busy, total = _machine_ticks()
        return cls(time.monotonic(), busy, total, own_ticks())


@dataclass(frozen=True, slots=True)
class LoadReport:
    """CPU use between two snapshots, in cores (2.0 = both cores of a 2-core machine)."""

    seconds: float
    own_cores: float
    other_cores: float

    @classmethod
    def between(cls, start: LoadSnapshot, end: LoadSnapshot) -> LoadReport:
        """The load between ``start`` and ``end``."""
        cores = os.cpu_count() or 1
        ticks = max(1, end.total - start.total)
        busy = (end.busy - start.busy) / ticks * cores
        own = (end.own - start.own) / _TICKS / max(1e-9, end.at - start.at)
        return cls(end.at - start.at, own, max(0.0, busy - own))

    def describe(self) -> str:
        """One line for the report."""
        return (
            f"{self.seconds:.0f} s; CPU used by the benchmark {self.own_cores:.2f} cores, "
            f"by other processes {self.other_cores:.2f} cores"
        )


def other_load(seconds: float = 1.0) -> float:
    """Cores used by processes outside this process tree over the next ``seconds``."""
    start = LoadSnapshot.take()
    time.sleep(seconds)  # sampling window, not synchronisation
    return LoadReport.between(start, LoadSnapshot.take()).other_cores


def wait_for_quiet(limit_s: float, threshold: float = 0.25, log: bool = True) -> float:
    """Wait (up to ``limit_s``) until other processes use under ``threshold`` cores for
    three seconds in a row; returns the last reading."""
    deadline = time.monotonic() + limit_s
    quiet = 0
    reading = other_load()
    while time.monotonic() < deadline:
        quiet = quiet + 1 if reading < threshold else 0
        if quiet >= 3:
            break
        if log and quiet == 0:
            print(f"  waiting for a quiet machine: other processes use {reading:.2f} cores")  # noqa: T201
        reading = other_load()
    return reading
