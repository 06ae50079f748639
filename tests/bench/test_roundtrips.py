"""The benchmark's round-trip counter, on real servers: an exact count for a known
sequence of calls."""

from __future__ import annotations

import asyncpg
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from bench.roundtrips import RoundTripCounter

from aiogram_durable.testing import PostgresServer, RedisServer


async def test_counts_aiogram_redis_storage(redis_server: RedisServer) -> None:
    counter = RoundTripCounter()
    storage = RedisStorage.from_url(
        redis_server.url(47), connection_kwargs={"connection_class": counter.redis_class()}
    )
    try:
        await storage.redis.ping()  # opens the connection; its handshake counts too
        assert counter.connections == 1
        before = counter.snapshot()
        key = StorageKey(bot_id=42, chat_id=7001, user_id=7001)
        await storage.set_state(key, "form:name")  # SET
        assert await storage.get_state(key) == "form:name"  # GET
        await storage.set_data(key, {"name": "Ann"})  # SET
        assert await storage.get_data(key) == {"name": "Ann"}  # GET
        async with storage.redis.pipeline(transaction=False) as pipe:
            for name in ("a", "b", "c"):
                pipe.get(name)
            await pipe.execute()  # one packet, one round trip
        await storage.set_state(key, None)  # DEL
        await storage.set_data(key, {})  # DEL
        assert counter.round_trips - before[0] == 7
        assert counter.connections == 1  # the same connection throughout
    finally:
        await storage.close()


async def test_counts_asyncpg(pg_server: PostgresServer) -> None:
    counter = RoundTripCounter()
    conn = await asyncpg.connect(
        pg_server.dsn("postgres"), connection_class=counter.asyncpg_class()
    )
    try:
        assert counter.snapshot() == (0, 1)  # the handshake is not counted
        await conn.fetchval("SELECT 1")
        await conn.fetchrow("SELECT $1::int", 2)
        async with conn.transaction():  # BEGIN and COMMIT
            await conn.execute("SELECT 3")
        await conn.fetch("SELECT generate_series(1, 3)")
        assert counter.round_trips == 6
    finally:
        await conn.close()
