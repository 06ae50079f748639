"""/admin and the menus: 💎 VIP → 🏷 Gestionar Tarifas, ⚙ Configuración Global → canales."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import ChannelAct, Menu, TariffAct
from diana_bot.bot.handlers import channel_flow, tariff_create, tariff_edit
from diana_bot.bot.handlers.flowkit import offer_resume
from diana_bot.bot.services import BotServices
from diana_bot.bot.ui import Event, Screen, answer, show
from diana_bot.domain import DomainError, format_duration, format_price
from diana_bot.domain.channels import Channel
from diana_bot.domain.tariffs import Tariff

router = Router(name=__name__)


async def show_root(bot: Bot, event: Event, svc: BotServices) -> None:
    await show(bot, event, Screen(svc.tr("menu.root"), keyboards.root(svc.tr)))


async def show_tariffs(
    bot: Bot, event: Event, svc: BotServices, notes: tuple[str, ...] = ()
) -> None:
    items = await svc.tariffs.list_active()
    text = svc.tr("menu.tariffs") if items else svc.tr("menu.tariffs_empty")
    await show(bot, event, Screen(text, keyboards.tariffs(svc.tr, items), notes))


async def show_channels(
    bot: Bot, event: Event, svc: BotServices, notes: tuple[str, ...] = ()
) -> None:
    items = await svc.channels.list(active_only=True)
    text = svc.tr("menu.channels") if items else svc.tr("menu.channels_empty")
    await show(bot, event, Screen(text, keyboards.channels(svc.tr, items), notes))


def tariff_text(svc: BotServices, item: Tariff) -> str:
    return svc.tr(
        "tariff.details",
        name=escape(item.name),
        price=format_price(item.price, item.currency),
        duration=format_duration(item.duration_days, svc.tr.locale),
        description=escape(item.description)
        if item.description
        else svc.tr("tariff.no_description"),
    )


def channel_text(svc: BotServices, item: Channel) -> str:
    return svc.tr(
        "channel.details",
        title=escape(item.title),
        chat_id=item.chat_id,
        kind=svc.tr(f"channel.kind.{item.kind}"),
    )


async def show_tariff(
    bot: Bot, event: Event, svc: BotServices, tariff_id: int, notes: tuple[str, ...] = ()
) -> None:
    try:
        item = await svc.tariffs.get(tariff_id)
    except DomainError as exc:
        await show_tariffs(bot, event, svc, (svc.tr.error(exc),))
        return
    if not item.is_active:
        await show_tariffs(bot, event, svc, (svc.tr("tariff.inactive"),))
        return
    await show(bot, event, Screen(tariff_text(svc, item), keyboards.tariff(svc.tr, item), notes))


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
        from diana_bot.bot.handlers.sessions_admin import show_sessions

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
    then = f"e:{callback_data.id}:{callback_data.field}"
    if await offer_resume(bot, query, state, svc, then=then):
        return
    await tariff_edit.start(bot, query, state, svc, callback_data.id, callback_data.field)


@router.callback_query(TariffAct.filter(F.act == "deact"))
async def ask_deactivate_tariff(
    query: CallbackQuery, callback_data: TariffAct, bot: Bot, svc: BotServices
) -> None:
    await answer(query)
    try:
        item = await svc.tariffs.get(callback_data.id)
    except DomainError as exc:
        await show_tariffs(bot, query, svc, (svc.tr.error(exc),))
        return
    await show(
        bot,
        query,
        Screen(
            svc.tr("tariff.deactivate_ask", name=escape(item.name)),
            keyboards.confirm_tariff_deactivation(svc.tr, item),
        ),
    )


@router.callback_query(TariffAct.filter(F.act == "deact_yes"))
async def deactivate_tariff(
    query: CallbackQuery, callback_data: TariffAct, bot: Bot, svc: BotServices
) -> None:
    await answer(query)
    try:
        item = await svc.tariffs.deactivate(callback_data.id)
    except DomainError as exc:
        await show_tariffs(bot, query, svc, (svc.tr.error(exc),))
        return
    await show_tariffs(bot, query, svc, (svc.tr("tariff.deactivated", name=escape(item.name)),))


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
async def ask_deactivate_channel(
    query: CallbackQuery, callback_data: ChannelAct, bot: Bot, svc: BotServices
) -> None:
    await answer(query)
    try:
        item = await svc.channels.get(callback_data.id)
    except DomainError as exc:
        await show_channels(bot, query, svc, (svc.tr.error(exc),))
        return
    await show(
        bot,
        query,
        Screen(
            svc.tr("channel.deactivate_ask", title=escape(item.title)),
            keyboards.confirm_channel_deactivation(svc.tr, item),
        ),
    )


@router.callback_query(ChannelAct.filter(F.act == "deact_yes"))
async def deactivate_channel(
    query: CallbackQuery, callback_data: ChannelAct, bot: Bot, svc: BotServices
) -> None:
    await answer(query)
    try:
        item = await svc.channels.deactivate(callback_data.id)
    except DomainError as exc:
        await show_channels(bot, query, svc, (svc.tr.error(exc),))
        return
    await show_channels(bot, query, svc, (svc.tr("channel.deactivated", title=escape(item.title)),))
