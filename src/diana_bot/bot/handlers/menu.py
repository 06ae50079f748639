"""/admin and the menus: 💎 VIP → 🏷 Gestionar Tarifas, ⚙ Configuración Global → canales."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import ChannelAct, Menu, TariffAct, follow_up
from diana_bot.bot.handlers import channel_flow, deactivation, tariff_create, tariff_edit
from diana_bot.bot.handlers.flowkit import offer_resume
from diana_bot.bot.handlers.screens import (
    channel_text,
    show_channels,
    show_root,
    show_tariff,
    show_tariffs,
)
from diana_bot.bot.handlers.sessions_admin import show_sessions
from diana_bot.bot.services import BotServices
from diana_bot.bot.ui import Screen, answer, show
from diana_bot.domain import DomainError

router = Router(name=__name__)


@router.message(Command("admin", "start"))
async def admin_command(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    if await offer_resume(bot, message, state, svc, then="root"):
        return
    await show_root(bot, message, svc)


@router.callback_query(Menu.filter())
async def navigate(
    query: CallbackQuery, callback_data: Menu, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    to = callback_data.to
    await answer(query)
    if to in ("add_channels", "tariff_create"):
        # Starting a flow while another one is open asks first.
        if await offer_resume(bot, query, state, svc, then=to):
            return
        if to == "add_channels":
            await channel_flow.start(bot, query, state, svc)
        else:
            await tariff_create.start(bot, query, state, svc)
        return
    if to == "root":
        await show_root(bot, query, svc)
    elif to == "vip":
        await show(bot, query, Screen(svc.tr("menu.vip"), keyboards.vip(svc.tr)))
    elif to == "tariffs":
        await show_tariffs(bot, query, svc)
    elif to == "config":
        await show(bot, query, Screen(svc.tr("menu.config"), keyboards.config(svc.tr)))
    elif to == "channels":
        await show_channels(bot, query, svc)
    elif to == "sessions":
        await show_sessions(bot, query, svc)
    else:
        await show_root(bot, query, svc)


@router.callback_query(TariffAct.filter(F.act == "open"))
async def open_tariff(
    query: CallbackQuery, callback_data: TariffAct, bot: Bot, svc: BotServices
) -> None:
    await answer(query)
    await show_tariff(bot, query, svc, callback_data.id)


@router.callback_query(TariffAct.filter(F.act == "edit"))
async def edit_tariff(
    query: CallbackQuery, callback_data: TariffAct, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    await answer(query)
    then = follow_up("e", callback_data.id, callback_data.field)
    if await offer_resume(bot, query, state, svc, then=then):
        return
    await tariff_edit.start(bot, query, state, svc, callback_data.id, callback_data.field)


@router.callback_query(TariffAct.filter(F.act == "deact"))
async def deactivate_tariff(
    query: CallbackQuery, callback_data: TariffAct, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    await answer(query)
    if await offer_resume(bot, query, state, svc, then=follow_up("dt", callback_data.id)):
        return
    await deactivation.start(bot, query, state, svc, "tariff", callback_data.id)


@router.callback_query(ChannelAct.filter(F.act == "open"))
async def open_channel(
    query: CallbackQuery, callback_data: ChannelAct, bot: Bot, svc: BotServices
) -> None:
    await answer(query)
    try:
        item = await svc.channels.get(callback_data.id)
    except DomainError as exc:
        await show_channels(bot, query, svc, (svc.tr.error(exc),))
        return
    await show(bot, query, Screen(channel_text(svc, item), keyboards.channel(svc.tr, item)))


@router.callback_query(ChannelAct.filter(F.act == "deact"))
async def deactivate_channel(
    query: CallbackQuery, callback_data: ChannelAct, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    await answer(query)
    if await offer_resume(bot, query, state, svc, then=follow_up("dc", callback_data.id)):
        return
    await deactivation.start(bot, query, state, svc, "channel", callback_data.id)
