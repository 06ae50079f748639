"""One store write and one audit row per step, although the step is flushed before its
prompt is sent and the prompt's message id is remembered after (on every backend)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message

from aiogram_durable.audit import MemoryAuditLog
from aiogram_durable.fsm import (
    FlushBeforeSend,
    SessionIsolation,
    SessionStorage,
    finish_flow,
    note_step,
    session_id_of,
)
from aiogram_durable.locks import LocalKeyLocks
from aiogram_durable.manager import SessionManager
from aiogram_durable.model import SessionKey
from aiogram_durable.types import SessionTypes
from harness import Harness
from recording import RecordingSession
from test_fsm import TOKEN, USER, Demo, SpyStore
from updates import text_update

KEY = SessionKey(42, USER, USER)


class Built:
    def __init__(self, harness: Harness) -> None:
        self.spy = SpyStore(harness.store)
        self.audit = MemoryAuditLog()
        self.manager = SessionManager(
            self.spy, SessionTypes(), self.audit, default_ttl=timedelta(minutes=10)
        )
        storage = SessionStorage(self.manager)
        storage.add_flow(Demo, "demo")
        self.recording = RecordingSession()
        self.recording.middleware(FlushBeforeSend(storage))
        self.bot = Bot(TOKEN, session=self.recording)
        self.dp = Dispatcher(
            storage=storage, events_isolation=SessionIsolation(storage, LocalKeyLocks())
        )
        self.writes_when_sent: list[int] = []
        router = Router()

        async def ask(message: Message, state: FSMContext, text: str) -> None:
            # Durable first, visible second: the step is written before the prompt leaves.
            sent = await message.answer(text)
            self.writes_when_sent.append(self.spy.writes())
            await note_step(state, prompt=sent.message_id)

        @router.message(Command("start"))
        async def start(message: Message, state: FSMContext) -> None:
            await state.set_state(Demo.price)
            await ask(message, state, "price?")

        @router.message(StateFilter(Demo.price))
        async def price(message: Message, state: FSMContext) -> None:
            if message.text == "bad":
                await ask(message, state, "a number, please")
                return
            await state.update_data(price=message.text)
            await state.set_state(Demo.name)
            await ask(message, state, "name?")
            if message.text == "then-fail":
                raise RuntimeError("after the prompt")

        @router.message(StateFilter(Demo.name))
        async def name(message: Message, state: FSMContext) -> None:
            await message.answer("done")
            await finish_flow(state)

        self.dp.include_router(router)

    async def feed(self, text: str) -> int:
        before = self.spy.writes()
        await self.dp.feed_update(self.bot, text_update(USER, text))
        return self.spy.writes() - before


async def test_each_step_writes_once_and_audits_once_with_its_prompt(harness: Harness) -> None:
    built = Built(harness)
    assert await built.feed("/start") == 1
    assert await built.feed("10") == 1
    assert built.writes_when_sent == [1, 2]  # each written before its prompt was sent
    assert await built.feed("Gold") == 1
    assert [e.event for e in built.audit.events] == ["started", "step", "completed"]
    prompts = [m.message_id for m in built.recording.sent_messages]
    assert [e.detail for e in built.audit.events] == [
        {"prompt": prompts[0]},
        {"prompt": prompts[1]},
        None,
    ]


async def test_the_latest_prompt_is_read_back_for_a_session(harness: Harness) -> None:
    built = Built(harness)
    await built.feed("/start")
    await built.feed("10")
    stored = await harness.store.get(KEY)
    assert stored is not None and "prompt" not in stored.data
    prompts = [m.message_id for m in built.recording.sent_messages]
    assert await built.manager.latest_note(stored.id, "prompt") == prompts[-1]
    assert await built.manager.latest_note("no-such-session", "prompt") is None


async def test_bad_input_reprompts_without_writing(harness: Harness) -> None:
    built = Built(harness)
    await built.feed("/start")
    assert await built.feed("bad") == 0
    assert [e.event for e in built.audit.events] == ["started"]
    stored = await harness.store.get(KEY)
    assert stored is not None and (stored.step, stored.version) == ("price", 1)


async def test_a_handler_failing_after_its_prompt_keeps_the_written_step_audited(
    harness: Harness,
) -> None:
    built = Built(harness)
    await built.feed("/start")
    with pytest.raises(RuntimeError, match="after the prompt"):
        await built.feed("then-fail")
    stored = await harness.store.get(KEY)
    assert stored is not None and stored.step == "name"  # what the admin was shown
    assert [e.event for e in built.audit.events] == ["started", "step"]
    assert built.audit.events[-1].detail is not None


async def test_a_note_outside_an_update_is_ignored(harness: Harness) -> None:
    built = Built(harness)
    await built.feed("/start")
    state = FSMContext(built.dp.storage, StorageKey(bot_id=42, chat_id=USER, user_id=USER))
    await note_step(state, prompt=1)
    assert await session_id_of(state) is not None
    assert len(built.audit.events) == 1
