"""Section 2: the raw store step, ``get`` + compare-and-set ``save``, per backend.

This is what one update costs the store, without aiogram, the adapter or locks. The
PostgreSQL and Redis rows also show one bare round trip to the server (``SELECT 1``
through the same pool, ``PING`` through the same client): a step is two round trips,
so twice that is the floor no store code can go under on this machine.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram_durable import (
    MemorySessionStore,
    PostgresSessionStore,
    RedisSessionStore,
    SessionKey,
    SessionStore,
    SqliteSessionStore,
    SystemClock,
)
from aiogram_durable.urls import sqlite_path
from bench.env import BenchEnv
from bench.stats import Summary, latency_summary

BACKENDS = ("memory", "sqlite", "postgresql", "redis")
SESSIONS = 1000
TTL = timedelta(minutes=10)


@dataclass
class StepBench:
    """An open store with its sessions seeded, and a round-trip probe when remote."""

    backend: str
    store: SessionStore
    keys: list[SessionKey]
    round_trip: Callable[[], Awaitable[Any]] | None


async def open_bench(env: BenchEnv, backend: str) -> StepBench:
    """Open ``backend`` on a fresh database and start ``SESSIONS`` sessions in it."""
    clock = SystemClock()
    store: SessionStore
    probe: Callable[[], Awaitable[Any]] | None = None
    if backend == "memory":
        store = MemorySessionStore(clock)
    elif backend == "sqlite":
        store = SqliteSessionStore(sqlite_path(env.sqlite_url()), clock)
    elif backend == "postgresql":
        pg = await PostgresSessionStore.connect(await env.pg_database(), clock)

        async def select_one() -> Any:
            async with pg.pool.acquire() as conn:
                return await conn.fetchval("SELECT 1")

        store, probe = pg, select_one
    elif backend == "redis":
        rs = await RedisSessionStore.connect(await env.redis_url(), clock)
        store, probe = rs, rs.client.ping
    else:
        raise ValueError(backend)
    keys = [SessionKey(42, 1_000 + i, 1_000 + i) for i in range(SESSIONS)]
    for key in keys:
        session = store.new_session(
            key, "tariff_creation", schema_version=1, step="price", data={"channel": 1}, ttl=TTL
        )
        await store.insert(session, replace=True)
    return StepBench(backend, store, keys, probe)


async def run_steps(bench: StepBench, steps: int) -> tuple[float, list[int]]:
    """``steps`` sequential get + save over the seeded keys: (seconds, latencies in ns)."""
    store, keys = bench.store, bench.keys
    latencies: list[int] = []
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for i in range(steps):
        key = keys[i % len(keys)]
        t0 = time.perf_counter_ns()
        session = await store.get(key)
        if session is None:
            raise RuntimeError(f"session of {key} vanished")
        await store.save(session, step="duration", data={"channel": 1, "price": str(i)}, ttl=TTL)
        latencies.append(time.perf_counter_ns() - t0)
    seconds = time.perf_counter() - started
    gc.unfreeze()
    return seconds, latencies


async def run_round_trips(bench: StepBench, count: int) -> list[int]:
    """Latencies (ns) of ``count`` bare round trips; empty for in-process stores."""
    if bench.round_trip is None:
        return []
    latencies = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        await bench.round_trip()
        latencies.append(time.perf_counter_ns() - t0)
    return latencies


def step_figures(seconds: float, latencies: list[int], round_trips: list[int]) -> dict[str, Any]:
    """One run's figures, JSON-ready."""
    p50, p99 = latency_summary(latencies)
    figures: dict[str, Any] = {
        "ops_per_second": len(latencies) / seconds,
        "p50_us": p50,
        "p99_us": p99,
    }
    if round_trips:
        figures["round_trip_p50_us"] = latency_summary(round_trips)[0]
    return figures


STEPS = 2000


async def run_section(env: BenchEnv, runs: int) -> dict[str, Any]:
    """Every backend, ``runs`` times (interleaved), ``STEPS`` sequential steps each."""
    benches = [await open_bench(env, backend) for backend in BACKENDS]
    raw: dict[str, list[dict[str, Any]]] = {b.backend: [] for b in benches}
    try:
        for bench in benches:
            await run_steps(bench, 200)  # warm-up
        for run in range(runs):
            for bench in benches:
                seconds, latencies = await run_steps(bench, STEPS)
                round_trips = await run_round_trips(bench, 500)
                figures = step_figures(seconds, latencies, round_trips)
                raw[bench.backend].append(figures)
                print(  # noqa: T201
                    f"  run {run + 1} {bench.backend}: {figures['ops_per_second']:,.0f} steps/s, "
                    f"p50 {figures['p50_us']:,.0f} µs, p99 {figures['p99_us']:,.0f} µs",
                    flush=True,
                )
    finally:
        for bench in benches:
            await bench.store.close()
    backends = []
    for name, runs_ in raw.items():
        entry: dict[str, Any] = {
            "backend": name,
            "ops_per_second": Summary.of([r["ops_per_second"] for r in runs_]).as_dict(),
            "p50_us": Summary.of([r["p50_us"] for r in runs_]).as_dict(),
            "p99_us": Summary.of([r["p99_us"] for r in runs_]).as_dict(),
            "runs": runs_,
        }
        if "round_trip_p50_us" in runs_[0]:
            entry["round_trip_p50_us"] = Summary.of(
                [r["round_trip_p50_us"] for r in runs_]
            ).as_dict()
        backends.append(entry)
    return {"steps_per_run": STEPS, "sessions": SESSIONS, "backends": backends}
