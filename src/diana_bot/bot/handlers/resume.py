"""/cancel, ❌ Cancelar, and ▶ Continuar / 🗑 Descartar: what to do with a flow left open."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from aiogram_durable import cancel_flow
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import FlowButton, Resume, Start
from diana_bot.bot.flows import Flows
from diana_bot.bot.flows.base import OpenSessionButton, title_of
from diana_bot.bot.replies import Incoming, Screen, show
from diana_bot.bot.services import BotServices


async def _cancel(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, flows: Flows, by: int | None
) -> None:
    current = await state.get_state()
    if current is None:
        text = svc.tr("session.nothing_to_cancel")
    else:
        await cancel_flow(state, by=by)
        text = svc.tr("session.cancelled", flow=title_of(svc, flows.session_type_of(current)))
    await show(bot, event, Screen(text, keyboards.back_to(svc.tr, "root", "btn.menu")))


async def cancel_command(
    message: Message, bot: Bot, state: FSMContext, svc: BotServices, flows: Flows
) -> None:
    by = message.from_user.id if message.from_user else None
    await _cancel(bot, message, state, svc, flows, by)


async def cancel_button(
    query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices, flows: Flows
) -> None:
    await _cancel(bot, query, state, svc, flows, query.from_user.id)


async def resume(
    query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices, flows: Flows
) -> None:
    await flows.render_current(bot, query, state, svc)


async def discard(
    query: CallbackQuery,
    callback_data: Resume,
    callback_answer: CallbackAnswer,
    bot: Bot,
    state: FSMContext,
    svc: BotServices,
    flows: Flows,
) -> None:
    callback_answer.text = svc.tr("session.discarded")
    await cancel_flow(state, by=query.from_user.id)
    # Then what the admin had asked for before the question.
    await flows.open(bot, query, state, svc, Start.from_entry(callback_data.then))


def build_router() -> Router:
    router = Router(name="resume")
    # First in the tree, so /cancel works at any step (a flow step would take it as input).
    router.message.register(cancel_command, Command("cancel"))
    router.callback_query.register(
        cancel_button, FlowButton.filter(F.act == "cancel"), OpenSessionButton()
    )
    router.callback_query.register(resume, Resume.filter(F.act == "continue"), OpenSessionButton())
    router.callback_query.register(discard, Resume.filter(F.act == "discard"), OpenSessionButton())
    return router
