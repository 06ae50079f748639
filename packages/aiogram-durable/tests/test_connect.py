"""``connect(url)``: the setup of the README on every backend, the expiry hook, the
migration command and the URLs it accepts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from sqlalchemy import inspect

import aiogram_durable
from aiogram_durable.__main__ import main as cli
from aiogram_durable.clock import FakeClock
from aiogram_durable.testing import RedisServer
from aiogram_durable.urls import backend_of, sqlalchemy_url
from recording import RecordingSession
from updates import text_update

USER = 501


class Signup(StatesGroup):
    name = State()
    age = State()


def _bot_on(durable: aiogram_durable.Durable) -> tuple[Dispatcher, Bot, RecordingSession]:
    recording = RecordingSession()
    bot = Bot("42:" + "C" * 35, session=recording)
    dp = Dispatcher(**durable.fsm)
    durable.setup(dp, bot)

    @dp.message(CommandStart())
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(Signup.name)
        await message.answer("name?")

    @dp.message(Signup.name, F.text)
    async def name(message: Message, state: FSMContext) -> None:
        await state.update_data(name=message.text)
        await state.set_state(Signup.age)
        await message.answer("age?")

    @dp.message(Signup.age, F.text)
    async def age(message: Message, state: FSMContext) -> None:
        data = await state.get_data()
        await state.clear()
        await message.answer(f"{data['name']}, {message.text}")

    return dp, bot, recording


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def url(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        return server.url(11)
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name)).replace("+asyncpg", "")


async def test_connect_runs_a_flow_across_a_restart_exactly_once(url: str) -> None:
    durable = await aiogram_durable.connect(url, sweep_interval=None, namespace="t-connect")
    dp, bot, recording = _bot_on(durable)
    await dp.feed_update(bot, text_update(USER, "/start"))
    answer = text_update(USER, "Alice")
    await dp.feed_update(bot, answer)
    await durable.close()

    again = await aiogram_durable.connect(url, sweep_interval=None, namespace="t-connect")
    dp2, bot2, recording2 = _bot_on(again)
    # Telegram sends the answer again (its acknowledgement was lost): skipped.
    await dp2.feed_update(bot2, answer)
    assert recording2.sent_messages == []
    await dp2.feed_update(bot2, text_update(USER, "30"))
    assert [m.text for m in recording.sent_messages + recording2.sent_messages] == [
        "name?",
        "age?",
        "Alice, 30",
    ]
    assert await again.manager.list_active(user_id=USER) == []
    await again.close()
    await again.close()  # closing twice is fine (aiogram's shutdown closes too)


async def test_the_expiry_hook_hears_of_each_expired_session(sqlite_url: str) -> None:
    clock = FakeClock()
    expired: list[aiogram_durable.SessionRecord] = []

    async def tell_user(session: aiogram_durable.SessionRecord) -> None:
        expired.append(session)

    durable = await aiogram_durable.connect(
        sqlite_url, ttl=timedelta(minutes=5), on_expired=tell_user, clock=clock
    )
    dp, bot, _ = _bot_on(durable)
    await dp.feed_update(bot, text_update(USER, "/start"))
    clock.advance(5 * 60)
    assert durable.sweeper is not None
    assert await durable.sweeper.run_once() == 1
    # Signup was never registered: its state is kept whole under the ``fsm`` type.
    assert [(s.key.user_id, s.session_type, s.step) for s in expired] == [
        (USER, "fsm", "Signup:name")
    ]
    await durable.close()


async def test_the_migration_command(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The command runs its own event loop, as from a shell.
    assert await asyncio.to_thread(cli, ["migrate", sqlite_url]) == 0
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(sqlalchemy_url(sqlite_url))
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    assert names == {"durable_sessions", "durable_session_events", "durable_schema_version"}
    assert await asyncio.to_thread(cli, ["migrate", "redis://127.0.0.1:1/0"]) == 2
    assert "error: Redis has no SQL tables\n" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("sqlite:///bot.db", "sqlite"),
        ("sqlite+aiosqlite:///bot.db", "sqlite"),
        ("postgresql://u:p@h/db", "postgresql"),
        ("postgresql+asyncpg://u:p@h/db", "postgresql"),
        ("postgres://u@h/db", "postgresql"),
        ("redis://h:6379/0", "redis"),
        ("rediss://h:6379/0", "redis"),
    ],
)
def test_urls(url: str, backend: str) -> None:
    assert backend_of(url) == backend


@pytest.mark.parametrize("url", ["mysql://h/db", "bot.db", "", "http://h"])
def test_other_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError, match="starts with sqlite://") as refused:
        backend_of(url)
    assert "h/db" not in str(refused.value)
