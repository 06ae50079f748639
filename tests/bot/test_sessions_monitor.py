"""🧹 Sesiones: open sessions per type, the list, closing one or all, the last events."""

from __future__ import annotations

from tests.bot.conftest import ADMIN, OTHER_ADMIN, Diana
from tests.bot.steps import NOT_ACTIVE, open_add_channel, session_of, tx, txn
from tests.support.bot_chat import Chat
from tests.support.recording_bot import BotMessage

CHANNEL_FLOW = tx("flow.channel_registration")
CLEAR_THEIRS = tx("sessions.clear_one", user=OTHER_ADMIN, flow=CHANNEL_FLOW)
CLEAR_MINE = tx("sessions.clear_one", user=ADMIN, flow=CHANNEL_FLOW)


async def _monitor(admin: Chat) -> BotMessage:
    await admin.send("/admin")
    await admin.press("🧹 Sesiones")
    return admin.last


async def test_no_sessions(diana: Diana, admin: Chat) -> None:
    monitor = await _monitor(admin)
    assert monitor.html.startswith(tx("sessions.title"))
    # Every flow is counted, with 0 when none is open.
    for session_type in ("channel_registration", "tariff_creation", "tariff_edit", "deactivation"):
        assert f"• {tx(f'flow.{session_type}')}: 0" in monitor.text
    assert monitor.html.endswith(tx("sessions.none"))
    assert monitor.labels == ["📜 Últimos eventos", "🔄 Actualizar", "⬅ Volver"]


async def test_the_list_counts_ages_and_expiries(
    diana: Diana, admin: Chat, other_admin: Chat
) -> None:
    await open_add_channel(other_admin)
    diana.clock.advance(90)
    monitor = await _monitor(admin)
    assert f"• {CHANNEL_FLOW}: <b>1</b>" in monitor.html
    assert tx("sessions.list_header") in monitor.html
    line = tx(
        "sessions.line",
        user=OTHER_ADMIN,
        flow=CHANNEL_FLOW,
        step="ref",
        age="1m30s",
        expires="8m30s",
    )
    assert line in monitor.html
    assert monitor.labels == [
        CLEAR_THEIRS,
        "🧹 Cerrar todas",
        "📜 Últimos eventos",
        "🔄 Actualizar",
        "⬅ Volver",
    ]
    # 🔄 Actualizar reads the clock again.
    diana.clock.advance(60)
    await admin.press("🔄 Actualizar")
    assert "· ref · 2m30s · 7m30s" in admin.last_text


async def test_clear_one_tells_its_owner_and_strips_their_keyboard(
    diana: Diana, admin: Chat, other_admin: Chat
) -> None:
    their_prompt = await open_add_channel(other_admin)
    theirs = await session_of(diana, OTHER_ADMIN)
    assert theirs is not None
    await _monitor(admin)
    turn = await admin.press(CLEAR_THEIRS)
    assert turn.answer is not None
    assert (turn.answer.text, turn.answer.show_alert) == (txn("sessions.cleared", 1), False)
    assert admin.last.html.endswith(tx("sessions.none"))
    assert await session_of(diana, OTHER_ADMIN) is None

    assert other_admin.last.html == tx("session.cleared_by_admin", flow=CHANNEL_FLOW)
    assert diana.telegram.message(OTHER_ADMIN, their_prompt.message_id).labels == []
    # A client still showing the old keyboard can press it: nothing happens.
    turn = await other_admin.press("❌ Cancelar", on=their_prompt)
    assert turn.alert == NOT_ACTIVE
    cleared = [e for e in await diana.container.sessions.recent_events(20) if e.event == "cleared"]
    assert [(e.session_id, e.user_id, e.detail) for e in cleared] == [
        (theirs.id, OTHER_ADMIN, {"by": ADMIN})
    ]


async def test_clearing_my_own_session_sends_me_no_notice(diana: Diana, admin: Chat) -> None:
    await admin.send("/admin")
    menu = admin.last
    await open_add_channel(admin)
    await admin.press("🧹 Sesiones", on=menu)
    turn = await admin.press(CLEAR_MINE)
    assert turn.methods == ["editMessageText", "answerCallbackQuery"]
    assert await session_of(diana) is None


async def test_a_clear_button_of_a_session_already_gone(
    diana: Diana, admin: Chat, other_admin: Chat
) -> None:
    await open_add_channel(other_admin)
    monitor = await _monitor(admin)
    await other_admin.send("/cancel")
    turn = await admin.press(CLEAR_THEIRS, on=monitor)
    assert turn.alert == NOT_ACTIVE
    # The list is shown as it is now.
    assert admin.last.html.endswith(tx("sessions.none"))
    # The owner is told nothing: they cancelled it themselves.
    assert other_admin.last.html == tx("session.cancelled", flow=tx("flow.channel_registration"))


async def test_clear_all_asks_first(diana: Diana, admin: Chat, other_admin: Chat) -> None:
    await admin.send("/admin")
    menu = admin.last
    await open_add_channel(admin)
    await open_add_channel(other_admin)
    await admin.press("🧹 Sesiones", on=menu)
    await admin.press("🧹 Cerrar todas")
    assert admin.last.html == txn("sessions.clear_all_ask", 2)
    assert admin.labels == ["✅ Confirmar", "❌ Cancelar"]
    # ❌ Cancelar goes back to the list: nothing closed.
    await admin.press("❌ Cancelar")
    assert CLEAR_THEIRS in admin.labels and CLEAR_MINE in admin.labels
    assert len(await diana.open_sessions()) == 2

    await admin.press("🧹 Cerrar todas")
    turn = await admin.press("✅ Confirmar")
    assert turn.answer is not None and turn.answer.text == txn("sessions.cleared", 2)
    assert admin.last.html.endswith(tx("sessions.none"))
    assert await diana.open_sessions() == []
    # Only the other admin is told.
    assert other_admin.last.html == tx("session.cleared_by_admin", flow=CHANNEL_FLOW)
    notices = [
        r for r in turn.requests if r.method == "sendMessage" and r.params["chat_id"] == ADMIN
    ]
    assert notices == []


async def test_the_last_events(diana: Diana, admin: Chat, other_admin: Chat) -> None:
    await open_add_channel(other_admin)
    await _monitor(admin)
    await admin.press(CLEAR_THEIRS)
    await admin.press("📜 Últimos eventos")
    lines = admin.last_text.splitlines()
    assert lines[0] == "📜 Últimos eventos"
    # Newest first: who cleared it, then when it started.
    assert lines[1].endswith(
        f"cleared · {CHANNEL_FLOW} · {OTHER_ADMIN} · ref · {tx('sessions.by', by=ADMIN)}"
    )
    assert lines[2].endswith(f"started · {CHANNEL_FLOW} · {OTHER_ADMIN} · ref")
    assert admin.labels == ["⬅ Volver"]
    await admin.press("⬅ Volver")
    assert admin.last.html.startswith(tx("sessions.title"))


async def test_no_events_yet(admin: Chat) -> None:
    await _monitor(admin)
    await admin.press("📜 Últimos eventos")
    assert admin.last_text.splitlines()[1:] == [tx("sessions.none")]
