"""🧹 Sesiones in the real process: what a cleared session writes to the process's log.

What the monitor shows and does (counts, the list, clearing one or all, telling the
owner, the events) is tested in-process in tests/bot/test_sessions_monitor.py.
"""

from __future__ import annotations

import pytest

from diana_devtools.localapi import BotApiUser, LocalBotApi
from tests.support.botproc import ADMIN, OTHER_ADMIN, TOKEN, BotProcess
from tests.support.chat import AdminChat


# The log lines do not depend on the database.
@pytest.mark.parametrize("e2e_db_url", ["sqlite"], indirect=True)
async def test_clearing_a_session_is_logged_with_its_fields_and_no_secret(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    me = AdminChat(user, ADMIN)
    other = AdminChat(user, OTHER_ADMIN)
    menu = await other.send("/admin")
    config = await other.press(menu, "⚙ Configuración Global")
    await other.press(config, "➕ Añadir Canales")

    menu = await me.send("/admin")
    monitor = await me.press(menu, "🧹 Sesiones")
    cleared = await me.press(monitor, f"🗑 {OTHER_ADMIN} · registro de canal")
    assert "No hay sesiones abiertas" in cleared.text
    told = await user.wait_bot_message(OTHER_ADMIN, timeout=30)
    while "cerró tu sesión" not in told.text:
        told = await user.wait_bot_message(OTHER_ADMIN, timeout=30)

    # Structured logs carry the session fields and never the token.
    log = bot.log_path.read_text()
    assert '"event": "session.cleared"' in log and '"session_type": "channel_registration"' in log
    assert TOKEN not in log
