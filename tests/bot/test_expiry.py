"""Abandoned flows expire on the injected clock: gone at the TTL, the admin told which
flow after how many minutes, the last prompt's keyboard removed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.bot.conftest import ADMIN, TTL_SECONDS, VIP_CHANNEL, Diana
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
    txn,
)
from tests.support.bot_chat import Chat

MINUTES = TTL_SECONDS // 60


async def _channel(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)


async def _tariff(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    await admin.send("10")


async def _edit(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await seed_tariff(diana, vip, "Plata")
    await open_tariff(admin, "Plata")
    await admin.press("📝 Editar Nombre")


async def _deactivation(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await seed_tariff(diana, vip, "Plata")
    await open_tariff(admin, "Plata")
    await admin.press("🗑 Desactivar")


@pytest.mark.parametrize(
    ("setup", "session_type"),
    [
        (_channel, "channel_registration"),
        (_tariff, "tariff_creation"),
        (_edit, "tariff_edit"),
        (_deactivation, "deactivation"),
    ],
)
async def test_a_flow_expires_at_its_ttl_and_the_admin_is_told(
    diana: Diana,
    admin: Chat,
    setup: Callable[[Diana, Chat], Awaitable[None]],
    session_type: str,
) -> None:
    await setup(diana, admin)
    prompt = admin.last
    assert prompt.labels
    session = await session_of(diana)
    assert session is not None and session.session_type == session_type

    diana.clock.advance(TTL_SECONDS - 1)
    assert await diana.sweep() == 0
    assert await session_of(diana) == session
    assert admin.last == prompt

    diana.clock.advance(1)
    # Expired from its expiry time on, whether or not the sweeper has run.
    assert await session_of(diana) is None
    turn = await admin.press(prompt.labels[-1], on=prompt)
    assert turn.alert == NOT_ACTIVE

    assert await diana.sweep() == 1
    assert admin.last.html == txn("session.expired", MINUTES, flow=tx(f"flow.{session_type}"))
    # The last prompt's keyboard is gone.
    assert diana.telegram.message(ADMIN, prompt.message_id).labels == []
    trail = [
        e.event
        for e in await diana.container.sessions.recent_events(50)
        if e.session_id == session.id
    ]
    assert trail[0] == "expired"  # newest first
    # Told once.
    assert await diana.sweep() == 0
    await admin.send("/admin")
    assert admin.last.html == tx("menu.root")


async def test_every_answer_gives_the_flow_another_ttl(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    for answer, step in (("10", "duration"), ("30", "name"), ("Plata", "confirm")):
        diana.clock.advance(TTL_SECONDS - 1)
        await admin.send(answer)
        assert await step_of(diana) == ("tariff_creation", step)
    diana.clock.advance(TTL_SECONDS - 1)
    assert await diana.sweep() == 0
    await admin.press("✅ Confirmar")
    assert len(await diana.container.tariffs.list_active()) == 1


async def test_an_answer_after_expiry_is_not_read_as_the_step(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    diana.clock.advance(TTL_SECONDS)
    await admin.send("10")
    # No flow is open any more: the price is not taken.
    assert admin.last.html == tx("session.hint_no_flow")
    assert await session_of(diana) is None
    # The sweeper still tells what expired.
    assert await diana.sweep() == 1
    assert admin.last.html == txn("session.expired", MINUTES, flow=tx("flow.tariff_creation"))


async def test_the_resume_question_of_an_expired_flow_is_stale(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    await admin.send("/admin")
    question = admin.last
    diana.clock.advance(TTL_SECONDS)
    for label in ("▶ Continuar", "🗑 Descartar"):
        turn = await admin.press(label, on=question)
        assert turn.alert == NOT_ACTIVE
    assert await session_of(diana) is None


async def test_a_new_flow_after_expiry_starts_afresh(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    await admin.send("10")
    old = await session_of(diana)
    assert old is not None
    diana.clock.advance(TTL_SECONDS)
    # No resume question: the old flow is gone; the new one starts at step 1.
    await open_create_tariff(admin)
    assert admin.last.html == tx("tariff.ask_price")
    new = await session_of(diana)
    assert new is not None and new.id != old.id and new.step == "price"
    await admin.send("12")
    assert admin.last.html == tx("tariff.ask_duration")


async def test_the_monitor_does_not_list_expired_sessions(diana: Diana, admin: Chat) -> None:
    await admin.send("/admin")
    menu = admin.last
    await open_add_channel(admin)
    diana.clock.advance(TTL_SECONDS)
    await admin.press("🧹 Sesiones", on=menu)
    assert tx("sessions.none") in admin.last.html
