"""▶ Continuar / 🗑 Descartar: what to do with a flow left open."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from diana_bot.bot.callbacks import Resume
from diana_bot.bot.handlers import channel_flow, tariff_create, tariff_edit
from diana_bot.bot.handlers.flowkit import is_current, render_current
from diana_bot.bot.services import BotServices
from diana_bot.bot.ui import Event, answer
from diana_bot.sessions.fsm import cancel_flow

router = Router(name=__name__)


@router.callback_query(Resume.filter(F.act == "continue"))
async def resume(
    query: CallbackQuery, callback_data: Resume, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    if not await is_current(query, callback_data.t, state, svc):
        return
    await answer(query)
    await render_current(bot, query, state, svc)


@router.callback_query(Resume.filter(F.act == "discard"))
async def discard(
    query: CallbackQuery, callback_data: Resume, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    if not await is_current(query, callback_data.t, state, svc):
        return
    await answer(query, svc.tr("session.discarded"))
    await cancel_flow(state, by=query.from_user.id)
    await then(bot, query, state, svc, callback_data.then)


async def then(bot: Bot, event: Event, state: FSMContext, svc: BotServices, action: str) -> None:
    """Carry out what the admin had asked for before the resume question."""
    from diana_bot.bot.handlers.menu import show_root

    if action == "add_channels":
        await channel_flow.start(bot, event, state, svc)
    elif action == "tariff_create":
        await tariff_create.start(bot, event, state, svc)
    elif action.startswith("e:"):
        _, tariff_id, field = action.split(":", 2)
        await tariff_edit.start(bot, event, state, svc, int(tariff_id), field)
    else:
        await show_root(bot, event, svc)
