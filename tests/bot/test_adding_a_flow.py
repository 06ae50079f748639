"""Adding a flow is one module plus its texts, registered in one list (issue 13).

Everything between the two ``----`` lines is a whole fourth flow — states, step numbers,
screens, handlers — as its own module would hold it (texts inline: it is not shipped).
The test registers it beside the shipped flows and walks it through the real
dispatcher and the durable store: the generic parts (session type, resume question,
/cancel, stale buttons, re-prompting) come with it without naming it anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pytest
from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from aiogram_durable import finish_flow
from diana_bot.bot import keyboards
from diana_bot.bot.flows import DEFAULT_FLOWS, Flows
from diana_bot.bot.flows.base import AdminFlow, Notes, on_button, token
from diana_bot.bot.replies import Incoming, Screen, prompt, show
from diana_bot.bot.services import BotServices
from tests.bot.conftest import ADMIN, Diana
from tests.support.bot_chat import Chat

# ---- the example flow: "📝 Nota", a note for the other admins, then confirm ----------


class NoteFlow(StatesGroup):
    text = State()
    confirm = State()


async def start_note(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, args: Sequence[str]
) -> None:
    await state.set_state(NoteFlow.text)
    await state.set_data({})
    await render_note(bot, event, state, svc, ())


async def render_note(
    bot: Bot, event: Incoming, state: FSMContext, svc: BotServices, notes: Notes
) -> None:
    tok = await token(state)
    if await state.get_state() == NoteFlow.confirm.state:
        text = (await state.get_data())["text"]
        screen = Screen(f"¿Publicar «{escape(text)}»?", keyboards.flow_confirm(svc.tr, tok), notes)
    else:
        screen = Screen("📝 Escribe la nota:", keyboards.flow_cancel(svc.tr, tok), notes)
    await prompt(bot, event, state, screen)


async def got_note(message: Message, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    await state.update_data(text=message.text or "")
    await state.set_state(NoteFlow.confirm)
    await render_note(bot, message, state, svc, ())


async def publish_note(query: CallbackQuery, bot: Bot, state: FSMContext, svc: BotServices) -> None:
    text = (await state.get_data())["text"]
    await finish_flow(state)
    await show(bot, query, Screen(f"✅ Nota publicada: {escape(text)}"))


def note_handlers(router: Router) -> None:
    router.message.register(got_note, StateFilter(NoteFlow.text))
    on_button(router, publish_note, "confirm", NoteFlow.confirm)


NOTE_FLOW = AdminFlow(
    name="admin_note",
    states=NoteFlow,
    steps={NoteFlow.text: 1, NoteFlow.confirm: 2},
    start=start_note,
    render=render_note,
    handlers=note_handlers,
)

# ---- end of the example flow --------------------------------------------------------


@pytest.fixture
def flows() -> Flows:
    return DEFAULT_FLOWS.with_flow(NOTE_FLOW)


async def _open_note(admin: Chat) -> None:
    await admin.send("/admin")
    await admin.press_data(NOTE_FLOW.entry().pack())


async def test_a_new_flow_runs_on_the_durable_store(diana: Diana, admin: Chat) -> None:
    await _open_note(admin)
    assert admin.last_text == "📝 Escribe la nota:"
    [session] = await diana.open_sessions(ADMIN)
    assert (session.session_type, session.step) == ("admin_note", "text")

    await admin.send("Mañana subo precios")
    assert admin.last_text == "¿Publicar «Mañana subo precios»?"
    [session] = await diana.open_sessions(ADMIN)
    assert session.step == "confirm" and session.data == {"text": "Mañana subo precios"}

    await admin.press("✅ Confirmar")
    assert admin.last_text == "✅ Nota publicada: Mañana subo precios"
    assert await diana.open_sessions(ADMIN) == []
    kinds = [(e.session_type, e.event) for e in await diana.container.sessions.recent_events(10)]
    assert ("admin_note", "completed") in kinds


async def test_the_generic_parts_come_with_it(diana: Diana, admin: Chat) -> None:
    await _open_note(admin)
    await admin.send("borrador")
    # The resume question knows its step number, ▶ Continuar its screen.
    await admin.send("/admin")
    assert "(paso 2)" in admin.last_text
    await admin.press("▶ Continuar")
    assert admin.last_text == "¿Publicar «borrador»?"
    # A sticker at its text step... it is at the confirm step now: the hint re-prompts.
    await admin.send("texto suelto")
    assert "¿Publicar «borrador»?" in admin.last_text
    # Its buttons carry the session token: one from before /cancel is stale.
    old = admin.last
    await admin.send("/cancel")
    assert "Cancelado" in admin.last_text
    assert await diana.open_sessions(ADMIN) == []
    turn = await admin.press("✅ Confirmar", on=old)
    assert turn.alert == "Esta sesión ya no está activa."
