"""Section 1: full updates through aiogram's Dispatcher, on every storage.

Each simulated admin sends the four updates of ``bench.flow.SCRIPT``. Sequentially,
updates go one at a time, step by step across all admins (so up to N sessions are open
at once, as with real admins); concurrently, 100 admins are in flight at once, each
sending its own four updates in order. The configurations are in ``bench.configs``.

Round trips per update are counted, not timed: after the timed runs, the configurations
that talk to a server are opened once more with counting drivers (``bench.roundtrips``)
and run one warm-up and then one counted pass per mode. Counting stays out of the timed
runs. Audit rows go through a separate SQLAlchemy engine and are not counted.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiogram.types import Update

from bench.configs import Target, open_counted_targets, open_targets
from bench.env import BenchEnv
from bench.flow import SCRIPT
from bench.stats import Summary, latency_summary
from bench.telegram import UpdateFactory

CONCURRENCY = 100


@dataclass
class RunResult:
    """One pass over a set of admins."""

    updates: int
    seconds: float
    latencies_ns: list[int]
    errors: int
    problems: list[str] = field(default_factory=list)
    # (round trips, connections made) during the updates, on counting targets only.
    counted: tuple[int, int] | None = None
    # CPU this process spent during the updates (all its threads), in seconds.
    cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        """Updates per second."""
        return self.updates / self.seconds

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures (latencies as p50/p99 only)."""
        p50, p99 = latency_summary(self.latencies_ns)
        return {
            "updates": self.updates,
            "seconds": self.seconds,
            "updates_per_second": self.per_second,
            "p50_us": p50,
            "p99_us": p99,
            # What the bot's own process spends per update: on a machine whose cores the
            # servers share, this is what throughput under concurrency runs out of.
            "cpu_us_per_update": self.cpu_seconds * 1e6 / self.updates,
            "errors": self.errors,
            "problems": self.problems,
        }


def build_updates(target: Target, admins: Sequence[int]) -> list[list[Update]]:
    """Each admin's four updates, built before the clock starts."""
    factory = UpdateFactory(target.bot)
    return [[factory.text(admin, text) for text in SCRIPT] for admin in admins]


async def _feed(target: Target, update: Update, latencies: list[int]) -> bool:
    started = time.perf_counter_ns()
    try:
        await target.dp.feed_update(target.bot, update)
    except Exception:
        return False
    finally:
        latencies.append(time.perf_counter_ns() - started)
    return True


async def run_pass(target: Target, admins: Sequence[int], concurrency: int) -> RunResult:
    """Feed every admin's flow; ``concurrency`` admins at once (1: one update at a time)."""
    per_admin = build_updates(target, admins)
    before = (target.counters.started, target.counters.completed, target.counters.unexpected)
    latencies: list[int] = []
    errors = 0
    # The prebuilt updates are the benchmark's, not the bot's: keep them out of the
    # collector's way so its pauses are the bot's own.
    gc.collect()
    gc.freeze()
    counter = target.round_trips
    counted_before = counter.snapshot() if counter is not None else (0, 0)
    started = time.perf_counter()
    cpu_started = time.process_time()
    if concurrency == 1:
        for step in range(len(SCRIPT)):
            for updates in per_admin:
                if not await _feed(target, updates[step], latencies):
                    errors += 1
    else:
        queue = iter(per_admin)

        async def worker() -> int:
            failed = 0
            for updates in queue:
                for update in updates:
                    if not await _feed(target, update, latencies):
                        failed += 1
            return failed

        errors = sum(await asyncio.gather(*(worker() for _ in range(concurrency))))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    # Read before the checks below, whose queries are not the updates' round trips.
    counted = None
    if counter is not None:
        after = counter.snapshot()
        counted = (after[0] - counted_before[0], after[1] - counted_before[1])
    gc.unfreeze()
    await target.settle()
    problems = _check(target, len(admins), before)
    still_open = await target.open_sessions()
    if still_open:
        problems.append(f"{still_open} sessions left open")
    return RunResult(
        len(admins) * len(SCRIPT),
        seconds,
        latencies,
        errors,
        problems,
        counted=counted,
        cpu_seconds=cpu_seconds,
    )


def _check(target: Target, admins: int, before: tuple[int, int, int]) -> list[str]:
    started = target.counters.started - before[0]
    completed = target.counters.completed - before[1]
    unexpected = target.counters.unexpected - before[2]
    problems = []
    if started != admins or completed != admins:
        problems.append(f"{started} flows started, {completed} completed of {admins}")
    if unexpected:
        problems.append(f"{unexpected} updates reached the wrong handler or lost data")
    return problems


def _summarise(runs: list[dict[str, Any]], baseline: list[dict[str, Any]]) -> dict[str, Any]:
    ratios = [
        r["updates_per_second"] / b["updates_per_second"]
        for r, b in zip(runs, baseline, strict=True)
    ]
    # Throughput is wall time, so other processes on the machine move it a lot; the
    # median latency of a sequential update moves far less. Both are reported.
    p50_ratios = [b["p50_us"] / r["p50_us"] for r, b in zip(runs, baseline, strict=True)]
    return {
        "updates_per_second": Summary.of([r["updates_per_second"] for r in runs]).as_dict(),
        "p50_us": Summary.of([r["p50_us"] for r in runs]).as_dict(),
        "p99_us": Summary.of([r["p99_us"] for r in runs]).as_dict(),
        "cpu_us_per_update": Summary.of([r["cpu_us_per_update"] for r in runs]).as_dict(),
        "ratio_to_memory": Summary.of(ratios).as_dict(),
        "p50_ratio_to_memory": Summary.of(p50_ratios).as_dict(),
        "errors": sum(r["errors"] for r in runs),
        "problems": sorted({p for r in runs for p in r["problems"]}),
        "runs": runs,
    }


async def run_section(env: BenchEnv, runs: int, admins: int) -> dict[str, Any]:
    """Every configuration, sequential and concurrent, ``runs`` times, interleaved so
    that drift on the machine hits every configuration alike."""
    targets = await open_targets(env)
    ids = itertools.count(1_000_000)
    modes = (("sequential", 1), ("concurrent", CONCURRENCY))
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {
        t.name: {mode: [] for mode, _ in modes} for t in targets
    }
    try:
        for target in targets:  # warm-up: pools, prepared statements, Lua scripts
            for _, concurrency in modes:
                await run_pass(target, [next(ids) for _ in range(200)], concurrency)
        for run in range(runs):
            for target in targets:
                for mode, concurrency in modes:
                    result = await run_pass(target, [next(ids) for _ in range(admins)], concurrency)
                    raw[target.name][mode].append(result.as_dict())
                    _progress(run, target.name, mode, result)
    finally:
        for target in targets:
            await target.close()
    counted = await count_round_trips(env, admins, ids, modes)
    baseline = raw[targets[0].name]
    return {
        "admins": admins,
        "updates_per_pass": admins * len(SCRIPT),
        "concurrency": CONCURRENCY,
        "configs": [
            {
                "name": t.name,
                "wiring": t.wiring,
                **{mode: _summarise(raw[t.name][mode], baseline[mode]) for mode, _ in modes},
                # None: the storage is in the process, there is no server to talk to.
                "round_trips": counted.get(t.name),
            }
            for t in targets
        ],
    }


async def count_round_trips(
    env: BenchEnv,
    admins: int,
    ids: Iterator[int],
    modes: Sequence[tuple[str, int]] = (("sequential", 1), ("concurrent", CONCURRENCY)),
) -> dict[str, dict[str, Any]]:
    """Round trips per update of each configuration that talks to a server, counted on
    one untimed pass of ``admins`` admins per mode after a warm-up pass (prepared
    statements, loaded scripts, open connections), keyed by configuration name."""
    targets = await open_counted_targets(env)
    counted: dict[str, dict[str, Any]] = {}
    try:
        for target in targets:
            for _, concurrency in modes:
                await run_pass(target, [next(ids) for _ in range(200)], concurrency)
            entry: dict[str, Any] = {}
            for mode, concurrency in modes:
                result = await run_pass(target, [next(ids) for _ in range(admins)], concurrency)
                assert result.counted is not None  # a counting target counts
                round_trips, connections = result.counted
                entry[mode] = {
                    "updates": result.updates,
                    "round_trips": round_trips,
                    "per_update": round_trips / result.updates,
                    "connections_made": connections,
                    "errors": result.errors,
                    "problems": result.problems,
                }
                print(  # noqa: T201
                    f"  round trips {target.name} {mode}: {round_trips / result.updates:.2f} "
                    f"per update ({round_trips:,} for {result.updates:,} updates, "
                    f"{connections} connections made)",
                    flush=True,
                )
            counted[target.name] = entry
    finally:
        for target in targets:
            await target.close()
    return counted


def _progress(run: int, name: str, mode: str, result: RunResult) -> None:
    p50, p99 = latency_summary(result.latencies_ns)
    print(  # noqa: T201
        f"  run {run + 1} {name} {mode}: {result.per_second:,.0f} upd/s, "
        f"p50 {p50:,.0f} µs, p99 {p99:,.0f} µs, errors {result.errors}",
        flush=True,
    )
