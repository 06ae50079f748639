"""🗑 Desactivar a tariff or a channel: a one-step flow that asks before it acts.

The question is a session like every other flow's, so its ✅ Confirmar carries the
session token: a forged or old "deactivate" button finds no open question and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery

from aiogram_durable import finish_flow
from diana_bot.bot import keyboards
from diana_bot.bot.flows.base import AdminFlow, Notes, on_button, token
from diana_bot.bot.menus import show_channels, show_tariffs
from diana_bot.bot.replies import Incoming, Screen, prompt
from diana_bot.bot.services import BotServices
from diana_bot.domain import DomainError

TARGETS = ("tariff", "channel")


class Deactivation(StatesGroup):
    """🗑 Desactivar: confirm deactivating one tariff or channel (a one-step flow, so the
    ✅ Confirmar button carries a session token like every other destructive action)."""

    confirm = State()


async def _back_to_list(
    bot: Bot, event: Incoming, svc: BotServices, what: str, notes: Notes
) -> None:
    if what == "tariff":
        await show_tariffs(bot, event, svc, notes)
    else:
        await show_channels(bot, event, svc, notes)


async def start(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, args: Sequence[str]
) -> None:
    """``args``: tariff or channel, and its id. Asks first; a missing or inactive one is
    refused now."""
    if len(args) != 2 or args[0] not in TARGETS or not args[1].isdigit():
        await _back_to_list(bot, event, svc, "tariff", (svc.tr("session.not_active"),))
        return
    what, item_id = args[0], int(args[1])
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


async def render(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes
) -> None:
    data = await state.get_data()
    what, name = data["what"], escape(data["name"])
    text = svc.tr(f"{what}.deactivate_ask", name=name, title=name)
    await prompt(
        bot, event, state, Screen(text, keyboards.flow_confirm(svc.tr, await token(state)), notes)
    )


async def confirm(query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices) -> None:
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


def _handlers(router: Router) -> None:
    on_button(router, confirm, "confirm", Deactivation.confirm)


FLOW = AdminFlow(
    name="deactivation",
    states=Deactivation,
    steps={Deactivation.confirm: 1},
    start=start,
    render=render,
    handlers=_handlers,
)
