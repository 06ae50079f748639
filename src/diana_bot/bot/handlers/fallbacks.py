"""What no other handler took: stale or unknown buttons, text outside any flow."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from diana_bot.bot import keyboards
from diana_bot.bot.flows import Flows
from diana_bot.bot.replies import Screen, show
from diana_bot.bot.services import BotServices


async def stale_button(
    query: CallbackQuery, callback_answer: CallbackAnswer, svc: BotServices
) -> None:
    # A flow button of an older session or an ended step, or data we don't know.
    callback_answer.text = svc.tr("session.not_active")
    callback_answer.show_alert = True


async def outside_flow(
    message: Message, bot: Bot, state: FSMContext, svc: BotServices, flows: Flows
) -> None:
    # A message no step took: the open step waits for a button (text steps take any
    # message and say what they need), or no flow is open. A hint, never silence.
    if await flows.render_current(bot, message, state, svc, (svc.tr("flow.use_buttons"),)):
        return
    await show(
        bot,
        message,
        Screen(svc.tr("session.hint_no_flow"), keyboards.back_to(svc.tr, "root", "btn.menu")),
    )


def build_router() -> Router:
    router = Router(name="fallbacks")
    router.callback_query.register(stale_button)
    router.message.register(outside_flow)
    return router
