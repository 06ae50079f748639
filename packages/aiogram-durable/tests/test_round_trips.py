"""Round trips per update, lock included, counted at the driver (exact, so asserted;
their cost is the benchmark's business)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import redis.asyncio
from aiogram import Bot, Dispatcher
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from aiogram_durable import (
    FakeClock,
    MemoryAuditLog,
    RedisKeyLocks,
    RedisSessionStore,
    SessionBackend,
    SessionIsolation,
    SessionManager,
    SessionStorage,
    SessionTypes,
    SkipAppliedUpdates,
    finish_flow,
    open_backend,
)
from aiogram_durable.schema import upgrade
from aiogram_durable.testing import RedisServer
from roundtrips import counting, counting_redis
from updates import text_update

USER = 808


class Steps(StatesGroup):
    first = State()
    second = State()


def _dispatcher(backend: SessionBackend) -> Dispatcher:
    manager = SessionManager(
        backend.store, SessionTypes(), MemoryAuditLog(), default_ttl=timedelta(minutes=5)
    )
    storage = SessionStorage(manager)
    storage.add_flow(Steps, "steps")
    dp = Dispatcher(storage=storage, events_isolation=SessionIsolation(storage, backend.locks))
    dp.update.outer_middleware(SkipAppliedUpdates())

    @dp.message(Command("start"))
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(Steps.first)

    @dp.message(Steps.first)
    async def first(message: Message, state: FSMContext) -> None:
        await state.update_data(first=message.text)
        await state.set_state(Steps.second)

    @dp.message(Steps.second)
    async def second(message: Message, state: FSMContext) -> None:
        await finish_flow(state)

    return dp


async def _per_update(dp: Dispatcher, counter: type[Any]) -> list[int]:
    """Round trips of a start, a step and an end, after one flow warmed the caches."""
    bot = Bot("42:" + "D" * 35)

    async def round_trips(text: str, user: int) -> int:
        before = counter.count
        await dp.feed_update(bot, text_update(user, text))
        return int(counter.count - before)

    for text in ("/start", "a", "b"):  # prepared statements, loaded scripts
        await round_trips(text, USER + 1)
    return [await round_trips(t, USER) for t in ("/start", "a", "b")]


async def test_postgresql_round_trips_per_update(pg_url: str) -> None:
    await upgrade(pg_url)
    connection = counting()
    backend = await open_backend(pg_url, pg_connection_class=connection)
    # Lock and read in one, then the write (insert, save or delete) that also unlocks
    # when it commits; no pool reset round trips.
    assert await _per_update(_dispatcher(backend), connection) == [2, 2, 2]
    await backend.close()


async def test_redis_round_trips_per_update(redis_server: RedisServer, clock: FakeClock) -> None:
    connection = counting_redis()

    def client() -> redis.asyncio.Redis:
        return redis.asyncio.Redis.from_url(redis_server.url(12), connection_class=connection)

    backend = SessionBackend(
        RedisSessionStore(client(), clock, prefix="rt"), RedisKeyLocks(client(), prefix="rt")
    )
    # The lock and the read in one script, then the write (insert, save or delete) whose
    # script also releases the lock.
    assert await _per_update(_dispatcher(backend), connection) == [2, 2, 2]
    await backend.close()
