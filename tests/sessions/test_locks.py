"""Key locks: mutual exclusion, and no lock-out when a holder dies."""

from __future__ import annotations

import asyncio

import asyncpg
import redis.asyncio as aioredis

from diana_bot.sessions.locks import (
    LocalKeyLocks,
    PostgresKeyLocks,
    RedisKeyLocks,
    advisory_lock_id,
)
from diana_bot.sessions.model import SessionKey
from diana_bot.testing.servers import PostgresServer, RedisServer

KEY = SessionKey(1, 2, 3)


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


async def test_postgres_locks_exclude_across_pools(pg_server: PostgresServer) -> None:
    pools = [await asyncpg.create_pool(pg_server.dsn(), min_size=1, max_size=5) for _ in "ab"]
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


async def test_postgres_lock_of_a_dead_holder_is_released(pg_server: PostgresServer) -> None:
    dead = await asyncpg.connect(pg_server.dsn())
    await dead.execute("SELECT pg_advisory_lock($1)", advisory_lock_id(KEY))
    pool = await asyncpg.create_pool(pg_server.dsn(), min_size=1, max_size=2)
    locks = PostgresKeyLocks(pool)
    order: list[str] = []
    waiter = asyncio.create_task(_hold(locks, order, "survivor"))
    # The holder's process dies: its connection goes away without unlocking.
    dead.terminate()
    await asyncio.wait_for(waiter, 30)
    assert order == ["survivor"]
    await locks.close()


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
