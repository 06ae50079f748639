"""The Telegram side of the benchmark: a Bot whose HTTP session never leaves the process,
and prebuilt updates (building pydantic objects is not what is measured)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, MessageEntity, Update, User

TOKEN = "42:" + "B" * 35
BOT_ID = 42
_BOT_USER = User(id=BOT_ID, is_bot=True, first_name="Bench", username="bench_bot")


class StubSession(BaseSession):
    """Answers every Bot API call in-process with a canned result: one prebuilt
    ``Message`` when a message is expected, the bot's ``User`` for ``getMe``, else True.

    aiogram still builds the method object and runs the session's request middlewares,
    so a handler's ``message.answer`` costs what it costs in production minus the
    network. (Building a fresh ``Message`` per call would cost ~0.9 ms of pydantic
    defaults, more than the whole update: that is not the bot's cost.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self._reply = Message(
            message_id=1,
            date=datetime.now(UTC),
            chat=Chat(id=1, type="private"),
            from_user=_BOT_USER,
            text="ok",
        )

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls += 1
        returning: Any = method.__returning__
        result: Any = True
        if returning is Message:
            result = self._reply
        elif returning is User:
            result = _BOT_USER
        return result  # type: ignore[no-any-return]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("the benchmark downloads nothing")
        yield b""  # pragma: no cover - makes this an async generator

    async def close(self) -> None:
        return None


def stub_bot() -> Bot:
    """A Bot on ``StubSession``."""
    return Bot(TOKEN, session=StubSession())


# Telegram never gives two updates of a bot the same id; passes share one Dispatcher
# (and its exactly-once memory), so ids are unique across factories too.
_update_ids = itertools.count(1)


class UpdateFactory:
    """Private-chat text updates, mounted on ``bot`` so ``feed_update`` skips its
    JSON round trip (aiogram re-validates an update that belongs to another bot)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._ids = itertools.count(1)
        self._date = datetime.now(UTC)

    def text(self, user_id: int, text: str) -> Update:
        """A text message from ``user_id`` (a bot command when it starts with '/')."""
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        payload = {
            "update_id": next(_update_ids),
            "message": Message(
                message_id=next(self._ids),
                date=self._date,
                chat=Chat(id=user_id, type="private"),
                from_user=User(id=user_id, is_bot=False, first_name=f"Admin{user_id}"),
                text=text,
                entities=entities,
            ).model_dump(),
        }
        return Update.model_validate(payload, context={"bot": self.bot})
