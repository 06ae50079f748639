"""➕ Crear Tarifa: (channel) → Paso 1 precio → Paso 2 duración → Paso 3 nombre → confirm."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from aiogram_durable import finish_flow, session_id_of
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import FlowButton
from diana_bot.bot.flows.base import AdminFlow, Notes, on_button, token
from diana_bot.bot.replies import Incoming, Screen, prompt, show
from diana_bot.bot.services import BotServices
from diana_bot.domain import (
    CURRENCY,
    DomainError,
    ValidationError,
    parse_duration,
    parse_name,
    parse_price,
)


class TariffCreation(StatesGroup):
    """➕ Crear Tarifa: (channel) → price → duration → name → confirm."""

    channel = State()
    price = State()
    duration = State()
    name = State()
    confirm = State()


# The step before each step, for ⬅ Atrás.
_PREVIOUS = {
    TariffCreation.duration.state: TariffCreation.price,
    TariffCreation.name.state: TariffCreation.duration,
    TariffCreation.confirm.state: TariffCreation.name,
}
_ASK = {
    TariffCreation.price.state: "tariff.ask_price",
    TariffCreation.duration.state: "tariff.ask_duration",
    TariffCreation.name.state: "tariff.ask_name",
}


async def start(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, args: Sequence[str]
) -> None:
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


async def render(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes
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
                price=svc.tr.price(Decimal(data["price"]), CURRENCY),
                duration=svc.tr.duration(data["duration_days"]),
                name=escape(data["name"]),
            ),
            keyboards.flow_confirm(svc.tr, tok, back=True),
            notes,
        )
    else:
        first = current == TariffCreation.price.state
        screen = Screen(
            svc.tr(_ASK.get(current or "", "tariff.ask_name")),
            keyboards.flow_cancel(svc.tr, tok, back=not first),
            notes,
        )
    await prompt(bot, event, state, screen)


async def picked_channel(
    query: CallbackQuery, callback_data: FlowButton, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    try:
        channel = await svc.channels.get(int(callback_data.v))
    except (DomainError, ValueError):
        channel = None
    if channel is None or not channel.is_active or channel.kind != "vip":
        await render(bot, query, state, svc, (svc.tr("channel.not_found"),))
        return
    await state.update_data(channel_id=channel.id, channel_title=channel.title)
    await state.set_state(TariffCreation.price)
    await render(bot, query, state, svc, ())


TextHandler = Callable[[Message, Bot, FSMContext, BotServices], Awaitable[None]]


def _text_step(
    key: str, parse: Callable[[str], Any], store: Callable[[Any], Any], then: State
) -> TextHandler:
    """A step that parses the admin's text into ``key`` and moves to ``then``; bad
    input shows the reason above the same prompt and changes nothing."""

    async def handler(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
        try:
            value = parse(message.text or "")
        except ValidationError as exc:
            await render(bot, message, state, svc, (svc.tr.error(exc),))
            return
        await state.update_data({key: store(value)})
        await state.set_state(then)
        await render(bot, message, state, svc, ())

    handler.__name__ = f"got_{key}"
    return handler


async def back(query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    current = await state.get_state()
    await state.set_state(_PREVIOUS[current or ""])
    await render(bot, query, state, svc, ())


async def confirm(query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices) -> None:
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
                price=svc.tr.price(tariff.price, tariff.currency),
                duration=svc.tr.duration(tariff.duration_days),
            ),
            keyboards.back_to(svc.tr, "tariffs", "btn.manage_tariffs"),
        ),
    )


def _handlers(router: Router) -> None:
    steps = TariffCreation
    on_button(router, picked_channel, "pick", steps.channel)
    router.message.register(
        _text_step("price", parse_price, str, steps.duration), StateFilter(steps.price)
    )
    router.message.register(
        _text_step("duration_days", parse_duration, int, steps.name), StateFilter(steps.duration)
    )
    router.message.register(
        _text_step("name", parse_name, str, steps.confirm), StateFilter(steps.name)
    )
    on_button(router, back, "back", steps.duration, steps.name, steps.confirm)
    on_button(router, confirm, "confirm", steps.confirm)


FLOW = AdminFlow(
    name="tariff_creation",
    states=TariffCreation,
    steps={
        TariffCreation.channel: 1,
        TariffCreation.price: 1,
        TariffCreation.duration: 2,
        TariffCreation.name: 3,
        TariffCreation.confirm: 4,
    },
    start=start,
    render=render,
    handlers=_handlers,
)
