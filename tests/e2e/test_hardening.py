"""What a failing Telegram, a forged button or a flood of strangers must never do.

Real bot processes against the local Bot API; the flood test on real PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, text

from aiogram_durable.schema import sessions as session_rows
from aiogram_durable.testing import free_port
from diana_bot.db.engine import create_engine
from diana_bot.db.models import ChannelRow, TariffRow
from diana_devtools.localapi import BotApiUser, BotMessage, LocalBotApi
from tests.e2e.test_tariff_flow import VIP2_ID, VIP_ID, open_create, register_channel
from tests.support.botproc import ADMIN, STRANGER, BotProcess, bot_env
from tests.support.chat import AdminChat
from tests.support.db import records, rows

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BAD_GATEWAY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"
GROUP = -1005555555555


async def open_add(chat: AdminChat) -> BotMessage:
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    return await chat.press(config, "➕ Añadir Canales")


async def create_tariff(chat: AdminChat, name: str = "Plata") -> BotMessage:
    """A tariff through the flow; returns the "created" message."""
    await open_create(chat)
    await chat.send("10")
    await chat.send("30")
    summary = await chat.send(name)
    return await chat.press(summary, "✅ Confirmar")


async def open_detail(chat: AdminChat) -> BotMessage:
    """A new message showing the first tariff's detail."""
    menu = await chat.send("/admin")
    vip = await chat.press(menu, "💎 VIP")
    listing = await chat.press(vip, "🏷 Gestionar Tarifas")
    return await chat.press(listing, listing.buttons[0].text)


async def forged_answer(user: BotApiUser, message: BotMessage, data: str) -> str | None:
    sent = await user.press(ADMIN, message.message_id, data, forge=True)
    assert sent.callback_query_id is not None
    return (await user.wait_callback_answer(sent.callback_query_id)).text


async def test_query_too_old_never_stops_a_step(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "Canal Uno", username="canal_uno")
    await open_add(chat)
    # Every button answer fails as Telegram's does for a press older than 15 s.
    api.fail("answerCallbackQuery", times=100, description=TOO_OLD)
    confirm = await chat.send("@canal_uno")
    free = await chat.press(confirm, "🔄 Cambiar a Free")
    assert "Tipo: 🆓 Free" in free.text
    back = await chat.press(free, "⬅ Atrás")
    assert "Paso 1 de 2" in back.text
    confirm = await chat.send("@canal_uno")
    done = await chat.press(confirm, "✅ Confirmar")
    assert "registrado" in done.text
    assert len(await rows(e2e_db_url, select(ChannelRow))) == 1


async def test_telegram_answers_that_are_not_about_the_chat(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess
) -> None:
    chat = AdminChat(user, ADMIN)
    await open_add(chat)
    # A proxy's 502 page for a typed id: registered by its id, with a warning.
    api.fail("getChat", code=502, raw_body=BAD_GATEWAY_PAGE)
    # JSON, but not the Bot API's (no "ok"): the admin check is skipped with a note.
    api.fail("getChatMember", code=200, raw_body='{"result": {"status": "member"}}')
    confirm = await chat.send("-1004444444444")
    assert "Paso 2 de 2" in confirm.text
    assert "Telegram no me dio los datos" in confirm.text
    back = await chat.press(confirm, "⬅ Atrás")
    # An @username Telegram could not be asked about: try again, same step.
    api.fail("getChat", code=502, raw_body=BAD_GATEWAY_PAGE)
    again = await chat.send("@canal_uno")
    assert "No pude consultar a Telegram" in again.text and "Paso 1 de 2" in again.text
    assert back.message_id != again.message_id


async def test_garbage_from_telegram_at_start_up_is_not_fatal(
    api: LocalBotApi, user: BotApiUser, e2e_db_url: str, tmp_path: Path
) -> None:
    api.fail("setMyCommands", code=502, raw_body=BAD_GATEWAY_PAGE)
    api.fail("deleteWebhook", code=200, raw_body='{"result": true}')
    process = BotProcess(bot_env(api.base_url, e2e_db_url), tmp_path / "bot.log")
    await process.start(user)  # before: ClientDecodeError, exit code 1
    try:
        menu = await AdminChat(user, ADMIN).send("/admin")
        assert "Panel de administración" in menu.text
        assert "telegram.set_commands_failed" in process.log_path.read_text()
    finally:
        await process.terminate()


async def test_edit_while_another_flow_is_open_and_forged_ids(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "Diana VIP")
    await register_channel(chat, VIP_ID, "Diana VIP")
    await create_tariff(chat)
    detail = await open_detail(chat)
    await open_create(chat)  # another message, another flow now open
    # ✏ Editar with a flow open asks first; discarding starts the edit (it crashed).
    asked = await chat.press(detail, "✏ Editar Precio")
    assert "sin terminar" in asked.text
    edit = await chat.press(asked, "🗑 Descartar")
    assert "Precio actual: 10.00 USD" in edit.text

    # The widest ids a button can carry: never a crash, never a change.
    widest = 2**63 - 1
    asked = await chat.press(edit, "❌ Cancelar")
    await open_create(chat)
    sent = await user.press(ADMIN, detail.message_id, f"t:edit:{widest}:duration_days", forge=True)
    asked = await user.wait_bot_message(ADMIN, after=sent.seq)
    assert "sin terminar" in asked.text
    missing = await chat.press(asked, "🗑 Descartar")
    assert f"No encuentro la tarifa n.º {widest}" in missing.text
    for forged in (f"t:open:{2**63}:", f"t:open:{10**30}:", f"t:edit:{2**64}:price"):
        sent = await user.press(ADMIN, detail.message_id, forged, forge=True)
        shown = await user.wait_bot_message(ADMIN, after=sent.seq)
        assert "No encuentro la tarifa" in shown.text, forged
    # A forged channel pick inside the flow: "not found", the flow stays at its step.
    api.add_channel(VIP2_ID, "Diana VIP 2")
    await register_channel(chat, VIP2_ID, "Diana VIP 2")
    pick = await open_create(chat)
    assert "¿Para qué canal VIP?" in pick.text
    session = (await records(e2e_db_url, select(session_rows)))[0]
    sent = await user.press(ADMIN, pick.message_id, f"f:{session.id[:8]}:pick:{2**70}", forge=True)
    shown = await user.wait_bot_message(ADMIN, after=sent.seq)
    assert "No encuentro ese canal" in shown.text and "¿Para qué canal VIP?" in shown.text
    after = (await records(e2e_db_url, select(session_rows)))[0]
    assert (after.id, after.current_step) == (session.id, "channel")
    stored = await rows(e2e_db_url, select(TariffRow))
    assert [(str(t.price), t.duration_days, t.is_active) for t in stored] == [("10.00", 30, True)]


async def test_deactivation_asks_with_a_session_token(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "Diana VIP")
    await register_channel(chat, VIP_ID, "Diana VIP")
    await create_tariff(chat)
    tariff = (await rows(e2e_db_url, select(TariffRow)))[0]
    detail = await open_detail(chat)
    # The old one-click confirmation does nothing any more.
    answer = await forged_answer(user, detail, f"t:deact_yes:{tariff.id}:")
    assert answer == "Esta sesión ya no está activa."
    ask = await chat.press(detail, "🗑 Desactivar")
    assert "¿Desactivar la tarifa «Plata»?" in ask.text
    confirm_data = ask.button("✅ Confirmar").callback_data
    assert confirm_data is not None and confirm_data.startswith("f:")
    assert (await rows(e2e_db_url, select(TariffRow)))[0].is_active is True
    # ❌ Cancelar ends the question; its ✅ is then stale.
    await chat.press(ask, "❌ Cancelar")
    assert await forged_answer(user, ask, confirm_data) == "Esta sesión ya no está activa."
    assert (await rows(e2e_db_url, select(TariffRow)))[0].is_active is True
    detail = await open_detail(chat)
    ask = await chat.press(detail, "🗑 Desactivar")
    gone = await chat.press(ask, "✅ Confirmar")
    assert "desactivada" in gone.text
    assert (await rows(e2e_db_url, select(TariffRow)))[0].is_active is False
    # Editing a deactivated tariff is refused at once: no flow opens.
    sent = await user.press(ADMIN, gone.message_id, f"t:edit:{tariff.id}:price", forge=True)
    refused = await user.wait_bot_message(ADMIN, after=sent.seq)
    assert "ya no está activa" in refused.text
    assert await records(e2e_db_url, select(session_rows)) == []


@pytest.mark.parametrize("e2e_db_url", ["postgresql"], indirect=True)
async def test_an_unexpected_error_is_answered_once_and_changes_nothing(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "Diana VIP")
    await register_channel(chat, VIP_ID, "Diana VIP")
    await open_create(chat)
    await chat.send("10")
    await chat.send("30")
    summary = await chat.send("Plata")
    before = await records(e2e_db_url, select(session_rows))
    # A fault no outage explains: the table the service writes to is gone.
    await _sql(e2e_db_url, "ALTER TABLE tariffs RENAME TO tariffs_away")
    try:
        sent = await chat.press_only(summary, "✅ Confirmar")
        failed = await user.wait_bot_message(ADMIN, after=sent.seq)
    finally:
        await _sql(e2e_db_url, "ALTER TABLE tariffs_away RENAME TO tariffs")
    assert failed.text == "⚠ Algo salió mal, inténtalo de nuevo."
    after = await records(e2e_db_url, select(session_rows))
    assert [(s.id, s.current_step, s.version) for s in after] == [
        (s.id, s.current_step, s.version) for s in before
    ]
    failures = [line for line in bot.log_path.read_text().splitlines() if "update.failed" in line]
    assert len(failures) == 1 and str(sent.update_id) in failures[0]
    # The update was acknowledged: the bot goes on, and the same button now works.
    done = await chat.press(summary, "✅ Confirmar")
    assert "creada" in done.text
    assert len(await rows(e2e_db_url, select(TariffRow))) == 1


async def _sql(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


# -- the admin gate: strangers and groups never reach the store ---------------------------


class Metered:
    """A bot process with its metrics endpoint on, and a reader for it."""

    def __init__(self, process: BotProcess, port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}/metrics"

    async def value(self, name: str) -> float:
        async with aiohttp.ClientSession() as http, http.get(self.url) as resp:
            body = await resp.text()
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"{name} not exposed")

    async def wait_for(self, name: str, check: Callable[[float], bool]) -> float:
        """Until the metric passes ``check`` (the bot handles updates concurrently)."""
        async with asyncio.timeout(60):
            # Another process's counter has no event to wait on: poll it (a condition
            # with a deadline, not a sleep standing in for one).
            while not check(value := await self.value(name)):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return value


@pytest.fixture
async def metered(
    api: LocalBotApi, user: BotApiUser, pg_url: str, tmp_path: Path
) -> AsyncIterator[Metered]:
    port = free_port()
    env = bot_env(api.base_url, pg_url, METRICS_PORT=str(port))
    process = BotProcess(env, tmp_path / "bot.log")
    await process.start(user)
    yield Metered(process, port)
    if process.proc is not None:
        await process.terminate()


REFUSED = 'diana_updates_total{outcome="refused"}'


async def test_a_flood_of_strangers_never_touches_the_store(
    api: LocalBotApi, user: BotApiUser, metered: Metered, pg_url: str
) -> None:
    strangers = [STRANGER + 1000 + n for n in range(200)]
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "Diana VIP")
    admin_updates = 0

    async def admin_flow() -> None:
        nonlocal admin_updates
        await register_channel(chat, VIP_ID, "Diana VIP")
        await create_tariff(chat)
        admin_updates = 5 + 8  # the updates those two flows send

    async def flood() -> dict[str, int]:
        owner: dict[str, int] = {}
        for round_ in range(10):
            for stranger in strangers:
                if round_ % 2:
                    sent = api.actions.press(stranger, 1, "m:vip", forge=True)
                    assert sent.callback_query_id is not None
                    owner[sent.callback_query_id] = stranger
                else:
                    api.actions.send_text(stranger, "/admin")
            await asyncio.sleep(0)  # let the admin's requests interleave
        return owner

    owner, _ = await asyncio.gather(flood(), admin_flow())
    await metered.wait_for(REFUSED, lambda v: v >= 2000)
    assert len(await rows(pg_url, select(TariffRow))) == 1
    # Every session read is an admin's: at most one per admin update, none for 2,000.
    reads = await metered.value("diana_session_reads_total")
    assert 0 < reads <= admin_updates
    # At most one refusal per stranger; the rest dropped and counted.
    answered: dict[int, int] = dict.fromkeys(strangers, 0)
    for request in api.requests:
        chat_id = request.params.get("chat_id")
        if request.method == "sendMessage" and int(str(chat_id or 0)) in answered:
            answered[int(str(chat_id))] += 1
        if request.method == "answerCallbackQuery":
            query = owner.get(str(request.params.get("callback_query_id")))
            if query is not None:
                answered[query] += 1
    assert set(answered.values()) == {1}
    assert await metered.value("diana_refusals_dropped_total") == 2000 - 200


async def test_the_panel_lives_in_the_private_chat(
    api: LocalBotApi, user: BotApiUser, metered: Metered, pg_url: str
) -> None:
    api.world.add_chat(GROUP, type="supergroup", title="Grupo")
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "Diana VIP")
    await register_channel(chat, VIP_ID, "Diana VIP")
    await open_create(chat)  # the private flow waits for a price
    refused_before = await metered.value(REFUSED)
    sent = await user.send_text(ADMIN, "/admin", chat_id=GROUP)
    reply = await user.wait_bot_message(GROUP, after=sent.seq)
    assert "Úsame en privado" in reply.text
    assert reply.buttons == []
    # A price typed in the group is not the private flow's input.
    await user.send_text(ADMIN, "15", chat_id=GROUP)
    await metered.wait_for(REFUSED, lambda v: v >= refused_before + 2)
    sessions = await records(pg_url, select(session_rows))
    assert [(s.chat_id, s.current_step) for s in sessions] == [(ADMIN, "price")]
    assert len(api.world.messages(GROUP)) == 1
    step2 = await chat.send("15")
    assert "Paso 2 de 3" in step2.text
