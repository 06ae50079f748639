"""The local Bot API stand-in, driven by a real aiogram Bot and the user-side client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from diana_devtools.localapi import SECRET_HEADER, BotApiUser, LocalApiError, LocalBotApi

TOKEN = "123456:TEST-token_abc"
BOT_ID = 123456
USER = 42
CHANNEL = -1001234567890


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    server = LocalBotApi(webhook_retry_delays=(0.01, 0.01))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    client = Bot(TOKEN, session=session)
    yield client
    await client.session.close()


@pytest.fixture
async def user(api: LocalBotApi) -> AsyncIterator[BotApiUser]:
    async with BotApiUser(api.base_url, timeout=5.0) as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def started(user: BotApiUser, user_id: int = USER) -> None:
    """The user has written to the bot, so the bot may message them."""
    await user.send_text(user_id, "hola")


# ---------------------------------------------------------------------- protocol


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (
        BOT_ID,
        True,
        "Diana Bot",
        "diana_test_bot",
    )


async def test_token_method_and_body_formats(api: LocalBotApi, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{api.base_url}/botnot-a-token/getMe") as resp:
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    async with http.post(f"{api.base_url}/bot{TOKEN}/frobnicate") as resp:
        assert resp.status == 404
        assert await resp.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
    async with http.get(f"{api.base_url}/bot{TOKEN}/GETME") as resp:
        assert (await resp.json())["result"]["id"] == BOT_ID
    async with http.post(f"{api.base_url}/bot{TOKEN}/getChat", json={"chat_id": "@nobody"}) as resp:
        assert (await resp.json())["description"] == "Bad Request: chat not found"
    async with http.post(
        f"{api.base_url}/bot{TOKEN}/getUpdates", data={"timeout": "0", "limit": "5"}
    ) as resp:
        assert await resp.json() == {"ok": True, "result": []}
    assert [r.method for r in api.requests] == ["frobnicate", "getMe", "getChat", "getUpdates"]
    assert api.requests[-1].params == {"timeout": 0.0, "limit": 5}


async def test_query_and_json_bodies_carry_typed_values(
    api: LocalBotApi, user: BotApiUser, http: aiohttp.ClientSession
) -> None:
    await started(user)
    url = f"{api.base_url}/bot{TOKEN}/sendMessage"
    async with http.get(url, params={"chat_id": str(USER), "text": "por GET"}) as resp:
        assert (await resp.json())["result"]["text"] == "por GET"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    body = {"chat_id": USER, "text": "por JSON", "reply_markup": markup}
    async with http.post(url, json=body) as resp:
        assert (await resp.json())["result"]["reply_markup"] == markup
    async with http.post(url, json={"chat_id": USER, "text": "x", "reply_markup": "{"}) as resp:
        assert resp.status == 400
        assert "can't parse reply keyboard markup" in (await resp.json())["description"]
    assert [m.text for m in await user.messages(USER)] == ["por GET", "por JSON"]
    with pytest.raises(LocalApiError) as missing:
        await user.message(USER, 999)
    assert missing.value.status == 404


async def test_only_configured_tokens_are_accepted(http: aiohttp.ClientSession) -> None:
    async with LocalBotApi(tokens=["1:good"]) as server:
        async with http.get(f"{server.base_url}/bot1:good/getMe") as resp:
            assert resp.status == 200
        async with http.get(f"{server.base_url}/bot2:other/getMe") as resp:
            assert resp.status == 401


# ---------------------------------------------------------------------- updates


async def test_update_is_redelivered_until_an_offset_confirms_it(
    bot: Bot, user: BotApiUser
) -> None:
    sent = await user.send_text(USER, "/admin extra", first_name="Ana", username="ana")

    first = await bot.get_updates(timeout=0)
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in first] == [u.update_id for u in again] == [sent.update_id]
    message = first[0].message
    assert message is not None
    assert message.from_user is not None
    assert (message.text, message.chat.id, message.chat.type) == ("/admin extra", USER, "private")
    assert message.from_user.username == "ana"
    assert message.entities is not None
    assert (message.entities[0].type, message.entities[0].length) == ("bot_command", 6)
    assert (await user.pending_updates())[0]["update_id"] == sent.update_id

    assert await bot.get_updates(offset=sent.update_id + 1, timeout=0) == []
    await user.wait_confirmed(sent)
    state = await user.updates()
    assert (state.pending_ids, state.confirmed_offset) == ([], sent.update_id + 1)


async def test_update_ids_increase(bot: Bot, user: BotApiUser) -> None:
    ids = [(await user.send_text(USER, f"m{i}")).update_id for i in range(3)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    updates = await bot.get_updates(limit=2, timeout=0)
    assert [u.update_id for u in updates] == ids[:2]


async def test_long_poll_wakes_when_an_update_arrives(bot: Bot, user: BotApiUser) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await user.wait_event(kinds=["request_received"], method="getUpdates")
    sent = await user.send_text(USER, "hello")
    updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.update_id for u in updates] == [sent.update_id]


async def test_stopping_the_server_ends_a_pending_long_poll(
    bot: Bot, user: BotApiUser, api: LocalBotApi
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await user.wait_event(kinds=["request_received"], method="getUpdates")
    await api.stop()
    assert await asyncio.wait_for(poll, timeout=5) == []


async def test_a_newer_poll_ends_the_older_one(bot: Bot, user: BotApiUser) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=30))
    await user.wait_event(kinds=["request_received"], method="getUpdates")
    newer = asyncio.create_task(bot.get_updates(timeout=30))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(older, timeout=5)
    sent = await user.send_text(USER, "hi")
    assert [u.update_id for u in await asyncio.wait_for(newer, timeout=5)] == [sent.update_id]


async def test_redelivery_keeps_the_update_id(bot: Bot, user: BotApiUser) -> None:
    sent = await user.send_text(USER, "/start")
    [update] = await bot.get_updates(timeout=0)
    offset = update.update_id + 1
    assert await bot.get_updates(offset=offset, timeout=0) == []

    copy = await user.redeliver(sent.update_id)
    assert copy.update_id == sent.update_id
    [duplicate] = await bot.get_updates(offset=offset, timeout=0)
    assert duplicate.update_id == sent.update_id
    assert duplicate.message is not None
    assert duplicate.message.text == "/start"
    assert await bot.get_updates(offset=offset, timeout=0) == []
    await user.wait_confirmed(copy)


async def test_allowed_updates_filter_delivery(bot: Bot, user: BotApiUser) -> None:
    await started(user)
    sent = await bot.send_message(USER, "menu", reply_markup=keyboard(("Go", "go")))
    [hello] = await bot.get_updates(timeout=0)
    press = await user.press(USER, sent.message_id, "go")
    only_callbacks = await bot.get_updates(
        offset=hello.update_id + 1, allowed_updates=["callback_query"], timeout=0
    )
    assert [u.update_id for u in only_callbacks] == [press.update_id]
    assert (
        await bot.get_updates(offset=hello.update_id + 1, allowed_updates=["message"], timeout=0)
        == []
    )


# ---------------------------------------------------------------------- sending and editing


async def test_html_message_with_keyboard_round_trips(bot: Bot, user: BotApiUser) -> None:
    await started(user)
    sent = await bot.send_message(
        USER,
        "  <b>Hola</b> &amp; <i>adiós</i> 🎉 <a href='https://t.me/x'>link</a>  ",
        parse_mode="HTML",
        reply_markup=keyboard(("Canales", "menu:channels"), ("Tarifas", "menu:tariffs")),
    )
    assert sent.text == "Hola & adiós 🎉 link"
    assert sent.entities is not None
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 4),
        ("italic", 7, 5),
        ("text_link", 16, 4),
    ]
    assert sent.entities[2].url == "https://t.me/x"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[1][0].callback_data == "menu:tariffs"

    stored = await user.last_message(USER)
    assert stored is not None
    assert (stored.message_id, stored.parse_mode) == (sent.message_id, "HTML")
    assert stored.source_text is not None
    assert stored.source_text.startswith("  <b>Hola</b>")
    assert [b.text for b in stored.buttons] == ["Canales", "Tarifas"]
    assert stored.button("Tarifas").callback_data == "menu:tariffs"


async def test_text_limits_apply_after_entity_parsing(bot: Bot, user: BotApiUser) -> None:
    await started(user)
    assert len((await bot.send_message(USER, "a" * 4096)).text or "") == 4096
    wrapped = await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    assert len(wrapped.text or "") == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("ñ<br>", 'Unsupported start tag "br" at byte offset 2'),
        ("<span>x</span>", 'Unsupported start tag "span"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<< Título >>", 'Unsupported start tag "<" at byte offset 0'),
    ],
)
async def test_malformed_html_is_rejected(
    bot: Bot, user: BotApiUser, html: str, error: str
) -> None:
    await started(user)
    with pytest.raises(TelegramBadRequest, match="can't parse entities") as info:
        await bot.send_message(USER, html, parse_mode="HTML")
    assert error in info.value.message


async def test_callback_data_must_be_1_to_64_bytes(bot: Bot, user: BotApiUser) -> None:
    await started(user)
    await bot.send_message(USER, "ok", reply_markup=keyboard(("x", "ñ" * 32)))
    for data in ("ñ" * 33, "a" * 65):
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(USER, "no", reply_markup=keyboard(("x", data)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            USER,
            "no",
            reply_markup={"inline_keyboard": [[{"text": "x", "callback_data": ""}]]},  # type: ignore[arg-type]
        )


async def test_who_the_bot_may_write_to(bot: Bot, user: BotApiUser, api: LocalBotApi) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "hi")
    api.add_user(777, "Silent")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(777, "hi")
    await started(user, 777)
    await bot.send_message(777, "hi")
    await user.block_bot(777)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(777, "hi")


async def test_edit_message_text(bot: Bot, user: BotApiUser) -> None:
    await started(user)
    sent = await bot.send_message(USER, "one", reply_markup=keyboard(("A", "a")))
    markup = keyboard(("B", "b"))
    edited = await bot.edit_message_text(
        "<b>two</b>",
        chat_id=USER,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=markup,
    )
    assert isinstance(edited, Message)
    assert (edited.text, edited.message_id, edited.edit_date is not None) == (
        "two",
        sent.message_id,
        True,
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<b>two</b>",
            chat_id=USER,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=markup,
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)

    # Editing the text without reply_markup drops the keyboard, as Telegram does.
    await bot.edit_message_text("three", chat_id=USER, message_id=sent.message_id)
    stored = await user.message(USER, sent.message_id)
    assert (stored.text, stored.reply_markup) == ("three", None)
    assert [e["text"] for e in stored.edits] == ["one", "two"]
    assert stored.edits[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"


async def test_edit_reply_markup_and_delete(bot: Bot, user: BotApiUser) -> None:
    await started(user)
    sent = await bot.send_message(USER, "menu", reply_markup=keyboard(("A", "a")))
    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
    )
    assert (await user.message(USER, sent.message_id)).buttons[0].callback_data == "b"
    await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    assert (await user.message(USER, sent.message_id)).reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)

    assert await bot.delete_message(USER, sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    assert await user.messages(USER) == []
    assert (await user.messages(USER, include_deleted=True))[0].deleted


# ---------------------------------------------------------------------- buttons


async def test_press_delivers_a_callback_query_and_records_the_answer(
    bot: Bot, user: BotApiUser
) -> None:
    await started(user)
    sent = await bot.send_message(USER, "menu", reply_markup=keyboard(("Canales", "channels")))
    [hello] = await bot.get_updates(timeout=0)
    press = await user.press(USER, sent.message_id, "channels")
    [update] = await bot.get_updates(offset=hello.update_id + 1, timeout=0)
    query = update.callback_query
    assert query is not None
    assert isinstance(query.message, Message)
    assert (query.id, query.data, query.from_user.id) == (press.callback_query_id, "channels", USER)
    assert query.message.message_id == sent.message_id
    assert query.chat_instance

    assert await bot.answer_callback_query(query.id, text="Listo", show_alert=True)
    answer = await user.wait_callback_answer(query.id)
    assert (answer.answered, answer.text, answer.show_alert) == (True, "Listo", True)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("12345")


async def test_press_by_text_and_forged_presses(bot: Bot, user: BotApiUser) -> None:
    await started(user)
    sent = await bot.send_message(USER, "menu", reply_markup=keyboard(("Tarifas", "tariffs")))
    by_text = await user.press_button(USER, sent.message_id, "Tarifas")
    with pytest.raises(LocalApiError, match="forge=True"):
        await user.press(USER, sent.message_id, "admin:delete_all")
    forged = await user.press(USER, sent.message_id, "admin:delete_all", forge=True)
    stale = await user.press(USER, 999, "old:button", forge=True)

    updates = {u.update_id: u for u in await bot.get_updates(timeout=0)}
    by_text_query = updates[by_text.update_id].callback_query
    forged_query = updates[forged.update_id].callback_query
    stale_query = updates[stale.update_id].callback_query
    assert by_text_query is not None
    assert by_text_query.data == "tariffs"
    assert forged_query is not None
    assert forged_query.data == "admin:delete_all"
    assert stale_query is not None
    assert isinstance(stale_query.message, InaccessibleMessage)


# ---------------------------------------------------------------------- forwards


async def test_forward_from_channel_parses_as_channel_origin(bot: Bot, user: BotApiUser) -> None:
    await user.forward_from_channel(USER, CHANNEL, "VIP Diana", "diana_vip", message_id=77)
    [update] = await bot.get_updates(timeout=0)
    message = update.message
    assert message is not None
    origin = message.forward_origin
    assert isinstance(origin, MessageOriginChannel)
    assert (origin.chat.id, origin.chat.title, origin.chat.username, origin.message_id) == (
        CHANNEL,
        "VIP Diana",
        "diana_vip",
        77,
    )
    assert message.forward_from_chat is not None
    assert message.forward_from_chat.id == CHANNEL
    assert message.forward_from_message_id == 77


async def test_forward_from_user_hidden_user_and_group(bot: Bot, user: BotApiUser) -> None:
    await user.forward_from_user(USER, 555, "Bea", "bea")
    await user.forward_from_user(USER, 556, "Hidden Name", hidden=True)
    await user.forward_from_chat(USER, -100999, "Grupo")
    origins = [u.message.forward_origin for u in await bot.get_updates(timeout=0) if u.message]
    assert isinstance(origins[0], MessageOriginUser)
    assert origins[0].sender_user.id == 555
    assert isinstance(origins[1], MessageOriginHiddenUser)
    assert origins[1].sender_user_name == "Hidden Name"
    assert isinstance(origins[2], MessageOriginChat)
    assert origins[2].sender_chat.id == -100999


# ---------------------------------------------------------------------- chats


async def test_get_chat_by_id_and_username(bot: Bot, user: BotApiUser) -> None:
    await user.add_channel(CHANNEL, "VIP Diana", "diana_vip")
    by_name = await bot.get_chat("@diana_vip")
    by_id = await bot.get_chat(CHANNEL)
    assert isinstance(by_name, ChatFullInfo)
    assert (by_name.id, by_name.type, by_name.title) == (CHANNEL, "channel", "VIP Diana")
    assert by_id.username == "diana_vip"
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat("@unknown_channel")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(-100555)
    # A private channel the bot is not in is invisible to it.
    await user.add_channel(-100556, "Secret", bot_status="left")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat(-100556)


async def test_get_chat_member_reports_the_bots_status(bot: Bot, api: LocalBotApi) -> None:
    api.add_channel(CHANNEL, "VIP", "vip", bot_rights={"can_invite_users": False})
    admin = await bot.get_chat_member(CHANNEL, BOT_ID)
    assert isinstance(admin, ChatMemberAdministrator)
    assert (admin.can_invite_users, admin.can_post_messages) == (False, True)
    api.add_channel(CHANNEL, "VIP", "vip", bot_status="member")
    assert isinstance(await bot.get_chat_member(CHANNEL, BOT_ID), ChatMemberMember)
    api.add_channel(CHANNEL, "VIP", "vip", bot_status="left")
    assert isinstance(await bot.get_chat_member(CHANNEL, BOT_ID), ChatMemberLeft)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.get_chat_member(-100777, BOT_ID)


# ---------------------------------------------------------------------- faults, records


async def test_fault_injection(bot: Bot, user: BotApiUser, api: LocalBotApi) -> None:
    await user.add_channel(CHANNEL, "VIP", "vip")
    api.fail("getChat", times=2, code=400, description="Bad Request: chat not found")
    for _ in range(2):
        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.get_chat(CHANNEL)
    assert (await bot.get_chat(CHANNEL)).id == CHANNEL

    await user.fail("getMe", code=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.get_me()
    assert retry.value.retry_after == 3
    await user.fail("getme", code=500)
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    assert [(r.method, r.status) for r in api.calls("getChat")] == [
        ("getChat", 400),
        ("getChat", 400),
        ("getChat", 200),
    ]
    recorded = await user.requests("getMe")
    assert [r.status for r in recorded] == [429, 500]


async def test_requests_are_recorded_with_typed_params(
    bot: Bot, user: BotApiUser, api: LocalBotApi
) -> None:
    await started(user)
    await bot.set_my_commands([BotCommand(command="admin", description="Panel")])
    await bot.send_message(USER, "hi", reply_markup=keyboard(("A", "a")), disable_notification=True)
    await bot.delete_my_commands()
    assert [r.method for r in api.requests] == ["setMyCommands", "sendMessage", "deleteMyCommands"]
    commands, send, _ = api.requests
    assert commands.params["commands"] == [{"command": "admin", "description": "Panel"}]
    assert send.params["chat_id"] == USER
    assert send.params["disable_notification"] is True
    assert send.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


# ---------------------------------------------------------------------- waiting


async def test_wait_bot_message_follows_the_chat(bot: Bot, user: BotApiUser) -> None:
    await started(user)

    async def bot_side() -> None:
        first = await bot.send_message(USER, "one")
        await bot.send_message(USER, "two")
        await bot.edit_message_text("one, edited", chat_id=USER, message_id=first.message_id)

    await user.send_text(USER, "/start")
    task = asyncio.create_task(bot_side())
    first = await user.wait_bot_message(USER)
    second = await user.wait_bot_message(USER)
    edit = await user.wait_bot_message(USER)
    await task
    assert (second.text, edit.message_id) == ("two", first.message_id)
    assert edit.text == "one, edited"
    assert edit.edits[0]["text"] == "one"
    assert first.seq < second.seq < edit.seq
    with pytest.raises(TimeoutError):
        await user.wait_bot_message(USER, timeout=0.05)


async def test_wait_until_rechecks_on_changes(bot: Bot, user: BotApiUser) -> None:
    await started(user)

    async def three_messages() -> bool:
        return len(await user.messages(USER)) >= 3

    async def bot_side() -> None:
        for i in range(3):
            await bot.send_message(USER, f"m{i}")

    task = asyncio.create_task(bot_side())
    await user.wait_until(three_messages)
    await task
    request = await user.wait_request("sendMessage", after=0)
    assert request.params["text"] == "m0"


# ---------------------------------------------------------------------- webhook


async def test_webhook_blocks_get_updates(bot: Bot, user: BotApiUser) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cr3t")
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    webhook = await user.webhook()
    assert webhook is not None
    assert webhook["secret_token"] == "s3cr3t"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == []


async def test_webhook_delivery_retries_and_executes_replies(bot: Bot, user: BotApiUser) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, object]]] = asyncio.Queue()
    answers = [
        web.Response(status=500),
        web.json_response({"method": "sendMessage", "chat_id": USER, "text": "¡Hola!"}),
    ]

    async def hook(request: web.Request) -> web.Response:
        await received.put((request.headers.get(SECRET_HEADER), await request.json()))
        return answers.pop(0)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        sent = await user.send_text(USER, "/start")
        first = await asyncio.wait_for(received.get(), timeout=5)
        second = await asyncio.wait_for(received.get(), timeout=5)
        assert first == second
        assert first[0] == "s3cr3t"
        assert first[1]["update_id"] == sent.update_id
        reply = await user.wait_bot_message(USER)
        assert reply.text == "¡Hola!"
        await user.wait_confirmed(sent)
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------------- a real dispatcher


async def test_aiogram_polling_against_the_stand_in(bot: Bot, user: BotApiUser) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>Menú</b>", parse_mode="HTML", reply_markup=keyboard(("Ir", "go")))

    @dp.callback_query(F.data == "go")
    async def go(query: CallbackQuery) -> None:
        await query.answer("ok")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Hecho")

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=30)
    )
    try:
        await user.send_text(USER, "/start")
        menu = await user.wait_bot_message(USER)
        assert (menu.text, menu.entities[0]["type"]) == ("Menú", "bold")
        press = await user.press_button(USER, menu.message_id, "Ir")
        assert press.callback_query_id is not None
        answer = await user.wait_callback_answer(press.callback_query_id)
        done = await user.wait_bot_message(USER)
        assert (answer.text, done.text, done.message_id) == ("ok", "Hecho", menu.message_id)
        await user.wait_confirmed(press)
    finally:
        await dp.stop_polling()
        await polling
    assert json.dumps(await user.pending_updates()) == "[]"


async def test_aiogram_webhook_handler_reply_is_executed(bot: Bot, user: BotApiUser) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> SendMessage:
        # Returned, not awaited: aiogram sends it back in the webhook response (multipart).
        return message.answer("<i>Bienvenida</i>", parse_mode="HTML")

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="s3cr3t", handle_in_background=False).register(
        app, path="/hook"
    )
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        port = runner.addresses[0][1]
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        sent = await user.send_text(USER, "/start")
        reply = await user.wait_bot_message(USER)
        assert (reply.text, reply.entities[0]["type"]) == ("Bienvenida", "italic")
        await user.wait_confirmed(sent)
        assert (await bot.get_webhook_info()).last_error_message is None
    finally:
        await runner.cleanup()


async def test_reset_keeps_ids_growing(bot: Bot, user: BotApiUser, api: LocalBotApi) -> None:
    first = await user.send_text(USER, "before")
    await user.reset()
    assert await user.pending_updates() == []
    assert api.requests == []
    second = await user.send_text(USER, "after")
    assert second.update_id > first.update_id
    assert second.seq > first.seq
    [update] = await bot.get_updates(offset=first.update_id + 1, timeout=0)
    assert update.update_id == second.update_id
