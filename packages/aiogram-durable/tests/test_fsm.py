"""The aiogram adapter: ordinary FSM code, one read and at most one write per update."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message

from aiogram_durable.audit import MemoryAuditLog
from aiogram_durable.fsm import (
    SessionIsolation,
    SessionStorage,
    cancel_flow,
    finish_flow,
    session_id_of,
)
from aiogram_durable.locks import LocalKeyLocks
from aiogram_durable.manager import SessionManager
from aiogram_durable.model import JsonDict, SessionKey, SessionRecord
from aiogram_durable.store import SessionStore
from aiogram_durable.types import SessionTypes
from harness import Harness
from updates import text_update

TOKEN = "42:" + "A" * 35
USER = 500


class Demo(StatesGroup):
    price = State()
    name = State()


class Other(StatesGroup):
    only = State()


class SpyStore(SessionStore):
    """A real store, with every call counted (a spy, not a mock: all calls go through)."""

    def __init__(self, inner: SessionStore) -> None:
        super().__init__(inner.clock)
        self.inner = inner
        self.calls: Counter[str] = Counter()

    async def get(self, key: SessionKey) -> SessionRecord | None:
        self.calls["get"] += 1
        return await self.inner.get(key)

    async def get_by_id(self, session_id: str) -> SessionRecord | None:
        self.calls["get_by_id"] += 1
        return await self.inner.get_by_id(session_id)

    async def list_active(self, **kw: Any) -> list[SessionRecord]:
        return await self.inner.list_active(**kw)

    async def count_by_type(self) -> dict[str, int]:
        return await self.inner.count_by_type()

    async def _insert(
        self, session: SessionRecord, data_json: str, *, replace: bool
    ) -> SessionRecord | None:
        self.calls["insert"] += 1
        return await self.inner._insert(session, data_json, replace=replace)

    async def _save(
        self,
        session: SessionRecord,
        step: str | None,
        data: JsonDict,
        data_json: str,
        now: datetime,
        expires_at: datetime,
    ) -> SessionRecord:
        self.calls["save"] += 1
        return await self.inner._save(session, step, data, data_json, now, expires_at)

    async def delete(self, key: SessionKey, session_id: str | None = None) -> SessionRecord | None:
        self.calls["delete"] += 1
        return await self.inner.delete(key, session_id)

    async def delete_many(self, **kw: Any) -> list[SessionRecord]:
        return await self.inner.delete_many(**kw)

    async def sweep(self, limit: int) -> list[SessionRecord]:
        return await self.inner.sweep(limit)

    def writes(self) -> int:
        return self.calls["insert"] + self.calls["save"] + self.calls["delete"]


def _build(harness: Harness) -> tuple[Dispatcher, SpyStore, MemoryAuditLog, list[str]]:
    spy = SpyStore(harness.store)
    audit = MemoryAuditLog()
    manager = SessionManager(spy, SessionTypes(), audit, default_ttl=timedelta(minutes=10))
    storage = SessionStorage(manager)
    storage.add_flow(Demo, "demo")
    storage.add_flow(Other, "other")
    dp = Dispatcher(storage=storage, events_isolation=SessionIsolation(storage, LocalKeyLocks()))
    router = Router()
    seen_ids: list[str] = []

    @router.message(Command("start"))
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(Demo.price)
        await state.update_data(started=True)
        sid = await session_id_of(state)
        assert sid is not None
        seen_ids.append(sid)

    @router.message(Command("other"))
    async def other(message: Message, state: FSMContext) -> None:
        await state.set_state(Other.only)

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext) -> None:
        await cancel_flow(state, by=message.chat.id)

    @router.message(Command("restart"))
    async def restart(message: Message, state: FSMContext) -> None:
        # Discard the open flow and start one of the same kind, in one update.
        await cancel_flow(state, by=message.chat.id)
        await state.set_state(Demo.price)
        seen_ids.append(await session_id_of(state) or "")

    @router.message(StateFilter(Demo.price))
    async def price(message: Message, state: FSMContext) -> None:
        if message.text == "boom":
            await state.update_data(price="half-written")
            raise ValueError("bad input")
        await state.update_data(price=message.text)
        await state.set_state(Demo.name)
        seen_ids.append(await session_id_of(state) or "")

    @router.message(StateFilter(Demo.name))
    async def name(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        await state.update_data(name=message.text, price_seen=data["price"])
        await finish_flow(state)

    @router.message()
    async def no_flow(message: Message, state: FSMContext) -> None:
        return None

    dp.include_router(router)
    return dp, spy, audit, seen_ids


@pytest.fixture
def bot() -> Bot:
    return Bot(TOKEN)


async def _feed(dp: Dispatcher, bot: Bot, spy: SpyStore, text: str) -> tuple[int, int]:
    before_reads, before_writes = spy.calls["get"], spy.writes()
    await dp.feed_update(bot, text_update(USER, text))
    return spy.calls["get"] - before_reads, spy.writes() - before_writes


async def test_flow_costs_one_read_and_one_write_per_update(harness: Harness, bot: Bot) -> None:
    dp, spy, audit, seen_ids = _build(harness)
    assert await _feed(dp, bot, spy, "/start") == (1, 1)
    assert await _feed(dp, bot, spy, "29.99") == (1, 1)
    assert await _feed(dp, bot, spy, "Gold") == (1, 1)
    assert await _feed(dp, bot, spy, "hello") == (1, 0)  # nothing open: nothing written
    assert [e.event for e in audit.events] == ["started", "step", "completed"]
    assert seen_ids[0] == seen_ids[1] == audit.events[0].session_id
    assert await harness.store.get(SessionKey(42, USER, USER)) is None


async def test_state_and_data_are_stored_together(harness: Harness, bot: Bot) -> None:
    dp, spy, _, _ = _build(harness)
    await _feed(dp, bot, spy, "/start")
    await _feed(dp, bot, spy, "10")
    stored = await harness.store.get(SessionKey(42, USER, USER))
    assert stored is not None
    assert stored.session_type == "demo"
    assert stored.step == "name"
    assert stored.data == {"started": True, "price": "10"}
    assert stored.version == 2


async def test_a_failing_handler_writes_nothing(harness: Harness, bot: Bot) -> None:
    dp, spy, _, _ = _build(harness)
    await _feed(dp, bot, spy, "/start")
    with pytest.raises(ValueError, match="bad input"):
        await dp.feed_update(bot, text_update(USER, "boom"))
    stored = await harness.store.get(SessionKey(42, USER, USER))
    assert stored is not None and stored.step == "price" and "price" not in stored.data
    assert spy.calls["save"] == 0


async def test_a_new_flow_replaces_the_open_one(harness: Harness, bot: Bot) -> None:
    dp, spy, audit, _ = _build(harness)
    await _feed(dp, bot, spy, "/start")
    await _feed(dp, bot, spy, "/other")
    stored = await harness.store.get(SessionKey(42, USER, USER))
    assert stored is not None and stored.session_type == "other"
    assert [e.event for e in audit.events] == ["started", "cancelled", "started"]


async def test_cancel_is_audited_as_cancelled(harness: Harness, bot: Bot) -> None:
    dp, spy, audit, _ = _build(harness)
    await _feed(dp, bot, spy, "/start")
    await _feed(dp, bot, spy, "/cancel")
    assert [e.event for e in audit.events] == ["started", "cancelled"]
    assert audit.events[-1].detail == {"by": USER}


async def test_a_flow_ended_and_started_again_in_one_update_is_a_new_session(
    harness: Harness, bot: Bot
) -> None:
    dp, spy, audit, seen_ids = _build(harness)
    await _feed(dp, bot, spy, "/start")
    await _feed(dp, bot, spy, "10")
    await _feed(dp, bot, spy, "/restart")
    old, new = seen_ids[0], seen_ids[-1]
    assert new != old
    stored = await harness.store.get(SessionKey(42, USER, USER))
    assert stored is not None and (stored.id, stored.step, stored.data) == (new, "price", {})
    assert [(e.event, e.session_id) for e in audit.events][-2:] == [
        ("cancelled", old),
        ("started", new),
    ]


async def test_flow_resumes_in_a_new_dispatcher(harness: Harness, bot: Bot) -> None:
    dp, spy, _, _ = _build(harness)
    await _feed(dp, bot, spy, "/start")
    await _feed(dp, bot, spy, "7.50")
    # A new dispatcher on a reopened store: what a restarted process sees.
    reopened = await harness.reopen()
    fresh = Harness(harness.name, reopened, harness.clock, harness.reopen, harness.corrupt)
    dp2, spy2, audit2, _ = _build(fresh)
    await _feed(dp2, bot, spy2, "Silver")
    assert [e.event for e in audit2.events] == ["completed"]
    assert audit2.events[0].detail is None


async def test_expired_flow_is_gone_for_the_fsm(harness: Harness, bot: Bot) -> None:
    dp, spy, _, _ = _build(harness)
    await _feed(dp, bot, spy, "/start")
    harness.clock.advance(600)
    # The expired flow is invisible: "Gold" reaches the no-flow handler and writes nothing.
    assert await _feed(dp, bot, spy, "Gold") == (1, 0)


async def test_write_through_outside_an_update(harness: Harness) -> None:
    _, spy, _, _ = _build(harness)
    manager = SessionManager(
        spy, SessionTypes(), MemoryAuditLog(), default_ttl=timedelta(minutes=10)
    )
    storage = SessionStorage(manager)
    storage.add_flow(Demo, "demo")
    key = StorageKey(bot_id=42, chat_id=7, user_id=7)
    ctx = FSMContext(storage, key)
    await ctx.set_state(Demo.price)
    await ctx.update_data(a=1)
    assert await ctx.get_state() == Demo.price.state
    assert await ctx.get_data() == {"a": 1}
    stored = await harness.store.get(SessionKey(42, 7, 7))
    assert stored is not None and stored.data == {"a": 1}
    await ctx.clear()
    assert await harness.store.get(SessionKey(42, 7, 7)) is None


async def test_closing_waits_for_the_update_in_hand(harness: Harness, bot: Bot) -> None:
    # aiogram closes the storage and the isolation on shutdown while updates it already
    # took are still running: the update in hand must still write and release its lock.
    manager = SessionManager(
        harness.store, SessionTypes(), MemoryAuditLog(), default_ttl=timedelta(minutes=10)
    )
    storage = SessionStorage(manager)
    storage.add_flow(Demo, "demo")
    isolation = SessionIsolation(storage, LocalKeyLocks())
    key = StorageKey(bot_id=42, chat_id=USER, user_id=USER)
    release = asyncio.Event()
    holding = asyncio.Event()

    async def update_in_hand() -> None:
        async with isolation.lock(key):
            await storage.set_state(key, Demo.price)
            holding.set()
            await release.wait()

    task = asyncio.create_task(update_in_hand())
    await holding.wait()
    closing = asyncio.create_task(isolation.close())
    await asyncio.sleep(0)  # let close start waiting
    assert not closing.done()
    release.set()
    await task
    await closing
    stored = await harness.store.get(SessionKey(42, USER, USER))
    assert stored is not None and stored.step == "price"
    assert storage.in_hand.count == 0
