"""Showing screens to the admin without letting a Bot API failure break a step.

Every send, edit and callback answer goes through here: a failure is logged and
swallowed, so the handler finishes and its session step is written. The admin can
always get the prompt back with /admin → ▶ Continuar.

"A failure" is anything that comes back from the Bot API side: an error answer, a
timeout, a connection error, and also a body that is not the Bot API's JSON at all (a
proxy's 502 page, JSON without ``ok``), which aiogram raises as ``ClientDecodeError``.
All of them are ``AiogramError``. Store errors (the session flush before a visible call)
are not, and still reach the dispatcher, which answers "try again".
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from aiogram import Bot
from aiogram.exceptions import AiogramError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from aiogram_durable import note_step
from diana_bot.bot.i18n import LANGUAGE_NOTE, current_language

log = structlog.get_logger(__name__)

# Telegram's limit for a message text.
MAX_TEXT = 4096
PROMPT_KEY = "_prompt"

# What the admin sent that a screen answers: a message, or a press of a button.
Incoming = Message | CallbackQuery
T = TypeVar("T")

# What a Bot API call can raise when Telegram (or what stands between) fails.
TELEGRAM_FAILURES: tuple[type[Exception], ...] = (AiogramError,)


def failure_text(exc: BaseException) -> str:
    """One short line about a Bot API failure, for the log (a 502 page can be long)."""
    return f"{type(exc).__name__}: {exc}"[:300]


async def best_effort(event: str, call: Awaitable[T], **context: object) -> T | None:
    """Await a Bot API call nothing depends on; on failure log one line and go on."""
    try:
        return await call
    except TELEGRAM_FAILURES as exc:
        log.warning(event, error=failure_text(exc), **context)
        return None


@dataclass(frozen=True)
class Screen:
    """What the admin sees: HTML text and an optional inline keyboard."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def rendered(self) -> str:
        text = "\n\n".join([*self.notes, self.text]) if self.notes else self.text
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def chat_id_of(event: Incoming) -> int:
    if isinstance(event, Message):
        return event.chat.id
    if event.message is not None:
        return event.message.chat.id
    return event.from_user.id


async def show(bot: Bot, event: Incoming, screen: Screen) -> Message | None:
    """Edit the pressed message in place, or send a new one; None if Telegram failed."""
    text = screen.rendered()
    if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
        try:
            edited = await bot.edit_message_text(
                text=text,
                chat_id=event.message.chat.id,
                message_id=event.message.message_id,
                reply_markup=screen.markup,
            )
            return edited if isinstance(edited, Message) else event.message
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return event.message
            log.info("telegram.edit_failed", error=failure_text(exc))
        except TELEGRAM_FAILURES as exc:
            log.warning("telegram.edit_failed", error=failure_text(exc))
    return await send(bot, chat_id_of(event), screen)


async def send(bot: Bot, chat_id: int, screen: Screen) -> Message | None:
    """Send a new message; None (logged) if Telegram failed."""
    return await best_effort(
        "telegram.send_failed",
        bot.send_message(chat_id, screen.rendered(), reply_markup=screen.markup),
        chat_id=chat_id,
    )


async def prompt(bot: Bot, event: Incoming, state: FSMContext, screen: Screen) -> None:
    """Show a flow's prompt and remember it, so its keyboard can be stripped on expiry,
    and the language it was shown in, for the notices sent outside any update.

    Both are noted on the step's audit event, not in the session data: that would
    write the session a second time (the step was flushed before the prompt was sent).
    """
    message = await show(bot, event, screen)
    if message is not None:
        await note_step(
            state, **{PROMPT_KEY: message.message_id, LANGUAGE_NOTE: current_language()}
        )


async def strip_keyboard(bot: Bot, chat_id: int, message_id: int) -> None:
    """Remove the inline keyboard of an old prompt; failures are logged."""
    await best_effort(
        "telegram.strip_keyboard_failed",
        bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None),
        chat_id=chat_id,
    )
