"""🗑 Desactivar a tariff or a channel: a one-step flow that asks before it acts.

The question is a session like every other flow's, so its ✅ Confirmar carries the
session token: a forged or old "deactivate" button finds no open question and changes
nothing.
"""

from __future__ import annotations

from html import escape
from typing import Literal

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from aiogram_durable import finish_flow
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import Flow
from diana_bot.bot.handlers.flowkit import is_current, renders, token
from diana_bot.bot.handlers.screens import show_channels, show_tariffs
from diana_bot.bot.services import BotServices
from diana_bot.bot.states import Deactivation
from diana_bot.bot.ui import Event, Screen, answer, prompt
from diana_bot.domain import DomainError

router = Router(name=__name__)

Target = Literal["tariff", "channel"]


async def _back_to_list(
    bot: Bot, event: Event, svc: BotServices, what: str, notes: tuple[str, ...]
) -> None:
    if what == "tariff":
        await show_tariffs(bot, event, svc, notes)
    else:
        await show_channels(bot, event, svc, notes)


async def start(
    bot: Bot, event: Event, state: FSMContext, svc: BotServices, what: Target, item_id: int
) -> None:
    """Ask whether to deactivate ``item_id``; a missing or inactive one is refused now."""
    try:
        if what == "tariff":
            tariff = await svc.tariffs.get(item_id)
            active, name = tariff.is_active, tariff.name
        else:
            channel = await svc.channels.get(item_id)
            active, name = channel.is_active, channel.title
    except DomainError as exc:
        await _back_to_list(bot, event, svc, what, (svc.tr.error(exc),))
        return
    if not active:
        await _back_to_list(bot, event, svc, what, (svc.tr(f"{what}.inactive"),))
        return
    await state.set_state(Deactivation.confirm)
    await state.set_data({"what": what, "id": item_id, "name": name})
    await render(bot, event, state, svc, ())


@renders(Deactivation.confirm.state)
async def render(
    bot: Bot, event: Event, state: FSMContext, svc: BotServices, notes: tuple[str, ...]
) -> None:
    data = await state.get_data()
    what, name = data["what"], escape(data["name"])
    text = svc.tr(f"{what}.deactivate_ask", name=name, title=name)
    await prompt(
        bot, event, state, Screen(text, keyboards.flow_confirm(svc.tr, await token(state)), notes)
    )


@router.callback_query(StateFilter(Deactivation.confirm), Flow.filter(F.act == "confirm"))
async def confirm(
    query: CallbackQuery, callback_data: Flow, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    if not await is_current(query, callback_data, state, svc):
        return
    await answer(query)
    data = await state.get_data()
    what, item_id = data["what"], data["id"]
    await finish_flow(state)
    try:
        if what == "tariff":
            name = (await svc.tariffs.deactivate(item_id)).name
        else:
            name = (await svc.channels.deactivate(item_id)).title
    except DomainError as exc:
        await _back_to_list(bot, event=query, svc=svc, what=what, notes=(svc.tr.error(exc),))
        return
    done = svc.tr(f"{what}.deactivated", name=escape(name), title=escape(name))
    await _back_to_list(bot, query, svc, what, (done,))
