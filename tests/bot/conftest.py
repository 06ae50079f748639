"""The real bot, in the test process: its dispatcher fed updates, its Bot API recorded.

``diana`` builds everything the way the running bot builds it (settings → container →
services → dispatcher, the Bot with ``FlushBeforeSend``, the sweeper's expiry notice,
the start-up commands), with three test choices: a SQLite file in ``tmp_path``, a
manual clock, and a ``RecordingSession`` standing in for Telegram. All wiring lives in
this fixture; tests talk to the bot only through Telegram-level inputs and outputs
(``Chat``) and check the outcome through the container's services.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher

from aiogram_durable import FakeClock, SessionRecord, Sweeper
from diana_bot.bot.flows import DEFAULT_FLOWS, Flows
from diana_bot.composition import build_bot_parts
from diana_bot.config import load_settings
from diana_bot.container import Container
from diana_bot.db.migrate import upgrade
from diana_bot.runtime import set_commands
from tests.support.bot_chat import Chat
from tests.support.recording_bot import KnownChat, RecordingSession

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT_ID = 123456789
ADMIN = 1001
OTHER_ADMIN = 1002
STRANGER = 2001
TTL_SECONDS = 600

# What getChat and getChatMember know.
VIP_CHANNEL = KnownChat(-1001111111111, "channel", "Canal <VIP>", "canal_vip")
VIP_CHANNEL_2 = KnownChat(-1002222222222, "channel", "Canal Oro", "canal_oro")
NOT_ADMIN_CHANNEL = KnownChat(-1003333333333, "channel", "Canal Libre", "canal_libre", "member")
GROUP = KnownChat(-1004444444444, "supergroup", "Grupo de fans", "grupo_fans")
PERSON = KnownChat(5555, "private", "Alguien", "alguien")
UNKNOWN_CHANNEL_ID = -1009999999999
FLAKY_CHANNEL = KnownChat(-1006666666666, "channel", "Canal Lejano", "canal_lejano")
KNOWN_CHATS = (VIP_CHANNEL, VIP_CHANNEL_2, NOT_ADMIN_CHANNEL, GROUP, PERSON, FLAKY_CHANNEL)
# Telegram's refusals the bot provokes on purpose: asking about a chat it cannot see, and
# redrawing a screen that did not change.
_EXPECTED = ("Bad Request: chat not found", "Bad Request: message is not modified")


@dataclass
class Diana:
    """The bot under test and what the tests look through."""

    container: Container
    dispatcher: Dispatcher
    bot: Bot
    telegram: RecordingSession
    clock: FakeClock
    sweeper: Sweeper
    # The SQLite file behind everything.
    database: Path

    def chat(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        title: str | None = None,
        language_code: str | None = "es",
    ) -> Chat:
        """The chat of ``user_id`` with the bot (private unless told otherwise), from an
        app in ``language_code``."""
        return Chat(
            self.dispatcher,
            self.bot,
            self.telegram,
            user_id,
            first_name=f"User{user_id}",
            chat_id=chat_id,
            chat_type=chat_type,
            title=title,
            language_code=language_code,
        )

    async def open_sessions(self, user_id: int | None = None) -> list[SessionRecord]:
        """The sessions open now (per the store, expiry included)."""
        return await self.container.sessions.list_active(user_id=user_id)

    async def sweep(self) -> int:
        """One round of the expiry sweeper, as the running bot does every interval."""
        return await self.sweeper.run_once()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the schema's head, copied for each test (migrating is the slow
    part of a start; each test still runs the start-up's own upgrade, a no-op)."""
    path = tmp_path_factory.mktemp("template") / "diana.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def flows() -> Flows:
    """The flows the bot serves (a test module may add one: test_adding_a_flow.py)."""
    return DEFAULT_FLOWS


@pytest.fixture
def locale_setting() -> str:
    """``LOCALE``: the language of anyone whose Telegram language Diana does not speak
    (a test may parametrize it)."""
    return "es"


@pytest.fixture
async def diana(
    tmp_path: Path, migrated_template: Path, flows: Flows, locale_setting: str
) -> AsyncIterator[Diana]:
    db = tmp_path / "diana.db"
    shutil.copyfile(migrated_template, db)
    settings = load_settings(
        _env_file=None,
        bot_token=TOKEN,
        admin_ids=f"{ADMIN},{OTHER_ADMIN}",
        database_url=f"sqlite+aiosqlite:///{db}",
        session_backend="sql",
        session_ttl_seconds=TTL_SECONDS,
        locale=locale_setting,
    )
    clock = FakeClock()
    telegram = RecordingSession(KNOWN_CHATS)
    # The running bot's own wiring (composition root), on the recording Telegram.
    parts = await build_bot_parts(settings, flows=flows, clock=clock, bot_session=telegram)
    await set_commands(parts.bot, parts.svc.i18n)
    try:
        yield Diana(
            parts.container, parts.dispatcher, parts.bot, telegram, clock, parts.sweeper, db
        )
    finally:
        await parts.close()


@pytest.fixture
def admin(diana: Diana) -> Chat:
    """The admin's private chat with the bot."""
    return diana.chat(ADMIN)


@pytest.fixture
def other_admin(diana: Diana) -> Chat:
    return diana.chat(OTHER_ADMIN)


@pytest.fixture
def stranger(diana: Diana) -> Chat:
    """Someone who is not in ADMIN_IDS."""
    return diana.chat(STRANGER)
