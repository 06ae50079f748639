"""Round trips to PostgreSQL per update, lock included, counted at the driver (exact,
so asserted; their cost is the benchmark's business)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from aiogram_durable import (
    MemoryAuditLog,
    SessionIsolation,
    SessionManager,
    SessionStorage,
    SessionTypes,
    SkipAppliedUpdates,
    finish_flow,
    open_backend,
)
from aiogram_durable.schema import upgrade
from roundtrips import counting
from updates import text_update

USER = 808


class Steps(StatesGroup):
    first = State()
    second = State()


async def test_postgresql_round_trips_per_update(pg_url: str) -> None:
    await upgrade(pg_url)
    connection = counting()
    backend = await open_backend(pg_url, pg_connection_class=connection)
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

    bot = Bot("42:" + "D" * 35)

    async def round_trips(text: str, user: int) -> int:
        before = connection.count
        await dp.feed_update(bot, text_update(user, text))
        return connection.count - before

    for text in ("/start", "a", "b"):  # warm the prepared-statement caches
        await round_trips(text, USER + 1)
    # Lock and read in one, then the write (insert, save or delete), then the unlock;
    # no pool reset round trips.
    assert [await round_trips(t, USER) for t in ("/start", "a", "b")] == [3, 3, 3]
    await backend.close()
