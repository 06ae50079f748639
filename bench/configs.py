"""The Dispatcher configurations of section 1, each with the same router.

Our store is wired as ``diana_bot.composition.build_dispatcher`` wires it:
``SessionStorage`` + ``SessionIsolation`` with the backend's own locks from
``open_backend``, a ``SessionManager`` and the real ``SqlAuditLog`` (batched audit rows
in the SQL database; the Redis configuration keeps its audit rows in PostgreSQL, the
database a Redis deployment would run with). The bot's update middlewares (update
dedup, admin gate) are left out so every configuration runs the same chain.
aiogram's storages run with ``SimpleEventIsolation``: a per-key asyncio lock, as ours
on SQLite.

``open_counted_targets`` opens the configurations that talk to a server once more, with
driver classes that count round trips (``bench.roundtrips``), for an untimed pass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis.asyncio
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage

from aiogram_durable import (
    AuditLog,
    Clock,
    LocalKeyLocks,
    MemoryAuditLog,
    MemorySessionStore,
    RedisKeyLocks,
    RedisSessionStore,
    SessionBackend,
    SessionIsolation,
    SessionManager,
    SessionStorage,
    SessionTypes,
    SkipAppliedUpdates,
    SqlAuditLog,
    SystemClock,
    open_backend,
)
from aiogram_durable.redis import DEFAULT_MAX_IN_FLIGHT
from bench.env import BenchEnv
from bench.flow import FLOW_NAME, FlowCounters, TariffFlow, build_router
from bench.roundtrips import RoundTripCounter
from bench.telegram import stub_bot
from diana_bot.db.engine import create_engine


@dataclass
class Target:
    """One configured Dispatcher and what it takes to check and close it."""

    name: str
    wiring: str
    dp: Dispatcher
    bot: Bot
    counters: FlowCounters
    open_sessions: Callable[[], Awaitable[int]]
    settle: Callable[[], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    # Set on the counting copies only: the timed targets run the plain drivers.
    round_trips: RoundTripCounter | None = None


def _dispatcher(
    storage: BaseStorage, isolation: BaseEventIsolation, counters: FlowCounters
) -> Dispatcher:
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp.include_router(build_router(counters))
    return dp


async def _noop() -> None:
    return None


async def _counted_redis_backend(
    url: str, clock: Clock, counter: RoundTripCounter
) -> SessionBackend:
    """What ``open_backend`` builds for a Redis URL, with counting connections (it takes
    no redis-py connection class): the same store and locks, prefix and in-flight cap."""
    connection_class = counter.redis_class()
    store_client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(
        url,
        decode_responses=False,
        connection_class=connection_class,
        max_connections=DEFAULT_MAX_IN_FLIGHT,
    )
    await store_client.ping()
    locks_client: redis.asyncio.Redis = redis.asyncio.Redis.from_url(
        url, connection_class=connection_class, max_connections=DEFAULT_MAX_IN_FLIGHT
    )
    return SessionBackend(
        RedisSessionStore(
            store_client, clock, prefix="durable", max_in_flight=DEFAULT_MAX_IN_FLIGHT
        ),
        RedisKeyLocks(locks_client, prefix="durable"),
    )


async def diana_target(
    env: BenchEnv,
    database: str,
    *,
    sql_audit: bool = True,
    counter: RoundTripCounter | None = None,
) -> Target:
    """Our store on ``database`` (``sqlite``, ``postgresql``, ``memory``) or on Redis
    (``redis``); ``sql_audit=False`` keeps the audit trail in memory instead. With
    ``counter``, the store's and the locks' connections count their round trips (the
    audit log's engine does not)."""
    if database in ("sqlite", "memory"):
        url = env.sqlite_url()
    else:
        url = await env.pg_database()
    redis_url = await env.redis_url() if database == "redis" else None
    clock = SystemClock()
    if database == "memory":
        backend = SessionBackend(MemorySessionStore(clock), LocalKeyLocks())
    elif counter is not None and redis_url is not None:
        backend = await _counted_redis_backend(redis_url, clock, counter)
    else:
        pg_class = counter.asyncpg_class() if counter is not None else None
        backend = await open_backend(redis_url or url, clock=clock, pg_connection_class=pg_class)
    engine = create_engine(url)
    audit: AuditLog = SqlAuditLog(engine) if sql_audit else MemoryAuditLog()
    manager = SessionManager(
        backend.store, SessionTypes(), audit, default_ttl=timedelta(minutes=10)
    )
    storage = SessionStorage(manager)
    storage.add_flow(TariffFlow, FLOW_NAME)
    counters = FlowCounters()
    dp = _dispatcher(storage, SessionIsolation(storage, backend.locks), counters)
    # Exactly-once is part of the library's wiring: its cost is in every figure.
    dp.update.outer_middleware(SkipAppliedUpdates())
    bot = stub_bot()

    async def open_sessions() -> int:
        return sum((await manager.count_by_type()).values())

    async def close() -> None:
        await audit.close()
        await backend.close()
        await engine.dispose()
        await bot.session.close()

    names = {
        "sqlite": "SQLite",
        "postgresql": "PostgreSQL",
        "redis": "Redis",
        "memory": "MemorySessionStore",
    }
    locks = type(backend.locks).__name__
    audit_db = "SQLite" if database in ("sqlite", "memory") else "PostgreSQL"
    audit_name = f"SqlAuditLog on {audit_db}" if sql_audit else "MemoryAuditLog"
    return Target(
        name=f"aiogram-durable, {names[database]}" + ("" if sql_audit else ", audit in memory"),
        wiring=f"SessionStorage + SessionIsolation({locks}) + SkipAppliedUpdates, {audit_name}",
        dp=dp,
        bot=bot,
        counters=counters,
        open_sessions=open_sessions,
        settle=audit.flush,
        close=close,
        round_trips=counter,
    )


async def memory_target() -> Target:
    """aiogram's MemoryStorage: the in-memory ceiling."""
    storage = MemoryStorage()
    counters = FlowCounters()
    dp = _dispatcher(storage, SimpleEventIsolation(), counters)
    bot = stub_bot()

    async def open_sessions() -> int:
        return sum(1 for record in storage.storage.values() if record.state is not None)

    async def close() -> None:
        await storage.close()
        await bot.session.close()

    return Target(
        name="aiogram MemoryStorage",
        wiring="MemoryStorage + SimpleEventIsolation (per-key asyncio lock)",
        dp=dp,
        bot=bot,
        counters=counters,
        open_sessions=open_sessions,
        settle=_noop,
        close=close,
    )


async def aiogram_redis_target(
    env: BenchEnv, *, redis_isolation: bool, counter: RoundTripCounter | None = None
) -> Target:
    """aiogram's RedisStorage: what a user would pick instead of our store (with
    ``counter``: on a client whose connections count round trips)."""
    url = await env.redis_url()
    connection_kwargs: dict[str, Any] = {}
    if counter is not None:
        connection_kwargs["connection_class"] = counter.redis_class()
    storage = RedisStorage.from_url(url, connection_kwargs=connection_kwargs)
    isolation: BaseEventIsolation = (
        storage.create_isolation() if redis_isolation else SimpleEventIsolation()
    )
    counters = FlowCounters()
    dp = _dispatcher(storage, isolation, counters)
    bot = stub_bot()
    probe = redis.asyncio.Redis.from_url(url)

    async def open_sessions() -> int:
        return int(await probe.dbsize())

    async def close() -> None:
        await isolation.close()
        await storage.close()
        await probe.aclose()
        await bot.session.close()

    kind = "RedisEventIsolation (Redis lock)" if redis_isolation else "SimpleEventIsolation"
    return Target(
        name="aiogram RedisStorage" + (" + Redis locks" if redis_isolation else ""),
        wiring=f"RedisStorage + {kind}",
        dp=dp,
        bot=bot,
        counters=counters,
        open_sessions=open_sessions,
        settle=_noop,
        close=close,
        round_trips=counter,
    )


async def open_targets(env: BenchEnv) -> list[Target]:
    """Every configuration, MemoryStorage first (the others are compared with it)."""
    return [
        await memory_target(),
        await diana_target(env, "sqlite"),
        await diana_target(env, "postgresql"),
        await diana_target(env, "redis"),
        await aiogram_redis_target(env, redis_isolation=False),
        # What several aiogram processes sharing one Redis need: its lock per update.
        await aiogram_redis_target(env, redis_isolation=True),
    ]


async def open_counted_targets(env: BenchEnv) -> list[Target]:
    """The configurations that talk to a server, named as in ``open_targets``, each with
    a fresh ``RoundTripCounter`` on its drivers."""
    return [
        await diana_target(env, "postgresql", counter=RoundTripCounter()),
        await diana_target(env, "redis", counter=RoundTripCounter()),
        await aiogram_redis_target(env, redis_isolation=False, counter=RoundTripCounter()),
        await aiogram_redis_target(env, redis_isolation=True, counter=RoundTripCounter()),
    ]
