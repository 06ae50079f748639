"""What-if experiments behind the recommendations in docs/performance.md.

``python -m bench.whatif [breakdown|pg-locks|pg-sweep|sqlite-sweep] [--runs N]``

Not part of ``python -m bench``: these run changed variants of our code (a subclass, a
different lock, other pragmas) to estimate what a recommended change in ``src/`` would
gain, on the same benchmark harness. Each prints median figures over ``--runs``.

* ``breakdown``: where a sequential Dispatcher update goes on SQLite: aiogram's
  MemoryStorage, our adapter over the in-memory store, SQLite with the audit trail in
  memory, SQLite with the real ``SqlAuditLog``.
* ``pg-locks``: the PostgreSQL configuration with its advisory locks, and with
  ``LocalKeyLocks`` (two round trips fewer per update).
* ``pg-sweep``: the store's sweep statement against ``id = ANY(ARRAY(…))`` at 100k.
* ``sqlite-sweep``: one sweep of 100k sessions (50k expired) straight on sqlite3, with
  other batch sizes, pragmas, or without ``ix_durable_sessions_user_id``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import sqlite3
import statistics
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram_durable import LocalKeyLocks, PostgresSessionStore, SessionIsolation, SessionRecord
from aiogram_durable.rows import sqlite_time
from bench import seed, sweep
from bench.configs import Target, diana_target, memory_target
from bench.dispatch import run_pass
from bench.env import BenchEnv
from bench.stats import latency_summary
from diana_bot.log_setup import configure_logging

EXPERIMENTS = ("breakdown", "pg-locks", "pg-sweep", "sqlite-sweep")


class AnyArraySweepStore(PostgresSessionStore):
    """The PostgreSQL store with the recommended sweep statement."""

    async def sweep(self, limit: int) -> list[SessionRecord]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "DELETE FROM durable_sessions WHERE id = ANY(ARRAY(SELECT id FROM durable_sessions "
                "WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)) "
                "RETURNING bot_id, chat_id, user_id, id, session_type, schema_version, "
                "current_step, session_data, created_at, updated_at, expires_at, version",
                self.clock.now(),
                limit,
            )
        decoded = [self._decode_quietly(r) for r in rows]
        return [s for s in decoded if s is not None]


def _show(label: str, values: Iterable[tuple[float, float, float]]) -> None:
    rows = list(values)
    ups, p50, p99 = (statistics.median(v[i] for v in rows) for i in range(3))
    print(f"{label:55s} {ups:8,.0f} upd/s  p50 {p50:7,.0f} µs  p99 {p99:7,.0f} µs")  # noqa: T201


async def _compare(targets: dict[str, Target], runs: int, admins: int, concurrency: int) -> None:
    ids = itertools.count(5_000_000)
    for target in targets.values():
        await run_pass(target, [next(ids) for _ in range(200)], concurrency)
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, target in targets.items():
            result = await run_pass(target, [next(ids) for _ in range(admins)], concurrency)
            p50, p99 = latency_summary(result.latencies_ns)
            figures[name].append((result.per_second, p50, p99))
    for name, values in figures.items():
        _show(f"{name} (concurrency {concurrency})", values)
    for target in targets.values():
        await target.close()


async def breakdown(env: BenchEnv, runs: int) -> None:
    """Sequential update cost, layer by layer."""
    targets = {
        "aiogram MemoryStorage": await memory_target(),
        "SessionStorage over the in-memory store": await diana_target(
            env, "memory", sql_audit=False
        ),
        "SessionStorage on SQLite, audit in memory": await diana_target(
            env, "sqlite", sql_audit=False
        ),
        "SessionStorage on SQLite, SqlAuditLog": await diana_target(env, "sqlite"),
    }
    await _compare(targets, runs, 1000, 1)


async def pg_locks(env: BenchEnv, runs: int) -> None:
    """Advisory locks (as wired) against in-process locks, on PostgreSQL."""
    for concurrency in (1, 100):
        advisory = await diana_target(env, "postgresql")
        local = await diana_target(env, "postgresql")
        isolation = local.dp.fsm.events_isolation
        assert isinstance(isolation, SessionIsolation)
        await isolation.locks.close()
        isolation.locks = LocalKeyLocks()
        targets = {"PostgresKeyLocks": advisory, "LocalKeyLocks": local}
        await _compare(targets, runs, 500, concurrency)


async def pg_sweep(env: BenchEnv, runs: int) -> None:
    """The store's sweep statement against ``= ANY(ARRAY(…))``, 100k sessions."""
    template = await sweep.make_template(env, "postgresql", 100_000)
    seconds: dict[str, list[float]] = {"store as is": [], "= ANY(ARRAY(...))": []}
    for _ in range(runs):
        for label in seconds:
            copy = await sweep.open_copy(env, template)
            if label != "store as is":
                copy.store.__class__ = AnyArraySweepStore
            took, count, _ = await sweep.timed_sweep(copy.store)
            await copy.close()
            if count != template.expired:
                raise RuntimeError(f"{label}: swept {count} of {template.expired}")
            seconds[label].append(took)
    for label, values in seconds.items():
        print(f"pg sweep of 100,000 ({label}): {statistics.median(values):.2f} s")  # noqa: T201


_SWEEP_SQL = (
    "DELETE FROM durable_sessions WHERE id IN (SELECT id FROM durable_sessions "
    "WHERE expires_at <= ? ORDER BY expires_at LIMIT ?) RETURNING *"
)


def _sqlite_variant(
    base: Path, work: Path, batch: int, pragmas: Iterable[str], before: Iterable[str]
) -> float:
    """µs per expired session for one full sweep of a copy of ``base``."""
    shutil.copyfile(base, work)
    conn = sqlite3.connect(work, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        for statement in (*pragmas, *before):
            conn.execute(statement)
        now = sqlite_time(datetime.now(UTC))
        started, swept = time.perf_counter(), 0
        while True:
            rows = conn.execute(_SWEEP_SQL, (now, batch)).fetchall()
            swept += len(rows)
            if len(rows) < batch:
                break
        return (time.perf_counter() - started) / max(swept, 1) * 1e6
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)


async def sqlite_sweep(env: BenchEnv, runs: int) -> None:
    """SQLite sweep cost per expired session under other batch sizes and settings."""
    base = Path(env.sqlite_url("whatif_base").removeprefix("sqlite+aiosqlite:///"))
    await asyncio.to_thread(seed.load_sqlite, str(base), 100_000, 0.5, datetime.now(UTC))
    variants: dict[str, tuple[int, list[str], list[str]]] = {
        "batch 500 (as the bot sweeps)": (500, [], []),
        "batch 5,000": (5000, [], []),
        "one batch": (100_000, [], []),
        "batch 500, synchronous=OFF": (500, ["PRAGMA synchronous=OFF"], []),
        "batch 500, 64 MiB cache, wal_autocheckpoint=10000": (
            500,
            ["PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=10000"],
            [],
        ),
        "batch 5,000 without ix_durable_sessions_user_id": (
            5000,
            [],
            ["DROP INDEX ix_durable_sessions_user_id"],
        ),
    }
    work = base.with_name("whatif_work.db")
    for label, (batch, pragmas, before) in variants.items():
        values = [
            await asyncio.to_thread(_sqlite_variant, base, work, batch, pragmas, before)
            for _ in range(runs)
        ]
        print(f"sqlite sweep, {label}: {statistics.median(values):,.0f} µs per expired session")  # noqa: T201


async def main_async(experiments: list[str], runs: int) -> None:
    """Run the chosen experiments on fresh servers."""
    configure_logging("WARNING")
    env = await BenchEnv().start()
    runners: dict[str, Any] = {
        "breakdown": breakdown,
        "pg-locks": pg_locks,
        "pg-sweep": pg_sweep,
        "sqlite-sweep": sqlite_sweep,
    }
    try:
        for name in experiments:
            print(f"== {name}", flush=True)  # noqa: T201
            await runners[name](env, runs)
    finally:
        env.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.whatif", description=__doc__)
    parser.add_argument("experiment", nargs="*", help=f"any of {', '.join(EXPERIMENTS)}")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.experiment) - set(EXPERIMENTS))
    if unknown:
        parser.error(f"unknown experiment(s): {', '.join(unknown)}")
    asyncio.run(main_async(list(args.experiment) or list(EXPERIMENTS), args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
