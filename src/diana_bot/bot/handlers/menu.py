"""/admin and the menus: 💎 VIP → 🏷 Gestionar Tarifas, ⚙ Configuración Global → canales,
and every button that starts a flow."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import Menu, Open, Start
from diana_bot.bot.flows import Flows
from diana_bot.bot.handlers.sessions_monitor import show_sessions
from diana_bot.bot.menus import channel_text, show_channels, show_root, show_tariff, show_tariffs
from diana_bot.bot.replies import Screen, show
from diana_bot.bot.services import BotServices
from diana_bot.domain import DomainError

# The menus: each "to" of a Menu button and the screen it shows.
_SCREENS = {
    "vip": lambda svc: Screen(svc.tr("menu.vip"), keyboards.vip(svc.tr)),
    "config": lambda svc: Screen(svc.tr("menu.config"), keyboards.config(svc.tr)),
}


async def admin_command(
    message: Message, bot: Bot, state: FSMContext, svc: BotServices, flows: Flows
) -> None:
    # Discarding the open flow then shows the menu (an empty entry).
    if await flows.offer_resume(bot, message, state, svc, then=Start(flow="")):
        return
    await show_root(bot, message, svc)


async def navigate(query: CallbackQuery, callback_data: Menu, bot: Bot, svc: BotServices) -> None:
    to = callback_data.to
    if to in _SCREENS:
        await show(bot, query, _SCREENS[to](svc))
    elif to == "tariffs":
        await show_tariffs(bot, query, svc)
    elif to == "channels":
        await show_channels(bot, query, svc)
    elif to == "sessions":
        await show_sessions(bot, query, svc)
    else:
        await show_root(bot, query, svc)


async def open_item(query: CallbackQuery, callback_data: Open, bot: Bot, svc: BotServices) -> None:
    if callback_data.what == "tariff":
        await show_tariff(bot, query, svc, callback_data.id)
        return
    try:
        item = await svc.channels.get(callback_data.id)
    except DomainError as exc:
        await show_channels(bot, query, svc, (svc.tr.error(exc),))
        return
    await show(bot, query, Screen(channel_text(svc, item), keyboards.channel(svc.tr, item)))


async def start_flow(
    query: CallbackQuery,
    callback_data: Start,
    bot: Bot,
    state: FSMContext,
    svc: BotServices,
    flows: Flows,
) -> None:
    # Starting a flow while another one is open asks first.
    if await flows.offer_resume(bot, query, state, svc, then=callback_data):
        return
    await flows.open(bot, query, state, svc, callback_data)


def build_router() -> Router:
    router = Router(name="menu")
    router.message.register(admin_command, Command("admin", "start"))
    router.callback_query.register(navigate, Menu.filter())
    router.callback_query.register(open_item, Open.filter(F.what.in_(("tariff", "channel"))))
    router.callback_query.register(start_flow, Start.filter())
    return router
