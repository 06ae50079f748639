"""Telling an admin that their flow ended without them: expired, or cleared by another.

Neither notice answers an update of the session's owner, so neither knows their Telegram
language: each is written in the language the owner's prompts were last shown in (noted
on the steps, see ``replies.prompt``), else ``LOCALE``.
"""

from __future__ import annotations

import math

from aiogram import Bot

from aiogram_durable import SessionRecord
from diana_bot.bot.flows.base import title_of
from diana_bot.bot.i18n import LANGUAGE_NOTE
from diana_bot.bot.replies import PROMPT_KEY, Screen, send, strip_keyboard
from diana_bot.bot.services import BotServices


async def _strip_prompt(bot: Bot, svc: BotServices, session: SessionRecord) -> None:
    # Sessions written by earlier releases kept the prompt in their data.
    prompt_id = session.data.get(PROMPT_KEY)
    if prompt_id is None:
        prompt_id = await svc.sessions.latest_note(session.id, PROMPT_KEY)
    if isinstance(prompt_id, int):
        await strip_keyboard(bot, session.key.chat_id, prompt_id)


async def notify_expired(bot: Bot, svc: BotServices, session: SessionRecord) -> None:
    """The sweeper's hook: say which flow expired after how long, strip its keyboard."""
    ttl = svc.sessions.ttl_of(session.session_type)
    minutes = max(1, math.ceil(ttl.total_seconds() / 60))
    await _strip_prompt(bot, svc, session)
    with svc.i18n.speaking(await svc.sessions.latest_note(session.id, LANGUAGE_NOTE)):
        text = svc.tr.plural("session.expired", minutes, flow=title_of(svc, session.session_type))
    await send(bot, session.key.chat_id, Screen(text))


async def notify_cleared(bot: Bot, svc: BotServices, session: SessionRecord) -> None:
    """Tell the owner of a session an admin cleared, and strip its keyboard."""
    await _strip_prompt(bot, svc, session)
    with svc.i18n.speaking(await svc.sessions.latest_note(session.id, LANGUAGE_NOTE)):
        text = svc.tr("session.cleared_by_admin", flow=title_of(svc, session.session_type))
    await send(bot, session.key.chat_id, Screen(text))
