"""Key locks: mutual exclusion, and no lock-out when a holder dies."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest
import redis.asyncio as aioredis

from aiogram_durable import FakeClock, SessionRecord, SessionStore, open_backend
from aiogram_durable import redis_locks as locks_module
from aiogram_durable.locks import LocalKeyLocks
from aiogram_durable.model import SessionKey
from aiogram_durable.pg_locks import PostgresKeyLocks, advisory_lock_id
from aiogram_durable.redis_locks import RedisKeyLocks
from aiogram_durable.schema import upgrade
from aiogram_durable.testing import RedisServer
from aiogram_durable.urls import asyncpg_dsn

KEY = SessionKey(1, 2, 3)
HOUR = timedelta(hours=1)


async def _exclusive(locks: object, n: int = 50) -> int:
    """Run ``n`` read-modify-write critical sections; returns the final counter."""
    counter = 0

    async def bump() -> None:
        nonlocal counter
        async with locks.lock(KEY):  # type: ignore[attr-defined]
            value = counter
            await asyncio.sleep(0)  # hand the loop to the others mid-section
            counter = value + 1

    await asyncio.gather(*(bump() for _ in range(n)))
    return counter


async def test_local_locks_exclude_and_clean_up() -> None:
    locks = LocalKeyLocks()
    assert await _exclusive(locks) == 50
    assert locks._locks == {}


@pytest.fixture
async def locks_dsn(pg_url: str) -> str:
    """A database with the library's tables (the lock statement reads the session)."""
    await upgrade(pg_url)
    return asyncpg_dsn(pg_url)


async def test_postgres_locks_exclude_across_pools(locks_dsn: str) -> None:
    pools = [await asyncpg.create_pool(locks_dsn, min_size=1, max_size=5) for _ in "ab"]
    a, b = PostgresKeyLocks(pools[0]), PostgresKeyLocks(pools[1])
    counter = 0

    async def bump(locks: PostgresKeyLocks) -> None:
        nonlocal counter
        async with locks.lock(KEY):
            value = counter
            # A round trip mid-section: without the advisory lock the other pool's
            # tasks would read the same value here.
            await pools[0].fetchval("SELECT 1")
            counter = value + 1

    await asyncio.gather(*(bump(a if i % 2 else b) for i in range(40)))
    assert counter == 40
    await a.close()
    await b.close()


async def _hold(locks: object, order: list[str], name: str) -> None:
    async with locks.lock(KEY):  # type: ignore[attr-defined]
        order.append(name)


async def test_postgres_lock_of_a_dead_holder_is_released(locks_dsn: str) -> None:
    dead = await asyncpg.connect(locks_dsn)
    await dead.execute("SELECT pg_advisory_lock($1)", advisory_lock_id(KEY))
    pool = await asyncpg.create_pool(locks_dsn, min_size=1, max_size=2)
    locks = PostgresKeyLocks(pool)
    order: list[str] = []
    waiter = asyncio.create_task(_hold(locks, order, "survivor"))
    # The holder's process dies: its connection goes away without unlocking.
    dead.terminate()
    await asyncio.wait_for(waiter, 30)
    assert order == ["survivor"]
    await locks.close()


async def test_the_lock_reads_what_the_previous_holder_committed(
    pg_url: str, clock: FakeClock
) -> None:
    # The waiter's read runs after its lock is granted, on a snapshot of its own: it
    # must see the holder's write, committed while the waiter was already waiting.
    await upgrade(pg_url)
    backends = [await open_backend(pg_url, clock=clock) for _ in "ab"]
    store = backends[0].store
    session = await store.insert(
        store.new_session(KEY, "t", schema_version=1, step="s1", data={}, ttl=HOUR),
        replace=False,
    )
    assert session is None
    seen: list[SessionRecord | None] = []

    async def waiter() -> None:
        async with backends[1].locks.lock(KEY):
            seen.append(await backends[1].store.get(KEY))

    async with backends[0].locks.lock(KEY):
        current = await store.get(KEY)
        assert current is not None
        task = asyncio.create_task(waiter())
        await _until_a_lock_is_awaited(store)
        await store.save(current, step="s2", data={"n": 2}, ttl=HOUR)
    await asyncio.wait_for(task, 30)
    assert [(s.step, s.data, s.version) for s in seen if s is not None] == [("s2", {"n": 2}, 2)]
    for backend in backends:
        await backend.close()


async def _until_a_lock_is_awaited(store: SessionStore) -> None:
    pool = store.pool  # type: ignore[attr-defined]
    for _ in range(3000):  # polls a condition (a lock waiter in pg_locks), not a delay
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second lock never waited")


async def test_redis_locks_exclude(redis_server: RedisServer) -> None:
    # Two lock objects, as two processes would have: only Redis keeps them apart.
    a, b = (
        RedisKeyLocks(aioredis.Redis.from_url(redis_server.url(61)), prefix="lk1") for _ in "ab"
    )
    counter = 0

    async def bump(locks: RedisKeyLocks) -> None:
        nonlocal counter
        async with locks.lock(KEY):
            value = counter
            await asyncio.sleep(0)
            counter = value + 1

    await asyncio.gather(*(bump(a if i % 2 else b) for i in range(30)))
    assert counter == 30
    await a.close()
    await b.close()


async def test_redis_lock_of_a_dead_holder_expires(redis_server: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_server.url(61))
    # A holder that died mid-update: its lease is all that is left of it.
    await client.set(f"lk2:lock:{KEY}", "dead-holder", px=300)
    locks = RedisKeyLocks(
        aioredis.Redis.from_url(redis_server.url(61)), prefix="lk2", wait_seconds=30
    )
    order: list[str] = []
    await asyncio.wait_for(_hold(locks, order, "survivor"), 30)
    assert order == ["survivor"]
    await locks.close()
    await client.aclose()


class _Warnings:
    """Stands in for the module's logger: records warnings, wakes on a lost lease."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.lost = asyncio.Event()

    def warning(self, event: str, **_fields: object) -> None:
        self.events.append(event)
        if event == "session.lock_lost":
            self.lost.set()


def _redis_locks(
    redis_server: RedisServer,
    prefix: str,
    *,
    lease_seconds: float = 30.0,
    wait_seconds: float = 60.0,
) -> RedisKeyLocks:
    return RedisKeyLocks(
        aioredis.Redis.from_url(redis_server.url(61)),
        prefix=prefix,
        lease_seconds=lease_seconds,
        wait_seconds=wait_seconds,
    )


async def test_redis_lease_is_renewed_while_the_update_runs(redis_server: RedisServer) -> None:
    holder = _redis_locks(redis_server, "lk3", lease_seconds=0.3)
    other = _redis_locks(redis_server, "lk3", wait_seconds=0.05)
    client = aioredis.Redis.from_url(redis_server.url(61))
    name = f"lk3:lock:{KEY}"
    async with holder.lock(KEY):
        token = await client.get(name)
        await asyncio.sleep(1.2)  # a handler that runs four leases long
        assert await client.get(name) == token  # still ours: renewed, never lapsed
        try:
            async with other.lock(KEY):
                raise AssertionError("a second holder got the lock")
        except TimeoutError:
            pass
    assert await client.exists(name) == 0
    for locks in (holder, other):
        await locks.close()
    await client.aclose()


async def test_a_lost_redis_lease_is_a_warning_not_an_error(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings = _Warnings()
    monkeypatch.setattr(locks_module, "log", warnings)
    locks = _redis_locks(redis_server, "lk4", lease_seconds=0.3)
    client = aioredis.Redis.from_url(redis_server.url(61))
    name = f"lk4:lock:{KEY}"
    async with locks.lock(KEY):
        # Redis gave the lock to someone else (e.g. after a failover).
        await client.set(name, "another-holder", px=60_000)
        await asyncio.wait_for(warnings.lost.wait(), 10)  # the renewal noticed
    # Leaving did not raise, and did not release the other holder's lock.
    assert await client.get(name) == b"another-holder"
    assert warnings.events == ["session.lock_lost", "session.lock_release_failed"]
    await locks.close()
    await client.aclose()


async def test_releasing_with_redis_gone_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings = _Warnings()
    monkeypatch.setattr(locks_module, "log", warnings)
    server = RedisServer().start()
    try:
        locks = RedisKeyLocks(aioredis.Redis.from_url(server.url(0)), prefix="lk5")
        async with locks.lock(KEY):
            server.stop()  # the update's work is done; Redis goes away
        assert warnings.events == ["session.lock_release_failed"]
        await locks.close()
    finally:
        server.cleanup()


async def test_waiting_for_a_held_redis_lock_does_not_poll(redis_server: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_server.url(61))
    await client.set(f"lk6:lock:{KEY}", "busy-holder", px=60_000)
    waiter = _redis_locks(redis_server, "lk6", wait_seconds=1.5)
    before = await _set_calls(client)
    try:
        async with waiter.lock(KEY):
            raise AssertionError("took a held lock")
    except TimeoutError:
        pass
    # A fixed 5 ms poll makes ~300 attempts in 1.5 s. The waiter blocks on its wake-up
    # list instead, bounded by the time it has left: an attempt (SET NX and a SET of the
    # "waiting" mark) before and after that one wait.
    assert await _set_calls(client) - before < 10
    await waiter.close()
    await client.aclose()


async def _set_calls(client: aioredis.Redis) -> int:
    stats = await client.info("commandstats")
    return int(stats.get("cmdstat_set", {}).get("calls", 0))


async def test_more_redis_updates_in_flight_than_connections_wait_for_one(
    redis_server: RedisServer,
) -> None:
    # redis-py's pool raises rather than waits: 40 updates on a pool of 4 used to fail.
    client = aioredis.Redis.from_url(redis_server.url(61), max_connections=4)
    locks = RedisKeyLocks(client, prefix="lk-many", max_in_flight=4)
    done: list[int] = []

    async def update(user: int) -> None:
        async with locks.lock(SessionKey(1, user, user)):
            done.append(user)

    try:
        await asyncio.gather(*(update(user) for user in range(40)))
        assert sorted(done) == list(range(40))
    finally:
        await locks.close()


def test_redis_locks_need_a_command_in_flight(redis_server: RedisServer) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RedisKeyLocks(aioredis.Redis.from_url(redis_server.url(61)), max_in_flight=0)
