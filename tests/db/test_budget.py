"""One connection budget per process: the pools together never open more than it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from aiogram_durable import SessionKey
from aiogram_durable.testing import PostgresServer
from diana_bot.composition import build_container
from diana_bot.config import ConfigError, load_settings
from diana_bot.db.budget import ConnectionBudget


def test_the_budget_is_split_and_adds_up() -> None:
    sql = ConnectionBudget.split(20, sql_sessions=True)
    assert (sql.locks, sql.store, sql.engine, sql.handlers) == (10, 5, 5, 10)
    redis = ConnectionBudget.split(20, sql_sessions=False)
    assert (redis.locks, redis.store, redis.engine, redis.handlers) == (0, 0, 20, 20)
    for total in range(4, 60):
        for sql_sessions in (True, False):
            budget = ConnectionBudget.split(total, sql_sessions=sql_sessions)
            assert budget.total == total and min(budget.engine, budget.handlers) >= 1
            assert not sql_sessions or min(budget.locks, budget.store) >= 1
    with pytest.raises(ValueError, match="at least 4"):
        ConnectionBudget.split(3, sql_sessions=True)


def test_the_default_fits_four_processes_under_postgres_default() -> None:
    settings = load_settings()
    assert 4 * settings.database_pool_size < 100 - 3  # max_connections - reserved
    with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE"):
        load_settings(database_pool_size=2)


async def _connections(pg_server: PostgresServer, database: str) -> int:
    conn = await asyncpg.connect(pg_server.dsn())
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
        )
    finally:
        await conn.close()
    return int(count)


async def test_a_busy_process_stays_within_its_budget(
    pg_server: PostgresServer, pg_url: str
) -> None:
    database = pg_url.rsplit("/", 1)[1]
    settings = load_settings(database_url=pg_url, database_pool_size=8)
    container = await build_container(settings)
    peak = 0
    all_busy = asyncio.Event()
    running = 0

    async def update(user_id: int) -> None:
        # What a handler does: its key's lock for the whole update, store and engine inside.
        nonlocal running, peak
        key = SessionKey(bot_id=1, chat_id=user_id, user_id=user_id)
        async with container.backend.locks.lock(key):
            running += 1
            if running == container.budget.locks:
                all_busy.set()
            await all_busy.wait()
            await container.sessions.get(key)
            await container.tariffs.list_active()
            peak = max(peak, await _connections(pg_server, database))
            running -= 1

    try:
        assert container.budget == ConnectionBudget(engine=2, store=2, locks=4, handlers=4)
        await asyncio.wait_for(asyncio.gather(*(update(u) for u in range(1, 61))), 60)
        assert 0 < peak <= 8
        assert await _connections(pg_server, database) <= 8
    finally:
        await container.close()
