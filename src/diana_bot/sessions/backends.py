"""Build the session store and its key locks for a configured backend."""

from __future__ import annotations

from dataclasses import dataclass

from diana_bot.clock import Clock
from diana_bot.db.budget import DEFAULT_POOL_SIZE, ConnectionBudget
from diana_bot.db.engine import is_sqlite, sqlite_path
from diana_bot.sessions.locks import KeyLocks, LocalKeyLocks, PostgresKeyLocks, RedisKeyLocks
from diana_bot.sessions.store import SessionStore


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
    kind: str,
    *,
    database_url: str,
    redis_url: str | None,
    clock: Clock,
    budget: ConnectionBudget | None = None,
) -> SessionBackend:
    """Open the backend ``kind`` (``sql`` or ``redis``).

    ``sql`` follows ``database_url``: SQLite (one process; asyncio locks) or PostgreSQL
    (advisory locks, so several processes can share it), its two pools sized by
    ``budget`` (default: `DEFAULT_POOL_SIZE` split).
    """
    if kind == "redis":
        import redis.asyncio as aioredis

        from diana_bot.sessions.redis import RedisSessionStore

        if redis_url is None:
            raise ValueError("REDIS_URL is required for the redis backend")
        store: SessionStore = await RedisSessionStore.connect(redis_url, clock)
        return SessionBackend(store, RedisKeyLocks(aioredis.Redis.from_url(redis_url)))
    if kind != "sql":
        raise ValueError(f"unknown session backend {kind!r}")
    if is_sqlite(database_url):
        from diana_bot.sessions.sqlite import SqliteSessionStore

        return SessionBackend(SqliteSessionStore(sqlite_path(database_url), clock), LocalKeyLocks())
    import asyncpg

    from diana_bot.sessions.postgres import PostgresSessionStore, asyncpg_dsn

    budget = budget or ConnectionBudget.split(DEFAULT_POOL_SIZE, sql_sessions=True)
    store = await PostgresSessionStore.connect(
        database_url, clock, min_size=min(2, budget.store), max_size=budget.store
    )
    lock_pool = await asyncpg.create_pool(
        asyncpg_dsn(database_url), min_size=1, max_size=budget.locks
    )
    return SessionBackend(store, PostgresKeyLocks(lock_pool))
