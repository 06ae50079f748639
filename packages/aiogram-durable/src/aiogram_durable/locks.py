"""Per-key locks that serialise one user's updates, in one process or across many.

* ``LocalKeyLocks``: an asyncio lock per key (SQLite and memory: one process).
* ``PostgresKeyLocks`` (``pg_locks``): a session-level advisory lock; a crashed holder's
  connection drops and PostgreSQL releases the lock, so nobody is locked out.
* ``RedisKeyLocks`` (``redis_locks``): a lock with a lease; a crashed holder's lease runs out.

Each distributed lock first takes the local lock, so one process never spends more
than one connection or lock attempt per key at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from aiogram_durable.model import SessionKey


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
