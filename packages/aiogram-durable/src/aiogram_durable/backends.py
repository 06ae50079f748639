"""Open the session store and its key locks from one URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram_durable.clock import Clock, SystemClock
from aiogram_durable.locks import KeyLocks, LocalKeyLocks
from aiogram_durable.pg_locks import PostgresKeyLocks
from aiogram_durable.redis_locks import RedisKeyLocks
from aiogram_durable.store import SessionStore
from aiogram_durable.urls import backend_of, sqlite_path


@dataclass
class SessionBackend:
    """A store and the locks that serialise one key's updates across its users."""

    store: SessionStore
    locks: KeyLocks

    async def close(self) -> None:
        await self.locks.close()
        await self.store.close()

    def reset_connections(self) -> None:
        """After an outage: reconnect on next use instead of failing on dead connections."""
        self.store.reset_connections()
        self.locks.reset_connections()


async def open_backend(
    url: str,
    *,
    clock: Clock | None = None,
    store_pool: int | None = None,
    lock_pool: int = 10,
    namespace: str = "durable",
    pg_connection_class: type[Any] | None = None,
) -> SessionBackend:
    """The backend ``url`` names.

    * ``sqlite:///path``: one process; asyncio locks.
    * ``postgresql://…``: advisory locks on a pool of their own, so several processes
      share it; ``store_pool`` (default 5) and ``lock_pool`` cap the two pools'
      connections. Each update in hand holds a lock connection: ``lock_pool`` bounds
      how many run at once.
    * ``redis://…``: leased Redis locks; ``store_pool`` (default 100) caps the commands
      in flight of the store and of the locks, each (so their connections).

    ``namespace`` prefixes Redis keys and PostgreSQL lock ids, so two bots can share a
    server; every process of one bot must use the same. ``pg_connection_class``: an
    ``asyncpg.Connection`` subclass for both PostgreSQL pools (instrumentation).
    """
    clock = clock or SystemClock()
    backend = backend_of(url)
    if backend == "redis":
        import redis.asyncio as aioredis

        from aiogram_durable.redis import DEFAULT_MAX_IN_FLIGHT, RedisSessionStore

        in_flight = store_pool or DEFAULT_MAX_IN_FLIGHT
        store: SessionStore = await RedisSessionStore.connect(
            url, clock, prefix=namespace, max_in_flight=in_flight
        )
        locks = RedisKeyLocks(
            aioredis.Redis.from_url(url, max_connections=in_flight),
            prefix=namespace,
            max_in_flight=in_flight,
        )
        return SessionBackend(store, locks)
    if backend == "sqlite":
        from aiogram_durable.sqlite import SqliteSessionStore

        return SessionBackend(SqliteSessionStore(sqlite_path(url), clock), LocalKeyLocks())
    from aiogram_durable.postgres import PostgresSessionStore, create_pool

    size = store_pool or 5
    store = await PostgresSessionStore.connect(
        url, clock, min_size=min(2, size), max_size=size, connection_class=pg_connection_class
    )
    pool = await create_pool(
        url, min_size=1, max_size=lock_pool, connection_class=pg_connection_class
    )
    return SessionBackend(store, PostgresKeyLocks(pool, namespace=namespace))
