"""A Bot session that answers in-process and records every call (how aiogram tests
its own bots): no network, and what the bot sent can be asserted."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, User


class RecordingSession(BaseSession):
    """``sendMessage`` and ``editMessageText`` get a Message back, everything else True."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        # What sendMessage returned, in order.
        self.sent_messages: list[Message] = []
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        if isinstance(method, SendMessage | EditMessageText):
            message_id = (
                method.message_id
                if isinstance(method, EditMessageText) and method.message_id is not None
                else next(self._ids)
            )
            chat_id = method.chat_id if isinstance(method.chat_id, int) else 0
            message = Message(
                message_id=message_id,
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private"),
                from_user=User(id=bot.id, is_bot=True, first_name="Bot"),
                text=method.text,
            )
            if isinstance(method, SendMessage):
                self.sent_messages.append(message)
            return cast(TelegramType, message)
        return cast(TelegramType, True)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""
