"""➕ Añadir Canales end to end, and the admin gate."""

from __future__ import annotations

from sqlalchemy import select

from aiogram_durable.schema import sessions as session_rows
from diana_bot.db.models import ChannelRow
from diana_devtools.localapi import BotApiUser, BotMessage, LocalBotApi
from tests.support.botproc import ADMIN, STRANGER, BotProcess
from tests.support.chat import AdminChat
from tests.support.db import records, rows

CHANNEL = -1001111111111
OTHER = -1002222222222


async def open_add(chat: AdminChat) -> BotMessage:
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    return await chat.press(config, "➕ Añadir Canales")


async def test_every_way_to_name_a_channel_and_every_mistake(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(CHANNEL, "Canal <Uno>", username="canal_uno")
    api.add_channel(OTHER, "Canal Dos", bot_status="member")
    ask = await open_add(chat)
    assert "Paso 1 de 2" in ask.text

    # A forward from a user or a group is not a channel.
    sent = await user.forward_from_user(ADMIN, 555, "Someone")
    msg = await user.wait_bot_message(ADMIN, after=sent.seq)
    assert "no viene de un canal" in msg.text
    sent = await user.forward_from_chat(ADMIN, -100333, "Grupo")
    msg = await user.wait_bot_message(ADMIN, after=sent.seq)
    assert "no viene de un canal" in msg.text
    # Typed nonsense, an unknown @username, an unknown id.
    msg = await chat.send("mi canal")
    assert "Paso 1 de 2" in msg.text and msg.text != ask.text
    msg = await chat.send("@nadie_existe")
    assert "No encuentro ese canal" in msg.text
    # An id Telegram answers "chat not found" for: refused with what to do, same step.
    msg = await chat.send("-1004444444444")
    assert "Paso 1 de 2" in msg.text
    assert "Añade el bot al canal como administrador" in msg.text
    sessions = await records(e2e_db_url, select(session_rows))
    assert [(s.session_type, s.current_step) for s in sessions] == [("channel_registration", "ref")]

    # @username: getChat gives the title (escaped when shown).
    confirm = await chat.send("@canal_uno")
    assert "Canal <Uno>" in confirm.text and str(CHANNEL) in confirm.text
    assert "Tipo: 💎 VIP" in confirm.text
    free = await chat.press(confirm, "🔄 Cambiar a Free")
    assert "Tipo: 🆓 Free" in free.text
    vip = await chat.press(free, "🔄 Cambiar a VIP")
    done = await chat.press(vip, "✅ Confirmar")
    assert "Canal <Uno>" in done.text and "registrado como 💎 VIP" in done.text

    # The same channel again, by forward: refused with a new prompt.
    await open_add(chat)
    again = await chat.forward_channel(CHANNEL, "Canal <Uno>")
    assert "ya está registrado" in again.text and "Paso 1 de 2" in again.text
    # A channel where the bot is not an administrator: a warning, then free.
    warn = await chat.send(str(OTHER))
    assert "no es administrador" in warn.text
    free = await chat.press(warn, "🔄 Cambiar a Free")
    await chat.press(free, "✅ Confirmar")
    stored = await rows(e2e_db_url, select(ChannelRow).order_by(ChannelRow.id))
    assert [(c.chat_id, c.title, c.kind) for c in stored] == [
        (CHANNEL, "Canal <Uno>", "vip"),
        (OTHER, "Canal Dos", "free"),
    ]
    # 🎚 Administrar canales: list and deactivate.
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    listing = await chat.press(config, "🎚 Administrar canales")
    detail = await chat.press(listing, "🆓 Canal Dos")
    ask_off = await chat.press(detail, "🗑 Desactivar")
    off = await chat.press(ask_off, "✅ Confirmar")
    assert "desactivado" in off.text
    stored = await rows(e2e_db_url, select(ChannelRow).where(ChannelRow.chat_id == OTHER))
    assert stored[0].is_active is False


async def test_getchat_failing_is_not_fatal(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(CHANNEL, "Canal Uno")
    await open_add(chat)
    api.fail("getChat", times=1, code=500, description="Internal Server Error")
    api.fail("getChatMember", times=1, code=500, description="Internal Server Error")
    confirm = await chat.send(str(CHANNEL))
    assert "Paso 2 de 2" in confirm.text
    assert "Telegram no me dio los datos" in confirm.text
    api.fail("sendMessage", times=1, code=500, description="Internal Server Error")
    # A failed send loses no step: the registration is still at its confirmation.
    done = await chat.press(confirm, "✅ Confirmar")
    assert "registrado" in done.text
    assert len(await rows(e2e_db_url, select(ChannelRow))) == 1


async def test_only_admins_get_in(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    admin = AdminChat(user, ADMIN)
    stranger = AdminChat(user, STRANGER)
    refused = await stranger.send("/admin")
    assert "solo para administradores" in refused.text
    ask = await open_add(admin)
    # Non-admins pressing the admin's buttons (forged onto their own chat). One user per
    # press: refusals to one user are answered once a minute (see the flood test).
    presses = (ask.buttons[0].callback_data, "m:vip", "t:deact:1:", "s:all_yes:")
    for n, data in enumerate(presses, start=1):
        assert data is not None
        api.add_user(STRANGER + n)
        sent = await user.press(STRANGER + n, ask.message_id, data, forge=True)
        assert sent.callback_query_id is not None
        answer = await user.wait_callback_answer(sent.callback_query_id)
        assert answer.show_alert
        assert answer.text == "⛔ Este panel es solo para administradores."
    # The admin's open session is untouched.
    sessions = await records(e2e_db_url, select(session_rows))
    assert [(s.user_id, s.session_type, s.current_step) for s in sessions] == [
        (ADMIN, "channel_registration", "ref"),
    ]
    # Forged data from the admin: a token of no session, an unknown tariff.
    sent = await user.press(ADMIN, ask.message_id, "f:deadbeef:confirm:", forge=True)
    assert sent.callback_query_id is not None
    answer = await user.wait_callback_answer(sent.callback_query_id)
    assert answer.text == "Esta sesión ya no está activa."
    msg_sent = await user.press(ADMIN, ask.message_id, "t:open:999:", forge=True)
    shown = await user.wait_bot_message(ADMIN, after=msg_sent.seq)
    assert "No encuentro la tarifa n.º 999" in shown.text
