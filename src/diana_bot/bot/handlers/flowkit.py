"""What every flow shares: session tokens, stale buttons, the resume prompt, re-prompting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from aiogram_durable import session_id_of
from diana_bot.bot import keyboards
from diana_bot.bot.callbacks import Flow, token_of
from diana_bot.bot.services import BotServices
from diana_bot.bot.states import STEP_NUMBERS
from diana_bot.bot.ui import Event, Screen, answer, show

# state -> renders that step's prompt again (filled by the flow modules).
Renderer = Callable[[Bot, Event, FSMContext, BotServices, tuple[str, ...]], Awaitable[None]]
RENDERERS: dict[str, Renderer] = {}


def renders(*states: str | None) -> Callable[[Renderer], Renderer]:
    """Register the function that shows the prompt of ``states``."""

    def register(fn: Renderer) -> Renderer:
        for state in states:
            assert state is not None
            RENDERERS[state] = fn
        return fn

    return register


async def token(state: FSMContext) -> str:
    """The open flow's button token ('' when none is open)."""
    return token_of(await session_id_of(state))


async def is_current(
    query: CallbackQuery, data: Flow | str, state: FSMContext, svc: BotServices
) -> bool:
    """True when the button belongs to the open session; otherwise tell the admin."""
    pressed = data.t if isinstance(data, Flow) else data
    current = await token(state)
    if current and pressed == current:
        return True
    await answer(query, svc.tr("session.not_active"), alert=True)
    return False


def flow_title(svc: BotServices, state: str) -> str:
    group = state.split(":", 1)[0]
    return svc.tr(f"flow.{group}")


async def offer_resume(
    bot: Bot, event: Event, state: FSMContext, svc: BotServices, then: str
) -> bool:
    """If a flow is open, ask whether to continue it or discard it; True when asked."""
    current = await state.get_state()
    if current is None:
        return False
    screen = Screen(
        svc.tr(
            "session.unfinished", flow=flow_title(svc, current), step=STEP_NUMBERS.get(current, 1)
        ),
        keyboards.resume(svc.tr, await token(state), then),
    )
    await show(bot, event, screen)
    return True


async def render_current(
    bot: Bot, event: Event, state: FSMContext, svc: BotServices, notes: tuple[str, ...] = ()
) -> bool:
    """Show the open flow's current prompt again; False when no flow is open."""
    current = await state.get_state()
    if current is None or current not in RENDERERS:
        return False
    await RENDERERS[current](bot, event, state, svc, notes)
    return True
