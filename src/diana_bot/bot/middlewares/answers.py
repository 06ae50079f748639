"""Every button press is answered once, after its handler, and never fails the update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer

from diana_bot.bot.replies import best_effort


class AnswerPresses(BaseMiddleware):
    """Answers a press after its handler; the handler sets ``callback_answer.text`` (and
    ``show_alert``) for a toast or an alert, as with aiogram's CallbackAnswerMiddleware.

    Not that middleware itself: it answers in a ``finally`` — also when the handler
    raised, which would flush a failed update's session (the answer is a visible call)
    and take the press the dispatcher answers with "try again". And the answer is
    best-effort: "query is too old" after a slow step must not fail a finished step.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        answer = data["callback_answer"] = CallbackAnswer(answered=False)
        result = await handler(event, data)
        if not answer.disabled:
            await best_effort(
                "telegram.answer_failed",
                event.answer(text=answer.text, show_alert=answer.show_alert),
            )
        return result
