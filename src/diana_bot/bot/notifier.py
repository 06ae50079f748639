"""Telling an admin that their flow ended without them: expired, or cleared by another."""

from __future__ import annotations

import math

from aiogram import Bot

from aiogram_durable import SessionRecord
from diana_bot.bot.flows.base import title_of
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
    await send(
        bot,
        session.key.chat_id,
        Screen(
            svc.tr("session.expired", flow=title_of(svc, session.session_type), minutes=minutes)
        ),
    )


async def notify_cleared(bot: Bot, svc: BotServices, session: SessionRecord) -> None:
    """Tell the owner of a session an admin cleared, and strip its keyboard."""
    await _strip_prompt(bot, svc, session)
    await send(
        bot,
        session.key.chat_id,
        Screen(svc.tr("session.cleared_by_admin", flow=title_of(svc, session.session_type))),
    )
