"""🧹 Sesiones: counts, the list, clearing one and all (audited), recent events."""

from __future__ import annotations

from sqlalchemy import select

from aiogram_durable.schema import events as session_events
from aiogram_durable.schema import sessions as session_rows
from diana_devtools.localapi import BotApiUser, LocalBotApi
from tests.support.botproc import ADMIN, OTHER_ADMIN, TOKEN, BotProcess
from tests.support.chat import AdminChat
from tests.support.db import records


async def test_monitor_lists_clears_and_tells_the_owner(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    me = AdminChat(user, ADMIN)
    other = AdminChat(user, OTHER_ADMIN)
    menu = await other.send("/admin")
    config = await other.press(menu, "⚙ Configuración Global")
    their_prompt = await other.press(config, "➕ Añadir Canales")

    menu = await me.send("/admin")
    monitor = await me.press(menu, "🧹 Sesiones")
    assert "registro de canal: <b>1</b>" not in monitor.text  # rendered bold, not raw
    assert "registro de canal: 1" in monitor.text
    assert f"{OTHER_ADMIN} · registro de canal · ref" in monitor.text
    cleared = await me.press(monitor, f"🗑 {OTHER_ADMIN} · registro de canal")
    assert "No hay sesiones abiertas" in cleared.text
    told = await user.wait_bot_message(OTHER_ADMIN, timeout=30)
    while "cerró tu sesión" not in told.text:
        told = await user.wait_bot_message(OTHER_ADMIN, timeout=30)
    # Its keyboard was stripped; a client still showing it can press it: nothing happens.
    assert (await user.message(OTHER_ADMIN, their_prompt.message_id)).buttons == []
    old = their_prompt.button("❌ Cancelar").callback_data
    assert old is not None
    sent = await user.press(OTHER_ADMIN, their_prompt.message_id, old, forge=True)
    assert sent.callback_query_id is not None
    answer = await user.wait_callback_answer(sent.callback_query_id)
    assert answer.text == "Esta sesión ya no está activa."

    # Close all: asks first.
    menu = await other.send("/admin")
    config = await other.press(menu, "⚙ Configuración Global")
    await other.press(config, "➕ Añadir Canales")
    monitor = await me.press(cleared, "🔄 Actualizar")
    ask = await me.press(monitor, "🧹 Cerrar todas")
    assert "¿Cerrar las 1 sesiones abiertas?" in ask.text
    done = await me.press(ask, "✅ Confirmar")
    assert "No hay sesiones abiertas" in done.text
    assert await records(e2e_db_url, select(session_rows)) == []
    events = await me.press(done, "📜 Últimos eventos")
    assert "cleared" in events.text and f"por {ADMIN}" in events.text

    audit = await records(
        e2e_db_url, select(session_events).where(session_events.c.event == "cleared")
    )
    assert [(e.user_id, e.detail) for e in audit] == [
        (OTHER_ADMIN, {"by": ADMIN}),
        (OTHER_ADMIN, {"by": ADMIN}),
    ]
    # Structured logs carry the session fields and never the token.
    log = bot.log_path.read_text()
    assert '"event": "session.cleared"' in log and '"session_type": "channel_registration"' in log
    assert TOKEN not in log
