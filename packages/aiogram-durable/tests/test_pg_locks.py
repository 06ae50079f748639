"""PostgreSQL key locks released by the update's write (two round trips per update):
the waiter sees the write, every kind of write releases, and a failed write never
leaves a key locked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import asyncpg
import pytest

from aiogram_durable import (
    FakeClock,
    SessionBackend,
    SessionExists,
    SessionStore,
    VersionConflict,
    open_backend,
)
from aiogram_durable.model import SessionKey, SessionRecord
from aiogram_durable.schema import upgrade
from aiogram_durable.urls import asyncpg_dsn

KEY = SessionKey(5, 6, 7)
HOUR = timedelta(hours=1)


@pytest.fixture
async def backends(pg_url: str, clock: FakeClock) -> AsyncIterator[list[SessionBackend]]:
    """Two "processes" on one database: each its own store and lock pools."""
    await upgrade(pg_url)
    opened = [await open_backend(pg_url, clock=clock) for _ in "ab"]
    yield opened
    for backend in opened:
        await backend.close()


async def _waiting_locks(pool: asyncpg.Pool) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
    )


async def _held_locks(pool: asyncpg.Pool) -> int:
    return int(
        await pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
    )


async def _until(condition: Callable[[], Awaitable[object]], what: str) -> None:
    for _ in range(3000):  # polls a condition on the server, not a delay
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {what}")


async def _until_a_lock_is_awaited(store: SessionStore) -> None:
    pool = store.pool  # type: ignore[attr-defined]
    await _until(lambda: _waiting_locks(pool), "waited for the lock")


def _new(store: SessionStore, step: str = "s1") -> SessionRecord:
    return store.new_session(KEY, "t", schema_version=1, step=step, data={}, ttl=HOUR)


async def test_unlock_at_commit_keeps_waiters_out_until_the_commit(pg_url: str) -> None:
    # The migration's function on its own: inside an open transaction the lock is
    # still held after it returns; the waiter gets it at the commit and sees the write.
    await upgrade(pg_url)
    dsn = asyncpg_dsn(pg_url)
    holder, waiter = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    await holder.execute("CREATE TABLE IF NOT EXISTS unlock_probe (v int)")
    await holder.execute("TRUNCATE unlock_probe")
    await holder.execute("INSERT INTO unlock_probe VALUES (0)")
    await holder.execute("SELECT pg_advisory_lock(42)")
    wait = asyncio.create_task(
        waiter.fetchval("SELECT v FROM unlock_probe, (SELECT pg_advisory_lock(42)) AS l")
    )
    await _until(lambda: _waiting_locks_on(holder), "waited for the lock")
    transaction = holder.transaction()
    await transaction.start()
    released = await holder.fetchval(
        "WITH w AS (UPDATE unlock_probe SET v = 1 RETURNING 1) "
        "SELECT durable_unlock_at_commit(42) FROM (SELECT count(*) FROM w) AS c"
    )
    assert released is True
    assert await _waiting_locks_on(holder) == 1  # still waiting: not committed yet
    await transaction.commit()
    await asyncio.wait_for(wait, 30)
    # A statement's snapshot predates its lock wait, so the waiter's read above may be
    # old; a read after the grant sees the commit (the lock-and-read function reads so).
    assert await waiter.fetchval("SELECT v FROM unlock_probe") == 1
    assert await waiter.fetchval("SELECT pg_advisory_unlock(42)") is True
    await holder.execute("DROP TABLE unlock_probe")
    await holder.close()
    await waiter.close()


async def _waiting_locks_on(conn: asyncpg.Connection) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
    )


async def test_a_start_releases_the_lock_and_the_waiter_sees_it(
    backends: list[SessionBackend],
) -> None:
    a, b = backends
    seen: list[SessionRecord | None] = []

    async def waiter() -> None:
        async with b.locks.lock(KEY):
            seen.append(await b.store.get(KEY))

    async with a.locks.lock(KEY):
        assert await a.store.get(KEY) is None
        task = asyncio.create_task(waiter())
        await _until_a_lock_is_awaited(a.store)
        await a.store.insert(_new(a.store), replace=False)
        # Released by the insert: the other process goes ahead while this update runs on.
        await asyncio.wait_for(task, 30)
    assert [s.step for s in seen if s is not None] == ["s1"]
    assert await _held_locks(a.store.pool) == 0  # type: ignore[attr-defined]


async def test_a_replacing_start_returns_what_it_displaced(
    backends: list[SessionBackend],
) -> None:
    a, _ = backends
    await a.store.insert(_new(a.store, "old"), replace=False)
    async with a.locks.lock(KEY):
        current = await a.store.get(KEY)
        assert current is not None
        with pytest.raises(SessionExists):
            await a.store.insert(_new(a.store, "refused"), replace=False)
        displaced = await a.store.insert(_new(a.store, "new"), replace=True)
    assert displaced is not None
    assert displaced.id == current.id
    stored = await a.store.get(KEY)
    assert stored is not None
    assert (stored.step, stored.version) == ("new", 1)
    assert await _held_locks(a.store.pool) == 0  # type: ignore[attr-defined]


async def test_a_delete_releases_the_lock_and_returns_the_session(
    backends: list[SessionBackend],
) -> None:
    a, b = backends
    await a.store.insert(_new(a.store), replace=False)
    async with a.locks.lock(KEY):
        current = await a.store.get(KEY)
        assert current is not None
        removed = await a.store.delete(KEY, current.id)
        assert removed is not None
        assert removed.id == current.id
        # Taken by the other process at once, this update still running.
        async with b.locks.lock(KEY):
            assert await b.store.get(KEY) is None
    assert await _held_locks(a.store.pool) == 0  # type: ignore[attr-defined]


async def test_a_second_write_in_one_update_is_compare_and_set(
    backends: list[SessionBackend],
) -> None:
    a, b = backends
    await a.store.insert(_new(a.store), replace=False)
    async with a.locks.lock(KEY):
        current = await a.store.get(KEY)
        assert current is not None
        saved = await a.store.save(current, step="s2", data={}, ttl=HOUR)
        # The first write released the key: another process writes before our second.
        async with b.locks.lock(KEY):
            theirs = await b.store.get(KEY)
            assert theirs is not None
            await b.store.save(theirs, step="theirs", data={}, ttl=HOUR)
        with pytest.raises(VersionConflict):
            await a.store.save(saved, step="s3", data={}, ttl=HOUR)
    stored = await a.store.get(KEY)
    assert stored is not None
    assert (stored.step, stored.version) == ("theirs", 3)


async def test_a_refused_save_still_releases_the_lock(backends: list[SessionBackend]) -> None:
    a, b = backends
    await a.store.insert(_new(a.store), replace=False)
    async with a.locks.lock(KEY):
        current = await a.store.get(KEY)
        assert current is not None
        # A writer that takes no lock (a clear from the CLI, say) got in first.
        await b.store.save(current, step="cli", data={}, ttl=HOUR)
        with pytest.raises(VersionConflict):
            await a.store.save(current, step="s2", data={}, ttl=HOUR)
        async with b.locks.lock(KEY):  # released by the refused write
            pass
    assert await _held_locks(a.store.pool) == 0  # type: ignore[attr-defined]


async def test_an_update_that_writes_nothing_unlocks_at_its_end(
    backends: list[SessionBackend],
) -> None:
    a, _ = backends
    async with a.locks.lock(KEY):
        assert await a.store.get(KEY) is None
        assert await _held_locks(a.store.pool) == 1  # type: ignore[attr-defined]
    assert await _held_locks(a.store.pool) == 0  # type: ignore[attr-defined]


async def test_a_cancelled_write_never_leaves_the_key_locked(
    backends: list[SessionBackend], pg_url: str
) -> None:
    a, b = backends
    await a.store.insert(_new(a.store), replace=False)
    blocker = await asyncpg.connect(asyncpg_dsn(pg_url))
    # Hold the row so the write waits, then cancel the update during the write.
    transaction = blocker.transaction()
    await transaction.start()
    await blocker.execute("SELECT 1 FROM durable_sessions WHERE user_id = $1 FOR UPDATE", 7)

    async def update() -> None:
        async with a.locks.lock(KEY):
            current = await a.store.get(KEY)
            assert current is not None
            await a.store.save(current, step="s2", data={}, ttl=HOUR)

    task = asyncio.create_task(update())
    await _until(
        lambda: blocker.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ),
        "waited for the row",
    )
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await transaction.rollback()
    await blocker.close()
    # The connection that may have held the lock was closed, not pooled: free again.
    async with b.locks.lock(KEY):
        stored = await b.store.get(KEY)
    assert stored is not None
    assert stored.step in {"s1", "s2"}


async def test_updates_get_the_lock_pool_first_come_first_served(
    pg_url: str, clock: FakeClock
) -> None:
    # One lock connection and three updates waiting for it. The holder's write releases
    # the lock, so its end sends nothing; another update of this process runs right
    # after the connection goes back (as with many updates in flight): it must queue
    # behind the three, not take the connection before the first of them wakes up.
    await upgrade(pg_url)
    backend = await open_backend(pg_url, clock=clock, lock_pool=1)
    order: list[str] = []
    release, steal = asyncio.Event(), asyncio.Event()

    async def update(name: str, user: int) -> None:
        async with backend.locks.lock(SessionKey(5, 6, user)):
            order.append(name)

    async def holder() -> None:
        async with backend.locks.lock(KEY):
            order.append("first")
            await backend.store.insert(_new(backend.store), replace=False)
            await release.wait()

    async def newcomer() -> None:
        await steal.wait()
        await asyncio.sleep(0)  # behind the pool's release, ahead of the woken waiter
        await update("newcomer", 2)

    first = asyncio.create_task(holder())
    await _until(lambda: _true(len(order) == 1), "took the lock")
    waiting = [asyncio.create_task(update(f"waiter{i}", 10 + i)) for i in range(3)]
    late = asyncio.create_task(newcomer())
    for _ in range(5):  # let every waiter reach the queue
        await asyncio.sleep(0)
    release.set()
    steal.set()
    await asyncio.gather(first, late, *waiting)
    assert order == ["first", "waiter0", "waiter1", "waiter2", "newcomer"]
    await backend.close()


async def _true(value: bool) -> bool:
    return value
