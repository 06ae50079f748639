"""What an admin lives through when the bot process dies: kill -9 at every step,
restart, the last update delivered again, continue; exactly-once completion; expiry;
the resume prompt."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select

from aiogram_durable import SystemClock
from aiogram_durable.schema import events as session_events
from aiogram_durable.schema import sessions as session_rows
from diana_bot.db.engine import create_engine, create_sessionmaker
from diana_bot.db.models import ChannelRow, TariffRow
from diana_bot.domain import TariffService
from diana_devtools.localapi import BotApiUser, LocalBotApi
from tests.support.botproc import ADMIN, BotProcess
from tests.support.chat import AdminChat
from tests.support.db import records, rows
from tests.support.waiting import eventually

VIP_ID = -1005555555555


async def _one_session(url: str) -> Any:
    sessions = await records(url, select(session_rows))
    assert len(sessions) == 1
    session: Any = sessions[0]
    return session


async def _trail(url: str, session_id: str) -> list[Any]:
    query = select(session_events).where(session_events.c.session_id == session_id)
    return await records(url, query.order_by(session_events.c.id))


async def _audited(url: str, session_id: str, event: str) -> bool:
    return any(e.event == event for e in await _trail(url, session_id))


async def test_kill9_at_every_step_of_every_flow(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "VIP")

    async def crash() -> AdminChat:
        # Killed before Telegram learnt the last update was handled: it comes again, and
        # the restarted bot must neither apply it twice nor to the next step.
        shown = await chat.last()
        await bot.restart(user)
        await chat.redeliver_last()
        assert await chat.last() == shown  # acknowledged, nothing sent or edited
        return chat

    # Channel registration: killed at step 1 and at step 2.
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    await chat.press(config, "➕ Añadir Canales")
    await crash()
    resume = await chat.send("/admin")
    assert "sin terminar: registro de canal (paso 1)" in resume.text
    confirm = await chat.forward_channel(VIP_ID, "VIP")
    assert "Paso 2 de 2" in confirm.text
    await crash()
    done = await chat.press(confirm, "✅ Confirmar")  # the old prompt still works
    assert "registrado" in done.text

    # Tariff creation: killed after every answer.
    menu = await chat.send("/admin")
    vip = await chat.press(menu, "💎 VIP")
    tariffs = await chat.press(vip, "🏷 Gestionar Tarifas")
    prompt = await chat.press(tariffs, "➕ Crear Tarifa")
    expected = ["Paso 2 de 3", "Paso 3 de 3", "Resumen"]
    for answer, next_step in zip(["9.99", "7", "Semana"], expected, strict=True):
        await crash()
        prompt = await chat.send(answer)
        assert next_step in prompt.text, (answer, prompt.text)  # never asked twice
    await crash()
    created = await chat.press(prompt, "✅ Confirmar")
    assert "creada" in created.text

    # Tariff edit: killed at the value prompt.
    listing = await chat.press(created, "🏷 Gestionar Tarifas")
    detail = await chat.press(listing, listing.buttons[0].text)
    await chat.press(detail, "📝 Editar Nombre")
    await crash()
    saved = await chat.send("Semana Plus")
    assert "✅ Guardado" in saved.text

    assert [c.chat_id for c in await rows(e2e_db_url, select(ChannelRow))] == [VIP_ID]
    stored = await rows(e2e_db_url, select(TariffRow))
    assert [(t.name, str(t.price), t.duration_days) for t in stored] == [
        ("Semana Plus", "9.99", 7),
    ]
    assert await records(e2e_db_url, select(session_rows)) == []
    assert bot.starts == 8


async def _to_price_step(chat: AdminChat, api: LocalBotApi) -> None:
    api.add_channel(VIP_ID, "VIP")
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    await chat.press(config, "➕ Añadir Canales")
    confirm = await chat.forward_channel(VIP_ID, "VIP")
    await chat.press(confirm, "✅ Confirmar")
    menu = await chat.send("/admin")
    vip = await chat.press(menu, "💎 VIP")
    tariffs = await chat.press(vip, "🏷 Gestionar Tarifas")
    await chat.press(tariffs, "➕ Crear Tarifa")


async def _to_summary(chat: AdminChat, api: LocalBotApi) -> None:
    await _to_price_step(chat, api)
    await chat.send("5")
    await chat.send("30")
    await chat.send("Mes")


async def test_an_answer_redelivered_after_a_restart_is_not_read_as_the_next_step(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    await _to_price_step(chat, api)
    price = await chat.send_only("30")
    prompt = await user.wait_bot_message(ADMIN, after=price.seq)
    assert "Paso 2 de 3" in prompt.text
    session = await _one_session(e2e_db_url)
    # Audit rows are batched (a kill -9 may lose the newest): wait for them to be written.
    await eventually(lambda: _audited(e2e_db_url, session.id, "step"), "the step's audit row")
    # The process dies before Telegram learns the update was handled; it comes again.
    await bot.kill9()
    await bot.start(user)
    again = await user.redeliver(price.update_id)
    await user.wait_confirmed(again)
    session = await _one_session(e2e_db_url)
    assert session.current_step == "duration"
    assert "duration_days" not in json.loads(session.session_data)
    await chat.send("7")
    await chat.send("Mes")
    done = await chat.press(await chat.last(), "✅ Confirmar")
    assert "creada" in done.text
    stored = await rows(e2e_db_url, select(TariffRow))
    assert [(str(t.price), t.duration_days) for t in stored] == [("30.00", 7)]

    await eventually(lambda: _audited(e2e_db_url, session.id, "completed"), "completed")
    # One audit row per step (the redelivery added none), each naming its prompt.
    events = await _trail(e2e_db_url, session.id)
    assert [(e.event, e.step) for e in events] == [
        ("started", "price"),
        ("step", "duration"),
        ("step", "name"),
        ("step", "confirm"),
        ("completed", "confirm"),
    ]
    assert all(isinstance((e.detail or {}).get("_prompt"), int) for e in events[:-1])


async def test_confirm_twice_concurrently_and_redelivered_creates_one(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    await _to_summary(chat, api)
    summary = await chat.last()
    data = summary.button("✅ Confirmar").callback_data
    assert data is not None
    # Two presses at once, then the same update delivered again.
    first, second = await asyncio.gather(
        user.press(ADMIN, summary.message_id, data), user.press(ADMIN, summary.message_id, data)
    )
    assert first.callback_query_id is not None and second.callback_query_id is not None
    answers = [
        await user.wait_callback_answer(q)
        for q in (first.callback_query_id, second.callback_query_id)
    ]
    again = await user.redeliver(first.update_id)
    await user.wait_confirmed(again)
    # The duplicate was skipped (not answered), one press created, one found it gone.
    assert sorted(a.text or "" for a in answers) == ["", "Esta sesión ya no está activa."]
    assert len(await rows(e2e_db_url, select(TariffRow))) == 1
    assert await records(e2e_db_url, select(session_rows)) == []


async def test_crash_between_row_and_session_end_creates_one(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    await _to_summary(chat, api)
    summary = await chat.last()
    session = await _one_session(e2e_db_url)
    await bot.kill9()
    # What the dead process had done: the tariff row written with the session's id as
    # idempotency key, the session not ended yet.
    engine = create_engine(e2e_db_url)
    tariffs = TariffService(create_sessionmaker(engine), SystemClock())
    channel = (await rows(e2e_db_url, select(ChannelRow)))[0]
    await tariffs.create(channel.id, "Mes", "5", 30, idempotency_key=session.id)
    await engine.dispose()
    await bot.start(user)
    created = await chat.press(summary, "✅ Confirmar")
    assert "creada" in created.text
    assert len(await rows(e2e_db_url, select(TariffRow))) == 1
    assert await records(e2e_db_url, select(session_rows)) == []


@pytest.mark.bot_env(SESSION_TTL_SECONDS=2, SESSION_SWEEP_INTERVAL_SECONDS=0.2)
async def test_expiry_tells_the_admin_and_strips_the_keyboard(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    prompt = await chat.press(config, "➕ Añadir Canales")
    assert prompt.buttons
    mark = await user.mark()
    # The sweeper notices the expiry by itself; wait for what it tells the admin.
    told = None
    for _ in range(3):
        told = await user.wait_bot_message(ADMIN, after=mark, timeout=30)
        if "expiró" in told.text:
            break
        mark = told.seq
    assert told is not None and "registro de canal expiró tras 1 min" in told.text
    stripped = await user.message(ADMIN, prompt.message_id)
    assert stripped.buttons == []
    # A client that still shows the old keyboard can press it: nothing happens.
    old = prompt.button("❌ Cancelar").callback_data
    assert old is not None
    sent = await user.press(ADMIN, prompt.message_id, old, forge=True)
    assert sent.callback_query_id is not None
    answer = await user.wait_callback_answer(sent.callback_query_id)
    assert answer.text == "Esta sesión ya no está activa."
    assert await records(e2e_db_url, select(session_rows)) == []
