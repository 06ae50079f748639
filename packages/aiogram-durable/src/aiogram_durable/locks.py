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
from collections import deque
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
    """A FIFO mutex per key, in a dict only while somebody holds or waits for it.

    Not an ``asyncio.Lock`` per key: in the usual case, nobody else on the key, taking
    and releasing is one dict insert and one delete, with no lock object and no
    suspension (this runs on every update).
    """

    def __init__(self) -> None:
        # Held keys -> their waiters, oldest first (None: held, nobody waits).
        self._locks: dict[SessionKey, deque[asyncio.Future[None]] | None] = {}

    def lock(self, key: SessionKey) -> _LocalHold:
        """An async context manager holding the lock of ``key``."""
        return _LocalHold(self, key)

    def try_acquire(self, key: SessionKey) -> bool:
        """Take the lock of ``key`` if it is free; False when it is not."""
        if key in self._locks:
            return False
        self._locks[key] = None
        return True

    async def acquire(self, key: SessionKey) -> None:
        """Take the lock of ``key``, waiting in line for it."""
        if self.try_acquire(key):
            return
        waiters = self._locks[key]
        if waiters is None:
            waiters = self._locks[key] = deque()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release(key)  # handed the lock, then cancelled: pass it on
            else:
                waiters.remove(waiter)
            raise

    def release(self, key: SessionKey) -> None:
        """Hand the lock of ``key`` to the next waiter, or free it."""
        waiters = self._locks[key]
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                # Handed over, not freed: nobody can take it before the waiter runs.
                waiter.set_result(None)
                return
        del self._locks[key]

    async def close(self) -> None:
        # Nothing to release; an update still holding a lock must be able to let it go.
        return None

    def reset_connections(self) -> None:
        return None


class _LocalHold:
    """``async with locks.lock(key)`` on ``LocalKeyLocks``."""

    __slots__ = ("_key", "_locks")

    def __init__(self, locks: LocalKeyLocks, key: SessionKey) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        await self._locks.acquire(self._key)

    async def __aexit__(self, *exc: object) -> None:
        self._locks.release(self._key)
