"""Per-key locks across processes on PostgreSQL: session-level advisory locks."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram_durable.locks import LocalKeyLocks
from aiogram_durable.model import SessionKey
from aiogram_durable.postgres import LOCK_AND_READ, forget, prefetch


def advisory_lock_id(key: SessionKey, namespace: str = "durable") -> int:
    """A stable signed 64-bit id for ``pg_advisory_lock``."""
    digest = hashlib.blake2b(f"{namespace}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresKeyLocks:
    """PostgreSQL advisory locks on a pool of their own.

    Taking a key's lock also reads its session (``durable_lock_and_read``, migration
    d0002), which ``PostgresSessionStore.get`` then uses: an update costs a lock-and-read,
    a write and an unlock.

    ``namespace`` keeps the lock ids of two applications on one database apart;
    every process of one bot must use the same.
    """

    def __init__(self, pool: Any, *, namespace: str = "durable") -> None:
        self._pool = pool
        self._namespace = namespace
        self._local = LocalKeyLocks()

    @asynccontextmanager
    async def lock(self, key: SessionKey) -> AsyncIterator[None]:
        async with self._local.lock(key), self._pool.acquire() as conn:
            lock_id = advisory_lock_id(key, self._namespace)
            try:
                # Lock and read in one round trip; the store's next read of this key
                # in this update is served from it.
                rows = await conn.fetch(
                    LOCK_AND_READ, lock_id, key.bot_id, key.chat_id, key.user_id, key.scope
                )
            except BaseException:
                self._drop(conn)  # cancelled while waiting: the lock may have been granted
                raise
            token = prefetch(key, rows[0] if rows else None)
            try:
                yield
            finally:
                forget(token)
                try:
                    await conn.execute("SELECT pg_advisory_unlock($1)", lock_id)
                except BaseException:
                    self._drop(conn)
                    raise

    @staticmethod
    def _drop(conn: Any) -> None:
        """Close a connection that may still hold a lock instead of pooling it again:
        the server releases a session's locks with it (the pool sends no reset)."""
        conn.terminate()

    async def close(self) -> None:
        await self._pool.close()

    def reset_connections(self) -> None:
        """Replace pooled connections on next use (after an outage)."""
        self._pool.expire_connections()
