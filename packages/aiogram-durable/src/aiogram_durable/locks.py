"""Per-key locks that serialise one user's updates, in one process or across many.

* ``LocalKeyLocks``: an asyncio lock per key (SQLite and memory: one process).
* ``PostgresKeyLocks``: a session-level advisory lock; a crashed holder's connection
  drops and PostgreSQL releases the lock, so nobody is locked out.
* ``RedisKeyLocks``: redis-py's lock with a renewed lease; a crashed holder's lease runs out.

Each distributed lock first takes the local lock, so one process never spends more
than one connection or lock attempt per key at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any, Final, Protocol

from redis.exceptions import LockError, RedisError

from aiogram_durable.logs import get_logger
from aiogram_durable.model import SessionKey
from aiogram_durable.postgres import LOCK_AND_READ, forget, prefetch

log = get_logger(__name__)
_FIRST_RETRY_S: Final = 0.005
_MAX_RETRY_S: Final = 0.2


class KeyLocks(Protocol):
    """Mutual exclusion per session key."""

    def lock(self, key: SessionKey) -> Any:
        """An async context manager holding the lock of ``key``."""

    async def close(self) -> None:
        """Release resources."""

    def reset_connections(self) -> None:
        """Drop pooled connections after an outage (no-op where there are none)."""


class LocalKeyLocks:
    """asyncio locks, created on demand and dropped when nobody holds or waits."""

    def __init__(self) -> None:
        self._locks: dict[SessionKey, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def lock(self, key: SessionKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def close(self) -> None:
        # Nothing to release; an update still holding a lock must be able to let it go.
        return None

    def reset_connections(self) -> None:
        return None


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


class RedisKeyLocks:
    """Redis locks with a lease, so a crashed holder cannot lock the user out.

    The lease (30 s) is renewed every third of it while the update runs, so it
    outlasts any handler, however many of aiogram's 60 s Telegram requests it makes;
    a holder that dies lets go within one lease. A waiter retries with a backoff
    (5 ms doubling to 200 ms), not a fixed 5 ms poll. Losing the lease (Redis gave
    it to another holder, or is gone) is logged as a warning; neither renewing nor
    releasing ever raises into the update, whose work is already committed.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "durable",
        lease_seconds: float = 30.0,
        wait_seconds: float = 60.0,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._lease = lease_seconds
        self._wait = wait_seconds
        self._local = LocalKeyLocks()

    @asynccontextmanager
    async def lock(self, key: SessionKey) -> AsyncIterator[None]:
        async with self._local.lock(key):
            lock = self._client.lock(f"{self._prefix}:lock:{key}", timeout=self._lease)
            await self._acquire(lock, key)
            renewal = asyncio.create_task(self._renew(lock, key))
            try:
                yield
            finally:
                renewal.cancel()
                with suppress(asyncio.CancelledError):
                    await renewal
                await self._release(lock, key)

    async def _acquire(self, lock: Any, key: SessionKey) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        delay = _FIRST_RETRY_S
        while not await lock.acquire(blocking=False):
            if loop.time() + delay > deadline:
                raise TimeoutError(f"could not lock session {key} within {self._wait}s")
            await asyncio.sleep(delay)  # backoff between attempts on a held lock
            delay = min(delay * 2, _MAX_RETRY_S)

    async def _renew(self, lock: Any, key: SessionKey) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await lock.extend(self._lease, replace_ttl=True)
            except (LockError, RedisError) as exc:
                log.warning("session.lock_lost", key=str(key), error=type(exc).__name__)
                return

    async def _release(self, lock: Any, key: SessionKey) -> None:
        try:
            await lock.release()
        except (LockError, RedisError) as exc:
            # Already lost (logged by the renewal) or Redis is down: the lease ends anyway.
            log.warning("session.lock_release_failed", key=str(key), error=type(exc).__name__)

    async def close(self) -> None:
        await self._client.aclose()

    def reset_connections(self) -> None:
        return None  # redis-py reconnects by itself
