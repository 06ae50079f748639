"""/cancel, and ▶ Continuar / 🗑 Descartar: what to do with a flow left open."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from aiogram_durable import cancel_flow
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import Resume, split_follow_up
from diana_bot.bot.handlers import channel_flow, deactivation, tariff_create, tariff_edit
from diana_bot.bot.handlers.flowkit import flow_title, is_current, render_current
from diana_bot.bot.handlers.screens import show_root
from diana_bot.bot.services import BotServices
from diana_bot.bot.ui import Event, Screen, answer, show

router = Router(name=__name__)


# First in the tree, so /cancel works at any step (a flow step would take it as input).
@router.message(Command("cancel"))
async def cancel_command(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    current = await state.get_state()
    if current is None:
        await show(
            bot,
            message,
            Screen(
                svc.tr("session.nothing_to_cancel"), keyboards.back_to(svc.tr, "root", "btn.menu")
            ),
        )
        return
    await cancel_flow(state, by=message.from_user.id if message.from_user else None)
    await show(
        bot,
        message,
        Screen(
            svc.tr("session.cancelled", flow=flow_title(svc, current)),
            keyboards.back_to(svc.tr, "root", "btn.menu"),
        ),
    )


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
    name, args = split_follow_up(action)
    if name == "add_channels":
        await channel_flow.start(bot, event, state, svc)
    elif name == "tariff_create":
        await tariff_create.start(bot, event, state, svc)
    elif name == "e" and len(args) == 2 and args[0].isdigit():
        await tariff_edit.start(bot, event, state, svc, int(args[0]), args[1])
    elif name == "dt" and len(args) == 1 and args[0].isdigit():
        await deactivation.start(bot, event, state, svc, "tariff", int(args[0]))
    elif name == "dc" and len(args) == 1 and args[0].isdigit():
        await deactivation.start(bot, event, state, svc, "channel", int(args[0]))
    else:
        await show_root(bot, event, svc)
