"""The admin gate: checked on every message and every button press of the admin router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from diana_bot.bot.ui import Screen, answer, send
from diana_bot.texts import Translator

log = structlog.get_logger(__name__)


class AdminOnly(BaseMiddleware):
    """Lets ``ADMIN_IDS`` through; refuses everybody else and changes nothing."""

    def __init__(self, admin_ids: frozenset[int]) -> None:
        self.admin_ids = admin_ids

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = getattr(event, "from_user", None)
        if user is not None and user.id in self.admin_ids:
            return await handler(event, data)
        user_id = user.id if user is not None else None
        tr: Translator = data["svc"].tr
        if isinstance(event, CallbackQuery):
            log.warning("auth.refused_button", user_id=user_id, data=event.data)
            await answer(event, tr("auth.refused"), alert=True)
        elif isinstance(event, Message):
            log.warning(
                "auth.refused_message",
                user_id=user_id,
                command=(event.text or "").split(" ", 1)[0][:32],
            )
            if (event.text or "").startswith("/"):
                await send(data["bot"], event.chat.id, Screen(tr("auth.refused")))
        return None
