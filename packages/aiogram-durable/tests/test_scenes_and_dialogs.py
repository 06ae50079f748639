"""aiogram Scenes and aiogram_dialog on the session storage: each runs through
``Dispatcher.feed_update`` and survives a restart mid-way, on every durable backend.

A "restart" is a new Dispatcher with new routers and a new storage over a second store
on the same data, as a restarted process has; nothing in memory carries over.
"""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.fsm.scene import Scene, SceneRegistry, on
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, StartMode, Window, setup_dialogs
from aiogram_dialog.test_tools import BotClient, MockMessageManager
from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator
from aiogram_dialog.widgets.input import ManagedTextInput, TextInput
from aiogram_dialog.widgets.kbd import Button
from aiogram_dialog.widgets.text import Const, Format

from aiogram_durable.audit import MemoryAuditLog
from aiogram_durable.fsm import SessionIsolation, SessionStorage
from aiogram_durable.locks import LocalKeyLocks
from aiogram_durable.manager import SessionManager
from aiogram_durable.types import SessionTypes
from harness import Harness
from recording import RecordingSession
from updates import text_update

USER = 77


def _dispatcher(harness: Harness) -> tuple[Dispatcher, SessionStorage]:
    manager = SessionManager(
        harness.store, SessionTypes(), MemoryAuditLog(), default_ttl=timedelta(minutes=30)
    )
    storage = SessionStorage(manager)
    return Dispatcher(
        storage=storage, events_isolation=SessionIsolation(storage, LocalKeyLocks())
    ), storage


async def _restarted(harness: Harness) -> Harness:
    return Harness(harness.name, await harness.reopen(), harness.clock, harness.reopen,
                   harness.corrupt)  # fmt: skip


# -- aiogram Scenes ----------------------------------------------------------------------


class AskName(Scene, state="ask_name"):
    @on.message.enter()
    async def ask(self, message: Message) -> None:
        await message.answer("What is your name?")

    @on.message(F.text)
    async def got_name(self, message: Message) -> None:
        await self.wizard.update_data(name=message.text)
        await self.wizard.goto(AskAge)


class AskAge(Scene, state="ask_age"):
    @on.message.enter()
    async def ask(self, message: Message) -> None:
        await message.answer("How old are you?")

    @on.message(F.text)
    async def got_age(self, message: Message) -> None:
        data = await self.wizard.get_data()
        await message.answer(f"{data['name']} is {message.text}")
        await self.wizard.exit()


def _scenes_bot(harness: Harness) -> tuple[Dispatcher, SessionStorage]:
    dp, storage = _dispatcher(harness)
    router = Router()
    router.message.register(AskName.as_handler(), Command("start"))
    dp.include_router(router)
    SceneRegistry(dp).add(AskName, AskAge)
    return dp, storage


async def test_a_scenes_wizard_survives_a_restart(durable_harness: Harness) -> None:
    recording = RecordingSession()
    bot = Bot("42:" + "A" * 35, session=recording)
    dp, _ = _scenes_bot(durable_harness)
    await dp.feed_update(bot, text_update(USER, "/start"))
    await dp.feed_update(bot, text_update(USER, "Alice"))
    assert [m.text for m in recording.sent_messages] == [
        "What is your name?",
        "How old are you?",
    ]

    restarted = await _restarted(durable_harness)
    dp2, storage2 = _scenes_bot(restarted)
    await dp2.feed_update(bot, text_update(USER, "30"))
    assert recording.sent_messages[-1].text == "Alice is 30"
    # The wizard exited: the user's state and data are gone, only the scene history's
    # own record may remain, and it holds no open scene.
    # What is left is what aiogram's MemoryStorage leaves after the same wizard.
    memory = await _scenes_on_memory()
    for destiny in ("default", "scenes_history"):
        key = StorageKey(bot_id=bot.id, chat_id=USER, user_id=USER, destiny=destiny)
        assert await storage2.get_state(key) == await memory.get_state(key)
        assert await storage2.get_data(key) == await memory.get_data(key)


async def _scenes_on_memory() -> MemoryStorage:
    memory = MemoryStorage()
    dp = Dispatcher(storage=memory)
    router = Router()
    router.message.register(AskName.as_handler(), Command("start"))
    dp.include_router(router)
    SceneRegistry(dp).add(AskName, AskAge)
    bot = Bot("42:" + "A" * 35, session=RecordingSession())
    for text in ("/start", "Alice", "30"):
        await dp.feed_update(bot, text_update(USER, text))
    return memory


# -- aiogram_dialog ----------------------------------------------------------------------


class Form(StatesGroup):
    name = State()
    age = State()
    done = State()


async def _on_name(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
) -> None:
    manager.dialog_data["name"] = text
    await manager.next()


async def _on_age(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
) -> None:
    manager.dialog_data["age"] = text
    await manager.next()


async def _on_done(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.done()


def _dialog_bot(harness: Harness) -> tuple[Dispatcher, MockMessageManager]:
    dp, _ = _dispatcher(harness)
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message, dialog_manager: DialogManager) -> None:
        await dialog_manager.start(Form.name, mode=StartMode.RESET_STACK)

    dialog = Dialog(
        Window(Const("Name?"), TextInput(id="name", on_success=_on_name), state=Form.name),
        Window(
            Format("Age of {dialog_data[name]}?"),
            TextInput(id="age", on_success=_on_age),
            state=Form.age,
        ),
        Window(
            Format("{dialog_data[name]} is {dialog_data[age]}"),
            Button(Const("Done"), id="done", on_click=_on_done),
            state=Form.done,
        ),
    )
    dp.include_routers(router, dialog)
    messages = MockMessageManager()  # type: ignore[no-untyped-call]
    setup_dialogs(dp, message_manager=messages)
    return dp, messages


async def test_an_aiogram_dialog_survives_a_restart(durable_harness: Harness) -> None:
    dp, messages = _dialog_bot(durable_harness)
    client = BotClient(dp, user_id=USER, chat_id=USER)
    await client.send("/start")
    await client.send("Alice")
    assert messages.last_message().text == "Age of Alice?"
    stored = await durable_harness.store.list_active(user_id=USER)
    assert {s.key.destiny.split(":")[1] for s in stored if s.key.destiny != "default"} == {
        "stack",
        "context",
    }

    restarted = await _restarted(durable_harness)
    dp2, messages2 = _dialog_bot(restarted)
    client2 = BotClient(dp2, user_id=USER, chat_id=USER)
    client2.last_update_id = client.last_update_id  # Telegram's ids go on
    await client2.send("30")
    shown = messages2.last_message()
    assert shown.text == "Alice is 30"
    await client2.click(shown, InlineButtonTextLocator("Done"))
    # The dialog is done: its context is removed and its stack is empty.
    left = await restarted.store.list_active(user_id=USER)
    assert not [s for s in left if s.key.destiny.startswith("aiogd:context:")]
    assert all(not s.data.get("intents") for s in left)
