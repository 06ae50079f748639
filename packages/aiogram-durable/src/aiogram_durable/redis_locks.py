"""Per-key locks across processes on Redis: a lock with a renewed lease."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any, Final

from redis.exceptions import LockError, RedisError

from aiogram_durable.locks import LocalKeyLocks
from aiogram_durable.logs import get_logger
from aiogram_durable.model import SessionKey

log = get_logger(__name__)
_FIRST_RETRY_S: Final = 0.005
_MAX_RETRY_S: Final = 0.2


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
