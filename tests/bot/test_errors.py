"""What must never go wrong: strangers, groups, stale and unknown buttons, input that is
not what a step wants, Telegram failing, a store going away, a handler failing."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.bot.conftest import ADMIN, GROUP, STRANGER, VIP_CHANNEL, VIP_CHANNEL_2, Diana
from tests.bot.steps import (
    NOT_ACTIVE,
    open_add_channel,
    open_create_tariff,
    open_tariff,
    seed_channel,
    seed_tariff,
    session_of,
    step_of,
    tx,
)
from tests.support.bot_chat import Chat
from tests.support.recording_bot import QUERY_TOO_OLD

# -- the admin gate --------------------------------------------------------------------------


async def test_a_stranger_is_refused_before_anything_is_read_or_written(
    diana: Diana, admin: Chat, stranger: Chat
) -> None:
    await admin.send("/admin")
    admin_menu = admin.last
    reads = diana.container.sessions.reads

    turn = await stranger.send("/admin")
    assert turn.methods == ["sendMessage"]
    assert stranger.last.html == tx("auth.refused")
    assert stranger.labels == []
    # Refusals are answered once a minute per user: the second one is dropped.
    turn = await stranger.send("/admin")
    assert turn.requests == []
    # Plain text from a stranger is never answered.
    another = diana.chat(STRANGER + 1)
    assert (await another.send("hola")).requests == []

    # The admin's buttons, forged onto a stranger's own chat: an alert, nothing else.
    for n, data in enumerate(
        ["m:vip", "go:deactivation:tariff.1", "s:all_yes:", "f:deadbeef:confirm:"]
    ):
        presser = diana.chat(STRANGER + 10 + n)
        forged = replace(admin_menu, chat_id=presser.chat_id)
        turn = await presser.press_data(data, on=forged)
        assert turn.alert == tx("auth.refused")
        assert turn.methods == ["answerCallbackQuery"]

    # No session read, none written, nothing audited.
    assert diana.container.sessions.reads == reads
    assert await diana.open_sessions() == []
    assert await diana.container.sessions.recent_events(10) == []


async def test_a_stranger_cannot_touch_an_admins_open_flow(
    diana: Diana, admin: Chat, stranger: Chat
) -> None:
    prompt = await open_add_channel(admin)
    before = await session_of(diana)
    data = prompt.button("❌ Cancelar").callback_data
    assert data is not None
    turn = await stranger.press_data(data, on=replace(prompt, chat_id=stranger.chat_id))
    assert turn.alert == tx("auth.refused")
    assert await session_of(diana) == before


async def test_the_panel_lives_in_the_private_chat(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    before = await session_of(diana)
    group = diana.chat(ADMIN, chat_id=GROUP.id, chat_type="supergroup", title=GROUP.title)
    reads = diana.container.sessions.reads

    await group.send("/admin")
    assert group.last.html == tx("auth.private_only")
    assert group.labels == []
    # A price typed in the group is not the private flow's input, and gets no answer.
    assert (await group.send("15")).requests == []
    assert diana.container.sessions.reads == reads
    assert await session_of(diana) == before
    assert len(group.messages) == 1

    await admin.send("15")
    assert admin.last.html == tx("tariff.ask_duration")


# -- buttons that are not (or no longer) the open flow's ---------------------------------------


async def test_a_button_of_an_older_session_changes_nothing(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    old_prompt = await open_create_tariff(admin)
    await admin.send("/cancel")
    await open_add_channel(admin)
    await admin.send("@canal_oro")
    before = await session_of(diana)
    screen = admin.last
    turn = await admin.press("❌ Cancelar", on=old_prompt)
    assert turn.alert == NOT_ACTIVE
    assert not turn.changed_screen
    # Its token, on the buttons of the open flow's step: still the old session's.
    old_token = (old_prompt.button("❌ Cancelar").callback_data or "").split(":")[1]
    for act in ("confirm", "back", "kind:free"):
        turn = await admin.press_data(f"f:{old_token}:{act}", on=screen)
        assert turn.alert == NOT_ACTIVE
    assert admin.last == screen
    assert await session_of(diana) == before
    assert [c.chat_id for c in await diana.container.channels.list()] == [VIP_CHANNEL.id]


@pytest.mark.parametrize(
    "data",
    ["f:deadbeef:cancel:", "f::cancel:", "f:deadbeef:pick:1", "r:deadbeef:continue:", "f:x"],
)
async def test_flow_buttons_of_no_session_change_nothing(
    diana: Diana, admin: Chat, data: str
) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await seed_channel(diana, VIP_CHANNEL_2)
    await open_create_tariff(admin)
    before = await session_of(diana)
    screen = admin.last
    turn = await admin.press_data(data)
    assert turn.alert == NOT_ACTIVE
    assert admin.last == screen
    assert await session_of(diana) == before


async def test_a_flow_button_with_no_flow_open(diana: Diana, admin: Chat) -> None:
    prompt = await open_add_channel(admin)
    await admin.send("/cancel")
    turn = await admin.press("❌ Cancelar", on=prompt)
    assert turn.alert == NOT_ACTIVE
    assert await diana.open_sessions() == []


# -- input that is not what a step wants --------------------------------------------------------


@pytest.mark.parametrize("send", ["text", "sticker"])
async def test_anything_outside_a_flow_gets_a_hint(diana: Diana, admin: Chat, send: str) -> None:
    if send == "text":
        await admin.send("hola")
    else:
        await admin.send_sticker()
    assert admin.last.html == tx("session.hint_no_flow")
    assert admin.labels == ["🏠 Menú"]
    assert await diana.open_sessions() == []


async def test_an_unknown_command_outside_a_flow_gets_the_hint(admin: Chat) -> None:
    await admin.send("/help")
    assert admin.last.html == tx("session.hint_no_flow")


async def test_text_at_a_button_step_is_not_told_to_send_text(diana: Diana, admin: Chat) -> None:
    """At a step that waits for a button, typed text shows the step again. The note
    above it must not ask for "a text message": the admin has just sent one."""
    vip = await seed_channel(diana, VIP_CHANNEL)
    await seed_tariff(diana, vip, "Plata")
    wrong: list[str] = []

    async def check(step: str) -> None:
        screen = admin.last
        before = await session_of(diana)
        await admin.send("hola")
        assert admin.last.html.endswith(screen.html), step
        assert await session_of(diana) is not None
        after = await session_of(diana)
        assert after is not None and before is not None and after.step == before.step, step
        if tx("flow.use_buttons") not in admin.last.html:
            wrong.append(step)
        await admin.send("/cancel")

    await open_add_channel(admin)
    await admin.send("@canal_oro")
    await check("channel_registration:confirm")
    await seed_channel(diana, VIP_CHANNEL_2)
    await open_create_tariff(admin)
    await check("tariff_creation:channel")
    await open_create_tariff(admin)
    await admin.press("💎 Canal <VIP>")
    for answer in ("10", "30", "Oro"):
        await admin.send(answer)
    await check("tariff_creation:confirm")
    await open_tariff(admin, "Plata")
    await admin.press("🗑 Desactivar")
    await check("deactivation:confirm")
    assert wrong == [], f"not told to use the buttons at: {wrong}"


# -- Telegram failing never stops a step -------------------------------------------------------


async def test_button_answers_failing_never_stop_a_flow(diana: Diana, admin: Chat) -> None:
    # Every press answered too late, as Telegram says for a press older than 15 s.
    diana.telegram.fail("answerCallbackQuery", QUERY_TOO_OLD, status=400, times=100)
    await open_add_channel(admin)
    await admin.send("@canal_vip")
    await admin.press("🔄 Cambiar a Free")
    await admin.press("⬅ Atrás")
    assert admin.last.html == tx("channel.ask_ref")
    await admin.send("@canal_vip")
    await admin.press("✅ Confirmar")
    assert admin.last.html.startswith("✅")
    assert diana.telegram.answers == []
    assert len(await diana.container.channels.list()) == 1


async def test_a_prompt_that_failed_to_send_loses_no_step(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    shown = admin.last
    diana.telegram.fail("sendMessage", "Internal Server Error", status=500)
    await admin.send("10")
    # The admin saw nothing new, but the step was written before the prompt was sent.
    assert admin.last == shown
    assert await step_of(diana) == ("tariff_creation", "duration")
    await admin.send("/admin")
    await admin.press("▶ Continuar")
    assert admin.last.html == tx("tariff.ask_duration")


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (400, "Bad Request: message can't be edited"),
        (400, "Bad Request: message to edit not found"),
        (None, "Request timeout error"),
        (502, "Bad Gateway"),
    ],
)
async def test_an_edit_that_fails_is_sent_as_a_new_message(
    diana: Diana, admin: Chat, status: int | None, description: str
) -> None:
    await admin.send("/admin")
    menu = admin.last
    diana.telegram.fail("editMessageText", description, status=status)
    await admin.press("💎 VIP")
    assert admin.last.message_id != menu.message_id
    assert admin.last.html == tx("menu.vip")
    assert diana.telegram.message(ADMIN, menu.message_id) == menu


async def test_an_edit_to_the_same_screen_is_not_an_error(diana: Diana, admin: Chat) -> None:
    # Pressing 🔄 Actualizar on an unchanged monitor: Telegram says "not modified".
    await admin.send("/admin")
    await admin.press("🧹 Sesiones")
    screen = admin.last
    turn = await admin.press("🔄 Actualizar")
    assert turn.methods == ["editMessageText", "answerCallbackQuery"]
    assert admin.messages == [screen]


# -- the store failing, a handler failing ------------------------------------------------------


@contextlib.contextmanager
def table_away(database: Path, table: str) -> Iterator[None]:
    """``table`` missing while inside: to the bot, the store failing."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
        conn.commit()
    try:
        yield
    finally:
        with contextlib.closing(sqlite3.connect(database)) as conn:
            conn.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
            conn.commit()


async def test_the_session_store_failing_answers_try_again(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    await admin.send("10")
    before = await session_of(diana)
    screen = admin.last
    with table_away(diana.database, "durable_sessions"):
        turn = await admin.send("30")
        assert admin.last.html == tx("service.unavailable")
        turn = await admin.press("⬅ Atrás", on=screen)
        assert turn.alert == tx("service.unavailable")
    # Back: nothing was lost, the next answer goes on where the flow was.
    assert await session_of(diana) == before
    await admin.send("30")
    assert admin.last.html == tx("tariff.ask_name")


async def test_an_unexpected_failure_is_answered_and_changes_nothing(
    diana: Diana, admin: Chat
) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    for answer in ("10", "30", "Plata"):
        await admin.send(answer)
    # A session whose data no release would write (a bug nobody planned for).
    (record,) = await diana.container.sessions.list_active(user_id=ADMIN)
    await diana.container.sessions.save(
        record, step=record.step, data={**record.data, "price": "diez"}
    )
    before = await session_of(diana)
    turn = await admin.press("✅ Confirmar")
    # A message (the press may have been answered already), never silence.
    assert admin.last.html == tx("update.failed")
    assert "sendMessage" in turn.methods
    assert await session_of(diana) == before
    assert await diana.container.tariffs.list_active() == []
    # The update was handled: the admin goes on.
    await admin.send("/cancel")
    assert admin.last.html == tx("session.cancelled", flow=tx("flow.tariff_creation"))
