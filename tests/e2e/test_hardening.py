"""What Telegram's garbage at start-up, a handler failing and a flood of strangers must
never do to a real bot process (against the local Bot API; PostgreSQL where it says).

The same rules inside one update (Telegram failing, forged or stale buttons, strangers,
groups) are tested in-process in tests/bot/test_errors.py and the flow tests beside it.
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
from diana_bot.db.models import TariffRow
from diana_devtools.localapi import BotApiUser, BotMessage, LocalBotApi
from tests.support.botproc import ADMIN, STRANGER, BotProcess, bot_env
from tests.support.chat import AdminChat
from tests.support.db import records, rows

BAD_GATEWAY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"
VIP_ID = -1001234567890


async def register_channel(chat: AdminChat, channel_id: int, title: str) -> None:
    """➕ Añadir Canales by forwarding a post of the channel, then ✅ Confirmar."""
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    await chat.press(config, "➕ Añadir Canales")
    confirm = await chat.forward_channel(channel_id, title)
    done = await chat.press(confirm, "✅ Confirmar")
    assert "registrado" in done.text


async def open_create(chat: AdminChat) -> BotMessage:
    menu = await chat.send("/admin")
    vip = await chat.press(menu, "💎 VIP")
    tariffs = await chat.press(vip, "🏷 Gestionar Tarifas")
    return await chat.press(tariffs, "➕ Crear Tarifa")


async def create_tariff(chat: AdminChat, name: str = "Plata") -> BotMessage:
    """A tariff through the flow; returns the "created" message."""
    await open_create(chat)
    await chat.send("10")
    await chat.send("30")
    summary = await chat.send(name)
    return await chat.press(summary, "✅ Confirmar")


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
