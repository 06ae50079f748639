"""/cancel, ❌ Cancelar, stale buttons and text outside any flow."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from aiogram_durable import cancel_flow
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import Flow
from diana_bot.bot.handlers.flowkit import flow_title, is_current, render_current
from diana_bot.bot.services import BotServices
from diana_bot.bot.ui import Screen, answer, show

router = Router(name=__name__)


@router.callback_query(Flow.filter(F.act == "cancel"))
async def cancel_button(
    query: CallbackQuery, callback_data: Flow, bot: Bot, state: FSMContext, svc: BotServices
) -> None:
    if not await is_current(query, callback_data, state, svc):
        return
    current = await state.get_state() or ""
    await answer(query)
    await cancel_flow(state, by=query.from_user.id)
    await show(
        bot,
        query,
        Screen(
            svc.tr("session.cancelled", flow=flow_title(svc, current)),
            keyboards.back_to(svc.tr, "root", "btn.menu"),
        ),
    )


@router.callback_query(Flow.filter())
async def stale_flow_button(query: CallbackQuery, svc: BotServices) -> None:
    # A flow button whose step is over (its handler's state filter did not match).
    await answer(query, svc.tr("session.not_active"), alert=True)


@router.callback_query()
async def unknown_button(query: CallbackQuery, svc: BotServices) -> None:
    await answer(query, svc.tr("session.not_active"), alert=True)


@router.message()
async def outside_flow(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    # Text in a flow step that no handler took (a sticker at a text step, say), or
    # text with no flow open: answer with a hint, never silence.
    if await render_current(bot, message, state, svc, (svc.tr("flow.need_text"),)):
        return
    await show(
        bot,
        message,
        Screen(svc.tr("session.hint_no_flow"), keyboards.back_to(svc.tr, "root", "btn.menu")),
    )
