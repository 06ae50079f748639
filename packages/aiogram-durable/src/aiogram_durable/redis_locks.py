"""Per-key locks across processes on Redis: a lock with a renewed lease, taken together
with the session's read and released by the session's write."""

from __future__ import annotations

import asyncio
import math
import secrets
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any, Final

from redis.commands.core import AsyncScript
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from aiogram_durable.locks import LocalKeyLocks
from aiogram_durable.logs import get_logger
from aiogram_durable.model import SessionKey
from aiogram_durable.redis import (
    DEFAULT_MAX_IN_FLIGHT,
    EXTEND,
    LOCK_AND_READ,
    RELEASE,
    HeldLock,
    RedisKeys,
    hold,
    let_go,
    run_script,
    server_of,
)

log = get_logger(__name__)
# How long a waiter waits for a wake-up when the lock has no lease to bound the wait
# (set by hand, without PX); also the slack of a waiter's "wake me" mark.
_FALLBACK_MS: Final = 1000


class RedisKeyLocks:
    """Redis locks with a lease, so a crashed holder cannot lock the user out.

    Taking a key's lock is one script that also reads the key's session hash, which
    ``RedisSessionStore.get`` then uses (same server and prefix; ``redis.HeldLock``).
    The store's first write of the key in the update (insert, save or delete) releases
    the lock in the same script and wakes a waiter: an update costs a lock-and-read and
    a write-and-release, two round trips. From that write on, the rest of the update
    (the bot's reply, say) runs under this process's local lock only, so another process
    may take the key while it does; a later write of the key in the same update is an
    ordinary compare-and-set write (``VersionConflict`` if another process wrote in
    between). An update that writes nothing releases at its end, also two round trips.
    The PostgreSQL backend (``PostgresKeyLocks``) has the same semantics.

    A waiter does not poll: its failed attempt marks the key as awaited, and the
    holder's release then pushes a wake-up onto a per-key list that the waiter blocks on
    (``BLPOP``). Each wait is bounded by the holder's remaining lease (a holder that
    crashed sends no wake-up; its lease runs out) and by ``wait_seconds``, after which
    ``TimeoutError`` is raised.

    The lease (30 s) is renewed every third of it until the lock is released, so it
    outlasts any handler, however many of aiogram's 60 s Telegram requests it makes;
    a holder that dies lets go within one lease. Losing the lease (Redis gave it to
    another holder, or is gone) is logged as a warning; neither renewing nor releasing
    ever raises into the update, whose work is already committed.

    At most ``max_in_flight`` of its commands run at once, first come first served,
    waits included (one per key another process holds: this process's own updates of
    a key queue on a local lock first); give ``client`` a pool at least that large.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "durable",
        lease_seconds: float = 30.0,
        wait_seconds: float = 60.0,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._client = client
        # First come, first served, and never more commands (so connections) than the
        # client's pool allows: redis-py's pool raises MaxConnectionsError instead of
        # waiting, which failed every update past the 100th in flight.
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._keys = RedisKeys(prefix)
        self._lease = lease_seconds
        self._lease_ms = max(1, round(lease_seconds * 1000))
        self._wait = wait_seconds
        self._local = LocalKeyLocks()
        self._server = server_of(client)
        self._lock_and_read = client.register_script(LOCK_AND_READ)
        self._release_script = client.register_script(RELEASE)
        self._extend_script = client.register_script(EXTEND)

    @asynccontextmanager
    async def lock(self, key: SessionKey) -> AsyncIterator[None]:
        async with self._local.lock(key):
            held = await self._acquire(key)
            token = hold(key, held)
            renewal = _Renewal(self._lease / 3, self._renew(held, key))
            try:
                yield
            finally:
                let_go(token)
                await renewal.stop()
                await self._release(held, key)

    def _names(self, key: SessionKey) -> list[str]:
        # What the lock scripts take; they build the lock's own key names from these.
        return [self._keys.prefix, self._keys.record(key)]

    async def _acquire(self, key: SessionKey) -> HeldLock:
        wake = self._keys.wake(key)
        script_keys = self._names(key)
        token = secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        while True:
            try:
                reply = await self._run(
                    self._lock_and_read, script_keys, [token, self._lease_ms, _FALLBACK_MS]
                )
            except BaseException:
                # Cancelled mid-call: the lock may have been granted to this token.
                with suppress(RedisError):
                    await self._run(self._release_script, self._names(key), [token])
                raise
            if reply[0] == 1:
                return HeldLock(self._keys, key, token, reply[1:], self._server)
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"could not lock session {key} within {self._wait}s")
            await self._await_wake(wake, min(int(reply[1]) / 1000, left))

    async def _await_wake(self, wake: str, seconds: float) -> None:
        """Block until a release wakes us or ``seconds`` pass.

        Why a list and BLPOP rather than PUBLISH: a wake-up pushed between our failed
        attempt and our BLPOP stays in the list, where a message published then would
        be missed (unless each wait first spent a round trip on SUBSCRIBE); and one
        release wakes one waiter, not all of them, on an ordinary pooled connection.
        """
        # BLPOP's timeout is in whole milliseconds, and 0 would block for ever.
        timeout = max(1, math.ceil(seconds * 1000)) / 1000
        # A client socket timeout shorter than the wait ends it early: look again.
        with suppress(RedisTimeoutError):
            async with self._in_flight:
                await self._client.blpop([wake], timeout=timeout)

    async def _renew(self, held: HeldLock, key: SessionKey) -> None:
        # Started by ``_Renewal`` a third of the lease after the lock was taken.
        while True:
            if held.released:
                return  # the update's write released it; nothing left to renew
            try:
                ours = await self._run(
                    self._extend_script, [held.lock], [held.token, self._lease_ms]
                )
            except RedisError as exc:
                if not held.released:
                    log.warning("session.lock_lost", key=str(key), error=type(exc).__name__)
                return
            if not ours and not held.released:
                held.released = held.lost = True
                log.warning("session.lock_lost", key=str(key), error="not_ours")
                return
            await asyncio.sleep(self._lease / 3)

    async def _release(self, held: HeldLock, key: SessionKey) -> None:
        """Release what the update's write did not; never raises a Redis error."""
        if held.lost:
            # Another holder had it when the renewal or the write looked.
            log.warning("session.lock_release_failed", key=str(key), error="not_ours")
            return
        if held.released and not held.unsure:
            return
        held.released = True
        try:
            ours = await self._run(self._release_script, self._names(key), [held.token])
        except RedisError as exc:
            # Already lost or Redis is down: the lease ends anyway.
            log.warning("session.lock_release_failed", key=str(key), error=type(exc).__name__)
            return
        # After a write that failed midway, "not ours" may mean the write released it.
        if not ours and not held.unsure:
            log.warning("session.lock_release_failed", key=str(key), error="not_ours")

    async def _run(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        async with self._in_flight:
            return await run_script(script, keys, args)

    async def close(self) -> None:
        await self._client.aclose()

    def reset_connections(self) -> None:
        return None  # redis-py reconnects by itself


class _Renewal:
    """Runs a lock's renewal loop once a third of its lease has passed, from a timer.

    Almost every update ends long before its first renewal is due; a timer costs it a
    few microseconds where a renewal task per update (created, then cancelled and
    awaited) cost ~20 µs of CPU here.
    """

    def __init__(self, delay: float, renewal: Coroutine[Any, Any, None]) -> None:
        self._renewal: Coroutine[Any, Any, None] | None = renewal
        self._task: asyncio.Task[None] | None = None
        self._timer = asyncio.get_running_loop().call_later(delay, self._start)

    def _start(self) -> None:
        if self._renewal is not None:
            self._task = asyncio.create_task(self._renewal)
            self._renewal = None

    async def stop(self) -> None:
        """Stop the renewals, started or not."""
        self._timer.cancel()
        if self._renewal is not None:
            self._renewal.close()  # never started: nothing to await
            self._renewal = None
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
