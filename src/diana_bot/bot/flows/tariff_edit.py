"""✏ Editar …: show the current value, validate the new one, never overwrite silently."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from aiogram_durable import cancel_flow, finish_flow
from diana_bot.bot import keyboards
from diana_bot.bot.flows.base import AdminFlow, Notes, on_button, per_step, token
from diana_bot.bot.menus import active_tariff, show_tariff, show_tariffs
from diana_bot.bot.replies import Incoming, Screen, prompt, show
from diana_bot.bot.services import BotServices
from diana_bot.domain import (
    EDITABLE_FIELDS,
    DomainError,
    Tariff,
    TariffVersionConflict,
)


class TariffEdit(StatesGroup):
    """✏ Editar …: a new value, then (on a concurrent change) whether to overwrite."""

    value = State()
    overwrite = State()


def shown_value(svc: BotServices, item: Tariff, field: str) -> str:
    """A tariff field as the admin reads it (HTML-escaped)."""
    if field == "price":
        return svc.tr.price(item.price, item.currency)
    if field == "duration_days":
        return svc.tr.duration(item.duration_days)
    if field == "name":
        return escape(item.name)
    return escape(item.description) if item.description else svc.tr("tariff.no_description")


async def start(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, args: Sequence[str]
) -> None:
    """``args``: the tariff id and the field to edit."""
    if len(args) != 2 or not args[0].isdigit() or args[1] not in EDITABLE_FIELDS:
        await show_tariffs(bot, event, svc, (svc.tr("session.not_active"),))
        return
    tariff_id, field = int(args[0]), args[1]
    # A deactivated tariff is refused now, not after the admin typed a value.
    item = await active_tariff(bot, event, svc, tariff_id)
    if item is None:
        return
    await state.set_state(TariffEdit.value)
    # The version seen now: saving checks nobody changed the tariff since.
    await state.set_data({"tariff_id": item.id, "field": field, "version": item.version})
    await render_value(bot, event, state, svc, ())


async def _tariff_or_end(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, tariff_id: int
) -> Tariff | None:
    """The tariff being edited; if it is gone, end the flow and say why."""
    try:
        return await svc.tariffs.get(tariff_id)
    except DomainError as exc:
        await cancel_flow(state)
        await show(bot, event, Screen(svc.tr.error(exc), keyboards.back_to(svc.tr, "tariffs")))
        return None


async def render_value(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes
) -> None:
    data = await state.get_data()
    item = await _tariff_or_end(bot, event, state, svc, data["tariff_id"])
    if item is None:
        return
    field = data["field"]
    text = svc.tr(
        f"edit.ask.{field}", name=escape(item.name), current=shown_value(svc, item, field)
    )
    await prompt(
        bot, event, state, Screen(text, keyboards.flow_cancel(svc.tr, await token(state)), notes)
    )


async def render_overwrite(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes
) -> None:
    data = await state.get_data()
    item = await _tariff_or_end(bot, event, state, svc, data["tariff_id"])
    if item is None:
        return
    field = data["field"]
    text = svc.tr(
        "edit.conflict",
        name=escape(item.name),
        current=shown_value(svc, item, field),
        new=escape(data["new_value"]),
    )
    # Overwriting is checked against the version shown here, not the original one.
    await state.update_data(version=item.version)
    await prompt(
        bot, event, state, Screen(text, keyboards.flow_confirm(svc.tr, await token(state)), notes)
    )


async def _apply(bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, raw: str) -> None:
    data = await state.get_data()
    try:
        item = await svc.tariffs.update_field(
            data["tariff_id"], data["field"], raw, expected_version=data["version"]
        )
    except TariffVersionConflict:
        await state.update_data(new_value=raw)
        await state.set_state(TariffEdit.overwrite)
        await render_overwrite(bot, event, state, svc, ())
        return
    except DomainError as exc:
        await render_value(bot, event, state, svc, (svc.tr.error(exc),))
        return
    await finish_flow(state)
    await show_tariff(bot, event, svc, item.id, (svc.tr("edit.saved"),))


async def got_value(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    await _apply(bot, message, state, svc, message.text or "")


async def overwrite(query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    data = await state.get_data()
    await _apply(bot, query, state, svc, data["new_value"])


def _handlers(router: Router) -> None:
    router.message.register(got_value, StateFilter(TariffEdit.value))
    on_button(router, overwrite, "confirm", TariffEdit.overwrite)


FLOW = AdminFlow(
    name="tariff_edit",
    states=TariffEdit,
    steps={TariffEdit.value: 1, TariffEdit.overwrite: 2},
    start=start,
    render=per_step({TariffEdit.overwrite: render_overwrite}, render_value),
    handlers=_handlers,
)
