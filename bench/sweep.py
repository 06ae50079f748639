"""Section 3: expiring 10k, 100k and 1M stored sessions (half of them expired).

Each size is bulk-loaded once into a template (``bench.seed``); every run sweeps a fresh
copy (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so runs
are independent and loading is never timed.

What is timed is what the bot's sweeper does: ``Sweeper.run_once`` over a
``SessionManager`` calls ``store.sweep(500)`` until a batch comes back short, each
batch removing and returning the sessions it expired (audited to a ``MemoryAuditLog``;
no expiry hook, so no Bot API call per session). The count returned is checked
against the number seeded.

Latency while sweeping: a thread plays admins arriving at a fixed rate (open loop:
each arrival is scheduled, so a step that waits behind a sweep batch is timed from
when it arrived, not from when the loop got to it). Each arrival runs one store step
(``get`` + ``save``) on an active session of the same store. The p99 of arrivals
during the sweep is compared with the p99 of the seconds before it (idle).

The plan: the exact ``DELETE`` the store sends is captured (sqlite3's trace callback;
an asyncpg query logger) and explained, with ``EXPLAIN QUERY PLAN`` on SQLite and
``EXPLAIN (ANALYZE, BUFFERS)`` in a rolled-back transaction on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select

from aiogram_durable import (
    MemoryAuditLog,
    PostgresSessionStore,
    SessionKey,
    SessionManager,
    SessionStore,
    SessionTypes,
    SqlAuditLog,
    SqliteSessionStore,
    Sweeper,
    SystemClock,
)
from aiogram_durable.durable import audit_engine
from aiogram_durable.rows import sqlite_time
from aiogram_durable.schema import events
from aiogram_durable.urls import asyncpg_dsn, sqlite_path
from bench import seed
from bench.env import BenchEnv
from bench.paced import PacedSteps
from bench.plans import explain, full_scans, range_scans, uses_index
from bench.stats import Summary, percentile

SIZES = (10_000, 100_000, 1_000_000)
BATCH = 500
EXPIRED_FRACTION = 0.5
ARRIVALS_PER_SECOND = 500
IDLE_SECONDS = 2.0
# Runs at a million sessions take half a minute each: fewer of them keep a full
# benchmark near 15 minutes on a 2-core machine.
BIG = 1_000_000
BIG_RUNS = 3
_TTL = timedelta(hours=1)


@dataclass
class Template:
    """One size loaded once on one backend; runs sweep copies of it."""

    backend: str
    size: int
    expired: int
    source: str  # SQLite file path, or PostgreSQL database name
    load_seconds: float


async def make_template(env: BenchEnv, backend: str, size: int) -> Template:
    """Bulk-load ``size`` sessions, ``EXPIRED_FRACTION`` of them expired."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    if backend == "sqlite":
        path = sqlite_path(env.sqlite_url(f"sweep_{size}"))
        await asyncio.to_thread(seed.load_sqlite, path, size, EXPIRED_FRACTION, now)
        source = path
    else:
        name = f"sweep_{size}"
        url = await env.pg_database(name)
        await seed.load_postgres(asyncpg_dsn(url), size, EXPIRED_FRACTION, now)
        source = name
    return Template(
        backend,
        size,
        seed.expected_expired(size, EXPIRED_FRACTION),
        source,
        time.perf_counter() - started,
    )


@dataclass
class Copy:
    """A fresh copy of a template, with a store open on it."""

    store: SessionStore
    close: Callable[[], Awaitable[None]]
    statements: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    url: str = ""  # the copy's database, for the audit log beside the store


async def open_copy(env: BenchEnv, template: Template, *, capture: bool = False) -> Copy:
    """Copy ``template`` and open the backend's store on the copy.

    With ``capture``, the sweep statements the store sends are recorded.
    """
    clock = SystemClock()
    statements: list[tuple[str, tuple[Any, ...]]] = []
    if template.backend == "sqlite":
        path = sqlite_path(env.sqlite_url(template=Path(template.source)))
        store = SqliteSessionStore(path, clock)
        if capture:
            # The store's own connection: its trace callback sees the statement as run.
            store._conn.set_trace_callback(
                lambda sql: statements.append((sql, ())) if "expires_at <=" in sql else None
            )

        async def close_sqlite() -> None:
            await store.close()
            await asyncio.to_thread(Path(path).unlink, missing_ok=True)

        return Copy(store, close_sqlite, statements, f"sqlite:///{path}")
    url = await env.pg_database(template=template.source)
    name = url.rsplit("/", 1)[1]

    def log_query(record: Any) -> None:
        if "expires_at <=" in record.query:
            statements.append((record.query, tuple(record.args)))

    async def init(conn: Any) -> None:
        if capture:
            conn.add_query_logger(log_query)

    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=2, max_size=20, init=init)
    pg_store = PostgresSessionStore(pool, clock)

    async def close_pg() -> None:
        await pg_store.close()
        await env.drop_pg_database(name)

    return Copy(pg_store, close_pg, statements, url)


class AuditedManager:
    """A manager whose audit trail is ``durable_session_events`` of the copy itself, as
    ``aiogram_durable.connect`` and Diana wire it: the SQL stores then audit each sweep
    batch in the statement (or transaction) that expires it."""

    def __init__(self, copy: Copy) -> None:
        self.engine = audit_engine(copy.url)
        self.audit = SqlAuditLog(self.engine)
        self.manager = SessionManager(copy.store, SessionTypes(), self.audit, default_ttl=_TTL)

    async def expired_events(self) -> int:
        """'expired' rows in the trail (flushed first)."""
        await self.audit.flush()
        async with self.engine.connect() as conn:
            found = await conn.execute(
                select(func.count()).select_from(events).where(events.c.event == "expired")
            )
            return int(found.scalar_one())

    async def close(self) -> None:
        await self.audit.close()
        await self.engine.dispose()


async def bare_delete(copy: Copy) -> tuple[float, int]:
    """The baseline: one plain ``DELETE`` of every expired row (nothing returned or
    audited), on the store's own connection; (seconds, rows deleted)."""
    now = datetime.now(UTC)
    store = copy.store
    if isinstance(store, SqliteSessionStore):
        conn = store._conn
        started = time.perf_counter()
        deleted = conn.execute(
            "DELETE FROM durable_sessions WHERE expires_at <= ?", (sqlite_time(now),)
        ).rowcount
        return time.perf_counter() - started, deleted
    assert isinstance(store, PostgresSessionStore)
    async with store.pool.acquire() as pg:
        started = time.perf_counter()
        status = await pg.execute("DELETE FROM durable_sessions WHERE expires_at <= $1", now)
        return time.perf_counter() - started, int(status.split()[-1])


def _manager(store: SessionStore) -> tuple[SessionManager, MemoryAuditLog]:
    audit = MemoryAuditLog()
    return SessionManager(store, SessionTypes(), audit, default_ttl=_TTL), audit


async def timed_sweep(store: SessionStore) -> tuple[float, int, int]:
    """Sweep everything expired: (seconds, sessions returned, audit events written)."""
    manager, audit = _manager(store)
    sweeper = Sweeper(manager, interval=60, batch_size=BATCH)
    started = time.perf_counter()
    count = await sweeper.run_once()
    return time.perf_counter() - started, count, len(audit.events)


def active_keys(size: int, limit: int = 5000) -> list[SessionKey]:
    """Keys of seeded sessions that are not expired."""
    cut = round(EXPIRED_FRACTION * 1000)
    users = (seed.BASE_USER + i for i in range(1, size + 1) if (i * 2654435761) % 1000 >= cut)
    return [SessionKey(seed.BOT_ID, u, u) for u in itertools.islice(users, limit)]


@dataclass
class LoadedSweep:
    """A sweep timed while store steps kept arriving."""

    seconds: float
    count: int
    complete: bool
    idle_latencies_s: list[float]
    sweep_latencies_s: list[float]
    errors: int
    # Every step as (arrival relative to the sweep's start, latency), both in seconds.
    timeline: list[tuple[float, float]] = field(default_factory=list)


async def sweep_under_load(copy: Copy, size: int, limit_s: float) -> LoadedSweep:
    """Steps arrive for ``IDLE_SECONDS``, then the sweep runs while they keep coming
    (stopped after ``limit_s``: the latencies until then are still the sweep's)."""
    steps = PacedSteps(copy.store, active_keys(size), ARRIVALS_PER_SECOND)
    audited = AuditedManager(copy)
    sweeper = Sweeper(audited.manager, interval=60, batch_size=BATCH)
    steps.start()
    await asyncio.sleep(IDLE_SECONDS)  # the idle baseline: steps only
    sweep_start = time.perf_counter()
    complete = True
    try:
        await asyncio.wait_for(sweeper.run_once(), limit_s)
    except TimeoutError:
        complete = False
    sweep_end = time.perf_counter()
    await steps.stop()
    swept = await audited.expired_events()
    await audited.close()
    # Skip the first arrivals: connection warm-up is not "idle".
    idle = [
        lat for due, lat in steps.samples if sweep_start - IDLE_SECONDS / 2 <= due < sweep_start
    ]
    during = [lat for due, lat in steps.samples if sweep_start <= due <= sweep_end]
    timeline = [(due - sweep_start, lat) for due, lat in steps.samples]
    return LoadedSweep(
        sweep_end - sweep_start, swept, complete, idle, during, steps.errors, timeline
    )


async def _timed_run(env: BenchEnv, template: Template, limit_s: float) -> dict[str, Any]:
    copy = await open_copy(env, template)
    audited = AuditedManager(copy)
    try:
        sweeper = Sweeper(audited.manager, interval=60, batch_size=BATCH)
        started = time.perf_counter()
        complete = True
        try:
            count = await asyncio.wait_for(sweeper.run_once(), limit_s)
        except TimeoutError:
            complete, count = False, -1
        seconds = time.perf_counter() - started
        events_written = await audited.expired_events()
    finally:
        await audited.close()
        await copy.close()
    if count < 0:
        count = events_written
    return {
        "seconds": seconds,
        "returned": count,
        "audited": events_written,
        "complete": complete and count == template.expired == events_written,
        "timed_out": not complete,
    }


async def _bare_run(env: BenchEnv, template: Template) -> dict[str, Any]:
    copy = await open_copy(env, template)
    try:
        seconds, deleted = await bare_delete(copy)
    finally:
        await copy.close()
    return {"seconds": seconds, "deleted": deleted, "complete": deleted == template.expired}


async def _loaded_run(env: BenchEnv, template: Template, limit_s: float) -> dict[str, Any]:
    copy = await open_copy(env, template)
    try:
        result = await sweep_under_load(copy, template.size, limit_s)
    finally:
        await copy.close()
    idle_p50, idle_p99 = (percentile(result.idle_latencies_s, q) * 1e6 for q in (0.5, 0.99))
    sweep_p50, sweep_p99 = (percentile(result.sweep_latencies_s, q) * 1e6 for q in (0.5, 0.99))
    return {
        "timed_out": not result.complete,
        "sweep_seconds": result.seconds,
        "returned": result.count,
        "idle_samples": len(result.idle_latencies_s),
        "sweep_samples": len(result.sweep_latencies_s),
        "idle_p50_us": idle_p50,
        "idle_p99_us": idle_p99,
        "sweep_p50_us": sweep_p50,
        "sweep_p99_us": sweep_p99,
        "p99_ratio": sweep_p99 / idle_p99,
        "errors": result.errors,
        # For bench.charts' latency-over-time chart: 0.1 ms and 1 µs resolution.
        "samples": {
            "t_s": [round(t, 4) for t, _ in result.timeline],
            "latency_us": [round(lat * 1e6) for _, lat in result.timeline],
        },
    }


async def run_section(
    env: BenchEnv, runs: int, sizes: tuple[int, ...], limit_s: float
) -> dict[str, Any]:
    """Timed sweeps and the plan of every size, and latency during the sweep at the
    largest size. A sweep that outlives ``limit_s`` is stopped and not repeated (one
    run is enough to say it missed); at ``BIG`` sessions there are at most
    ``BIG_RUNS`` timed runs and one run under load."""
    results: list[dict[str, Any]] = []
    plans: dict[str, list[str]] = {}
    latency: list[dict[str, Any]] = []
    largest = max(sizes)
    for backend in ("sqlite", "postgresql"):
        for size in sizes:
            template = await make_template(env, backend, size)
            print(  # noqa: T201
                f"  {backend} {size:,}: loaded in {template.load_seconds:.1f} s", flush=True
            )
            timed: list[dict[str, Any]] = []
            for _ in range(min(runs, BIG_RUNS) if size >= BIG else runs):
                timed.append(await _timed_run(env, template, limit_s))
                print(f"    sweep: {timed[-1]}", flush=True)  # noqa: T201
                if timed[-1]["timed_out"]:
                    break
            # The baseline on fresh copies of the same template, alternating with the
            # sweeps above would be fairer still; runs here follow them directly.
            bare = [await _bare_run(env, template) for _ in range(len(timed))]
            print(f"    bare DELETE: {bare}", flush=True)  # noqa: T201
            sweep_median = Summary.of([r["seconds"] for r in timed]).median
            bare_median = Summary.of([r["seconds"] for r in bare]).median
            entry: dict[str, Any] = {
                "backend": backend,
                "size": size,
                "expired": template.expired,
                "load_seconds": template.load_seconds,
                "seconds": Summary.of([r["seconds"] for r in timed]).as_dict(),
                "complete": all(r["complete"] for r in timed),
                "timed_out": any(r["timed_out"] for r in timed),
                "swept_before_limit": min(r["returned"] for r in timed),
                "runs": timed,
                # A plain DELETE of the same rows (nothing returned or audited), for
                # "sweep time against sessions" with its baseline.
                "bare_delete": {
                    "label": "bare DELETE",
                    "seconds": Summary.of([r["seconds"] for r in bare]).as_dict(),
                    "complete": all(r["complete"] for r in bare),
                    "runs": bare,
                },
                "ratio_to_bare_delete": sweep_median / bare_median,
            }
            results.append(entry)
            copy = await open_copy(env, template, capture=True)
            try:
                plans[f"{backend} {size}"] = await explain(copy, backend)
            finally:
                await copy.close()
            if size == largest:
                loaded = []
                for _ in range(1 if size >= BIG else min(runs, BIG_RUNS)):
                    loaded.append(await _loaded_run(env, template, limit_s))
                    shown = {k: v for k, v in loaded[-1].items() if k != "samples"}
                    print(f"    under load: {shown}", flush=True)  # noqa: T201
                    if loaded[-1]["timed_out"]:
                        break  # one stopped sweep says enough; keep the run short
                latency.append(_latency_entry(backend, size, loaded))
            await _drop_template(env, template)
    return {
        "batch": BATCH,
        "expired_fraction": EXPIRED_FRACTION,
        "limit_s": limit_s,
        "arrivals_per_second": ARRIVALS_PER_SECOND,
        "results": results,
        "plan_size": largest,
        "plans": plans,  # keyed "backend size"
        "index_used": {b: uses_index(p) for b, p in plans.items()},
        "full_scans": {b: full_scans(p) for b, p in plans.items()},
        # A large backlog is swept in storage order: these plans read table ranges.
        "range_scans": {b: range_scans(p) for b, p in plans.items()},
        "latency": latency,
    }


def _latency_entry(backend: str, size: int, loaded: list[dict[str, Any]]) -> dict[str, Any]:
    # A sweep stopped at the limit still gives the latencies of the time it ran.
    done = [r for r in loaded if r["sweep_samples"] and r["idle_samples"]]
    entry: dict[str, Any] = {"backend": backend, "size": size, "runs": loaded}
    if done:
        for name in ("idle_p50_us", "idle_p99_us", "sweep_p50_us", "sweep_p99_us", "p99_ratio"):
            entry[name] = Summary.of([r[name] for r in done]).as_dict()
        entry["errors"] = sum(r["errors"] for r in done)
    return entry


async def _drop_template(env: BenchEnv, template: Template) -> None:
    if template.backend == "sqlite":
        await asyncio.to_thread(Path(template.source).unlink, missing_ok=True)
    else:
        await env.drop_pg_database(template.source)
