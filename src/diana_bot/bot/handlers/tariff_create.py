"""➕ Crear Tarifa: (channel) → Paso 1 precio → Paso 2 duración → Paso 3 nombre → confirm."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from aiogram_durable import finish_flow, session_id_of
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import Flow
from diana_bot.bot.handlers.flowkit import is_current, renders, token
from diana_bot.bot.services import BotServices
from diana_bot.bot.states import TariffCreation
from diana_bot.bot.ui import Event, Screen, answer, prompt, show
from diana_bot.domain import (
    DomainError,
    ValidationError,
    format_duration,
    format_price,
    parse_duration,
    parse_name,
    parse_price,
)

router = Router(name=__name__)

# The step before each step, for ⬅ Atrás.
_PREVIOUS = {
    TariffCreation.duration.state: TariffCreation.price,
    TariffCreation.name.state: TariffCreation.duration,
    TariffCreation.confirm.state: TariffCreation.name,
}


async def start(bot: Bot, event: Event, state: FSMContext, svc: BotServices) -> None:
    vip = await svc.channels.list(active_only=True, kind="vip")
    if not vip:
        await show(
            bot, event, Screen(svc.tr("tariff.no_vip_channel"), keyboards.no_vip_channel(svc.tr))
        )
        return
    await state.set_data({})
    if len(vip) == 1:
        await state.set_state(TariffCreation.price)
        await state.update_data(channel_id=vip[0].id, channel_title=vip[0].title)
    else:
        await state.set_state(TariffCreation.channel)
    await render(bot, event, state, svc, ())


@renders(
    TariffCreation.channel.state,
    TariffCreation.price.state,
    TariffCreation.duration.state,
    TariffCreation.name.state,
    TariffCreation.confirm.state,
)
async def render(
    bot: Bot, event: Event, state: FSMContext, svc: BotServices, notes: tuple[str, ...]
) -> None:
    current = await state.get_state()
    tok = await token(state)
    data = await state.get_data()
    if current == TariffCreation.channel.state:
        vip = await svc.channels.list(active_only=True, kind="vip")
        screen = Screen(
            svc.tr("tariff.pick_channel"), keyboards.pick_channel(svc.tr, tok, vip), notes
        )
    elif current == TariffCreation.confirm.state:
        screen = Screen(
            svc.tr(
                "tariff.summary",
                channel=escape(data.get("channel_title", "")),
                price=format_price(Decimal(data["price"])),
                duration=format_duration(data["duration_days"], svc.tr.locale),
                name=escape(data["name"]),
            ),
            keyboards.flow_confirm(svc.tr, tok, back=True),
            notes,
        )
    else:
        key = {
            TariffCreation.price.state: "tariff.ask_price",
            TariffCreation.duration.state: "tariff.ask_duration",
        }.get(current or "", "tariff.ask_name")
        first = current == TariffCreation.price.state
        screen = Screen(svc.tr(key), keyboards.flow_cancel(svc.tr, tok, back=not first), notes)
    await prompt(bot, event, state, screen)


@router.callback_query(StateFilter(TariffCreation.channel), Flow.filter(F.act == "pick"))
async def picked_channel(
    query: CallbackQuery, callback_data: Flow, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    if not await is_current(query, callback_data, state, svc):
        return
    await answer(query)
    try:
        channel = await svc.channels.get(int(callback_data.v))
    except (DomainError, ValueError):
        await render(bot, query, state, svc, (svc.tr("channel.not_found"),))
        return
    if not channel.is_active or channel.kind != "vip":
        await render(bot, query, state, svc, (svc.tr("channel.not_found"),))
        return
    await state.update_data(channel_id=channel.id, channel_title=channel.title)
    await state.set_state(TariffCreation.price)
    await render(bot, query, state, svc, ())


@router.message(StateFilter(TariffCreation.price))
async def got_price(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    try:
        price = parse_price(message.text or "")
    except ValidationError as exc:
        await render(bot, message, state, svc, (svc.tr.error(exc),))
        return
    await state.update_data(price=str(price))
    await state.set_state(TariffCreation.duration)
    await render(bot, message, state, svc, ())


@router.message(StateFilter(TariffCreation.duration))
async def got_duration(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    try:
        days = parse_duration(message.text or "")
    except ValidationError as exc:
        await render(bot, message, state, svc, (svc.tr.error(exc),))
        return
    await state.update_data(duration_days=days)
    await state.set_state(TariffCreation.name)
    await render(bot, message, state, svc, ())


@router.message(StateFilter(TariffCreation.name))
async def got_name(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    try:
        name = parse_name(message.text or "")
    except ValidationError as exc:
        await render(bot, message, state, svc, (svc.tr.error(exc),))
        return
    await state.update_data(name=name)
    await state.set_state(TariffCreation.confirm)
    await render(bot, message, state, svc, ())


@router.callback_query(
    StateFilter(TariffCreation.duration, TariffCreation.name, TariffCreation.confirm),
    Flow.filter(F.act == "back"),
)
async def back(
    query: CallbackQuery, callback_data: Flow, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    if not await is_current(query, callback_data, state, svc):
        return
    await answer(query)
    current = await state.get_state()
    await state.set_state(_PREVIOUS[current])
    await render(bot, query, state, svc, ())


@router.callback_query(StateFilter(TariffCreation.confirm), Flow.filter(F.act == "confirm"))
async def confirm(
    query: CallbackQuery, callback_data: Flow, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    if not await is_current(query, callback_data, state, svc):
        return
    await answer(query)
    data = await state.get_data()
    try:
        # The session id is the idempotency key: a retried or redelivered confirmation
        # returns the tariff created the first time instead of a second one.
        tariff = await svc.tariffs.create(
            data["channel_id"],
            data["name"],
            Decimal(data["price"]),
            data["duration_days"],
            idempotency_key=await session_id_of(state),
        )
    except DomainError as exc:
        await render(bot, query, state, svc, (svc.tr.error(exc),))
        return
    await finish_flow(state)
    await show(
        bot,
        query,
        Screen(
            svc.tr(
                "tariff.created",
                name=escape(tariff.name),
                price=format_price(tariff.price),
                duration=format_duration(tariff.duration_days, svc.tr.locale),
            ),
            keyboards.back_to(svc.tr, "tariffs", "btn.manage_tariffs"),
        ),
    )
