"""➕ Añadir Canales: every way to name a channel, every refusal, the warnings, confirm."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.conftest import (
    ADMIN,
    BOT_ID,
    FLAKY_CHANNEL,
    GROUP,
    NOT_ADMIN_CHANNEL,
    OTHER_ADMIN,
    PERSON,
    UNKNOWN_CHANNEL_ID,
    VIP_CHANNEL,
    VIP_CHANNEL_2,
    Diana,
)
from tests.bot.steps import NOT_ACTIVE, open_add_channel, plain, seed_channel, session_of, tx
from tests.support.bot_chat import (
    Chat,
    channel_origin,
    forwarded_message,
    group_origin,
    hidden_user_origin,
    user_origin,
)

BAD_GATEWAY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def confirm_text(chat_id: int, title: str, kind: str = "vip") -> str:
    return tx("channel.confirm", chat_id=chat_id, title=title, kind=tx(f"channel.kind.{kind}"))


async def test_the_prompt_opens_a_session_at_step_1(diana: Diana, admin: Chat) -> None:
    prompt = await open_add_channel(admin)
    assert prompt.html == tx("channel.ask_ref")
    assert prompt.labels == ["❌ Cancelar"]
    session = await session_of(diana)
    assert session is not None
    assert (session.session_type, session.step) == ("channel_registration", "ref")
    # The flow's button carries the session's token.
    data = prompt.button("❌ Cancelar").callback_data
    assert data is not None and session.id[:8] in data


async def test_register_by_forwarding_a_channel_post(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)
    turn = await admin.forward_from_channel(VIP_CHANNEL.id, "Canal <VIP>")
    # A forward names the channel itself: no getChat, but the bot's rights are checked.
    assert "getChat" not in turn.methods
    assert [r.params for r in turn.requests if r.method == "getChatMember"] == [
        {"chat_id": VIP_CHANNEL.id, "user_id": BOT_ID}
    ]
    assert admin.last.html == confirm_text(VIP_CHANNEL.id, "Canal &lt;VIP&gt;")
    assert admin.labels == ["🔄 Cambiar a Free", "✅ Confirmar", "⬅ Atrás", "❌ Cancelar"]
    assert (await session_of(diana)) is not None
    assert await diana.container.channels.list() == []

    turn = await admin.press("✅ Confirmar")
    assert admin.last.html == tx(
        "channel.registered", title="Canal &lt;VIP&gt;", kind=tx("channel.kind.vip")
    )
    assert admin.labels == ["⬅ Volver"]
    (channel,) = await diana.container.channels.list()
    assert (channel.chat_id, channel.title, channel.kind, channel.registered_by) == (
        VIP_CHANNEL.id,
        "Canal <VIP>",
        "vip",
        ADMIN,
    )
    assert await session_of(diana) is None
    await admin.press("⬅ Volver")
    assert admin.last.html == tx("menu.config")


async def test_a_legacy_forward_without_forward_origin_still_names_the_channel(
    diana: Diana, admin: Chat
) -> None:
    await open_add_channel(admin)
    payload = forwarded_message(
        diana.telegram.next_update_id(),
        diana.telegram.next_message_id(ADMIN),
        admin.chat,
        admin.sender,
        channel_origin(VIP_CHANNEL_2.id, "Canal Oro"),
    )
    del payload["message"]["forward_origin"]
    await admin.feed(payload)
    assert admin.last.html == confirm_text(VIP_CHANNEL_2.id, "Canal Oro")


@pytest.mark.parametrize(
    "typed",
    [str(VIP_CHANNEL.id), "@canal_vip", "@CANAL_VIP", "t.me/canal_vip", "https://t.me/canal_vip"],
)
async def test_register_by_typed_id_or_username(diana: Diana, admin: Chat, typed: str) -> None:
    await open_add_channel(admin)
    turn = await admin.send(typed)
    # The title comes from Telegram, whatever the admin typed.
    assert turn.methods[:2] == ["getChat", "getChatMember"]
    assert admin.last.html == confirm_text(VIP_CHANNEL.id, "Canal &lt;VIP&gt;")
    await admin.press("✅ Confirmar")
    (channel,) = await diana.container.channels.list()
    assert (channel.chat_id, channel.title) == (VIP_CHANNEL.id, "Canal <VIP>")


async def test_kind_toggle_back_and_confirm_as_free(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)
    await admin.send("@canal_oro")
    await admin.press("🔄 Cambiar a Free")
    assert admin.last.html == confirm_text(VIP_CHANNEL_2.id, "Canal Oro", "free")
    assert admin.labels[0] == "🔄 Cambiar a VIP"
    session = await session_of(diana)
    assert session is not None and session.data["kind"] == "free"
    await admin.press("🔄 Cambiar a VIP")
    assert admin.last.html == confirm_text(VIP_CHANNEL_2.id, "Canal Oro", "vip")
    await admin.press("🔄 Cambiar a Free")

    # ⬅ Atrás asks for the reference again; a new one replaces the first.
    await admin.press("⬅ Atrás")
    assert admin.last.html == tx("channel.ask_ref")
    session = await session_of(diana)
    assert session is not None and session.step == "ref"
    await admin.send("@canal_vip")
    # The kind starts again at VIP for the new channel.
    assert admin.last.html == confirm_text(VIP_CHANNEL.id, "Canal &lt;VIP&gt;", "vip")
    await admin.press("🔄 Cambiar a Free")
    await admin.press("✅ Confirmar")
    assert admin.last.html == tx(
        "channel.registered", title="Canal &lt;VIP&gt;", kind=tx("channel.kind.free")
    )
    (channel,) = await diana.container.channels.list()
    assert (channel.chat_id, channel.kind) == (VIP_CHANNEL.id, "free")


@pytest.mark.parametrize(
    ("origin", "key"),
    [
        (user_origin(PERSON.id, "Alguien"), "channel.forward_not_channel"),
        (hidden_user_origin("Anónimo"), "channel.forward_not_channel"),
        (group_origin(GROUP.id, "Grupo de fans"), "channel.forward_not_channel"),
    ],
    ids=["user", "hidden-user", "group"],
)
async def test_a_forward_not_from_a_channel_is_refused(
    diana: Diana, admin: Chat, origin: dict[str, Any], key: str
) -> None:
    await open_add_channel(admin)
    before = await session_of(diana)
    turn = await admin.forward(origin)
    assert "getChat" not in turn.methods
    # The reason above the same prompt, a new message: the admin stays at step 1.
    assert admin.last.html == f"{tx(key)}\n\n{tx('channel.ask_ref')}"
    assert await session_of(diana) == before


@pytest.mark.parametrize(
    ("typed", "key", "params"),
    [
        ("mi canal", "error.channel_ref.invalid", {"value": "mi canal"}),
        ("<b>canal</b>", "error.channel_ref.invalid", {"value": "&lt;b&gt;canal&lt;/b&gt;"}),
        ("-123", "error.channel_ref.bad_id", {"value": "-123"}),
        ("@ab", "error.channel_ref.username_length", {"min": 5, "max": 32}),
        ("@ab-cd", "error.channel_ref.username_chars", {}),
        ("https://t.me/+abcdef", "error.channel_ref.invite_link", {}),
        ("@nadie_existe", "channel.not_found", {}),
        (str(UNKNOWN_CHANNEL_ID), "channel.id_not_found", {}),
        ("@alguien", "channel.not_a_channel", {}),
        ("@grupo_fans", "channel.not_a_channel", {}),
        (str(GROUP.id), "channel.not_a_channel", {}),
    ],
)
async def test_a_typed_reference_that_is_no_channel_is_refused(
    diana: Diana, admin: Chat, typed: str, key: str, params: dict[str, object]
) -> None:
    await open_add_channel(admin)
    before = await session_of(diana)
    await admin.send(typed)
    assert admin.last.html == f"{tx(key, **params)}\n\n{tx('channel.ask_ref')}"
    assert admin.labels == ["❌ Cancelar"]
    assert await session_of(diana) == before
    assert await diana.container.channels.list() == []
    # The admin stays at step 1: a good reference is taken next.
    await admin.send("@canal_vip")
    assert admin.last.html == confirm_text(VIP_CHANNEL.id, "Canal &lt;VIP&gt;")


@pytest.mark.parametrize("how", ["forward", "id", "username"])
async def test_an_already_registered_channel_is_refused(
    diana: Diana, admin: Chat, how: str
) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_add_channel(admin)
    before = await session_of(diana)
    if how == "forward":
        await admin.forward_from_channel(VIP_CHANNEL.id, "Canal <VIP>")
    else:
        await admin.send(str(VIP_CHANNEL.id) if how == "id" else "@canal_vip")
    assert admin.last.html == (
        f"{tx('channel.already_registered', title='Canal &lt;VIP&gt;')}\n\n{tx('channel.ask_ref')}"
    )
    assert await session_of(diana) == before
    assert len(await diana.container.channels.list()) == 1


async def test_a_channel_where_the_bot_is_not_admin_is_registered_with_a_warning(
    diana: Diana, admin: Chat
) -> None:
    await open_add_channel(admin)
    await admin.send(str(NOT_ADMIN_CHANNEL.id))
    assert admin.last.html == (
        f"{tx('channel.warn_not_admin')}\n\n{confirm_text(NOT_ADMIN_CHANNEL.id, 'Canal Libre')}"
    )
    # The warning stays on the screen while the admin changes the kind.
    await admin.press("🔄 Cambiar a Free")
    assert admin.last.html.startswith(tx("channel.warn_not_admin"))
    await admin.press("✅ Confirmar")
    (channel,) = await diana.container.channels.list()
    assert (channel.chat_id, channel.kind) == (NOT_ADMIN_CHANNEL.id, "free")


@pytest.mark.parametrize(
    ("status", "description", "raw_body"),
    [
        (None, "Request timeout error", None),
        (502, "Bad Gateway", BAD_GATEWAY_PAGE),
        (200, "", '{"result": {"status": "member"}}'),
        (500, "Internal Server Error", None),
    ],
    ids=["timeout", "proxy-page", "json-without-ok", "server-error"],
)
async def test_when_the_admin_check_fails_the_channel_is_registered_with_a_note(
    diana: Diana, admin: Chat, status: int | None, description: str, raw_body: str | None
) -> None:
    await open_add_channel(admin)
    diana.telegram.fail("getChatMember", description, status=status, raw_body=raw_body)
    await admin.send("@canal_lejano")
    assert admin.last.html == (
        f"{tx('channel.warn_admin_unknown')}\n\n{confirm_text(FLAKY_CHANNEL.id, 'Canal Lejano')}"
    )
    await admin.press("✅ Confirmar")
    (channel,) = await diana.container.channels.list()
    assert (channel.chat_id, channel.title) == (FLAKY_CHANNEL.id, "Canal Lejano")


@pytest.mark.parametrize(
    ("status", "description", "raw_body"),
    [
        (None, "Request timeout error", None),
        (502, "Bad Gateway", BAD_GATEWAY_PAGE),
        (500, "Internal Server Error", None),
    ],
    ids=["timeout", "proxy-page", "server-error"],
)
async def test_when_telegram_cannot_be_asked_about_an_id_it_is_registered_by_id(
    diana: Diana, admin: Chat, status: int | None, description: str, raw_body: str | None
) -> None:
    await open_add_channel(admin)
    diana.telegram.fail("getChat", description, status=status, raw_body=raw_body)
    diana.telegram.fail("getChatMember", description, status=status, raw_body=raw_body)
    await admin.send(str(FLAKY_CHANNEL.id))
    # One note (unverified), not a second one about the admin check.
    assert admin.last.html == (
        f"{tx('channel.warn_unverified')}\n\n"
        f"{confirm_text(FLAKY_CHANNEL.id, str(FLAKY_CHANNEL.id))}"
    )
    await admin.press("✅ Confirmar")
    (channel,) = await diana.container.channels.list()
    assert (channel.chat_id, channel.title) == (FLAKY_CHANNEL.id, str(FLAKY_CHANNEL.id))


@pytest.mark.parametrize(
    ("status", "raw_body"), [(None, None), (502, BAD_GATEWAY_PAGE)], ids=["timeout", "proxy-page"]
)
async def test_when_telegram_cannot_be_asked_about_a_username_the_admin_tries_again(
    diana: Diana, admin: Chat, status: int | None, raw_body: str | None
) -> None:
    await open_add_channel(admin)
    before = await session_of(diana)
    diana.telegram.fail("getChat", "Bad Gateway", status=status, raw_body=raw_body)
    await admin.send("@canal_lejano")
    assert admin.last.html == f"{tx('channel.lookup_failed')}\n\n{tx('channel.ask_ref')}"
    assert await session_of(diana) == before
    await admin.send("@canal_lejano")
    assert admin.last.html.endswith(confirm_text(FLAKY_CHANNEL.id, "Canal Lejano"))


async def test_telegram_refusing_the_bot_is_chat_not_found(diana: Diana, admin: Chat) -> None:
    # The bot was removed from the channel: Telegram answers 403 for it.
    await open_add_channel(admin)
    diana.telegram.fail("getChat", "Forbidden: bot is not a member of the channel chat", status=403)
    await admin.send(str(FLAKY_CHANNEL.id))
    assert admin.last.html == f"{tx('channel.id_not_found')}\n\n{tx('channel.ask_ref')}"
    assert await diana.container.channels.list() == []


async def test_a_channel_registered_meanwhile_ends_the_flow_at_confirm(
    diana: Diana, admin: Chat, other_admin: Chat
) -> None:
    await open_add_channel(admin)
    await admin.send("@canal_vip")
    # Another admin registers the same channel first.
    await open_add_channel(other_admin)
    await other_admin.send("@canal_vip")
    await other_admin.press("✅ Confirmar")

    await admin.press("✅ Confirmar")
    assert admin.last.html == tx("channel.already_registered", title="Canal &lt;VIP&gt;")
    assert admin.labels == ["⬅ Volver"]
    assert await session_of(diana) is None
    (channel,) = await diana.container.channels.list()
    assert channel.registered_by == OTHER_ADMIN


async def test_confirm_pressed_twice_registers_once(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)
    await admin.send("@canal_vip")
    confirm = admin.last
    await admin.press("✅ Confirmar")
    done = admin.last
    turn = await admin.press("✅ Confirmar", on=confirm)
    assert turn.alert == NOT_ACTIVE
    assert not turn.changed_screen
    assert admin.last == done
    assert len(await diana.container.channels.list()) == 1


async def test_cancel_registers_nothing(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)
    await admin.send("@canal_vip")
    await admin.press("❌ Cancelar")
    assert admin.last.html == tx("session.cancelled", flow=tx("flow.channel_registration"))
    assert admin.labels == ["🏠 Menú"]
    assert await session_of(diana) is None
    assert await diana.container.channels.list() == []
    await admin.press("🏠 Menú")
    assert admin.last.html == tx("menu.root")


async def test_text_at_the_confirm_step_is_not_a_new_reference(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)
    await admin.send("@canal_vip")
    before = await session_of(diana)
    await admin.send("@canal_oro")
    # Not read as a new reference: the same confirmation again (what the note above it
    # says is checked for every button step in test_errors.py).
    assert admin.last.html.endswith(confirm_text(VIP_CHANNEL.id, "Canal &lt;VIP&gt;"))
    assert await session_of(diana) == before


async def test_a_sticker_at_the_reference_step_is_explained(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)
    before = await session_of(diana)
    await admin.send_sticker()
    assert admin.last.text == plain("error.channel_ref.empty") + "\n\n" + plain("channel.ask_ref")
    assert await session_of(diana) == before
