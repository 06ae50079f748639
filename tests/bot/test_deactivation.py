"""🗑 Desactivar a tariff or a channel: asked first, with a session-token ✅ Confirmar."""

from __future__ import annotations

import pytest

from tests.bot.conftest import NOT_ADMIN_CHANNEL, VIP_CHANNEL, Diana
from tests.bot.steps import (
    NOT_ACTIVE,
    open_channel,
    open_tariff,
    price,
    seed_channel,
    seed_tariff,
    session_of,
    step_of,
    tx,
)
from tests.support.bot_chat import Chat


async def test_deactivate_a_tariff(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    plata = await seed_tariff(diana, vip, "Plata <1>", "10", 30)
    await seed_tariff(diana, vip, "Oro", "20", 30)
    await open_tariff(admin, "Plata <1>")
    await admin.press("🗑 Desactivar")
    assert admin.last.html == tx("tariff.deactivate_ask", name="Plata &lt;1&gt;")
    assert admin.labels == ["✅ Confirmar", "❌ Cancelar"]
    # The question is a session; its ✅ carries the token.
    session = await session_of(diana)
    assert session is not None
    assert (session.session_type, session.step) == ("deactivation", "confirm")
    confirm = admin.last.button("✅ Confirmar").callback_data
    assert confirm is not None and confirm.startswith(f"f:{session.id[:8]}:")
    assert (await diana.container.tariffs.get(plata.id)).is_active

    await admin.press("✅ Confirmar")
    assert admin.last.html == (
        f"{tx('tariff.deactivated', name='Plata &lt;1&gt;')}\n\n{tx('menu.tariffs')}"
    )
    # No longer listed.
    assert admin.labels == [f"Oro · {price('20.00')} · 30d", "➕ Crear Tarifa", "⬅ Volver"]
    assert not (await diana.container.tariffs.get(plata.id)).is_active
    assert await session_of(diana) is None


async def test_deactivate_a_channel_and_its_tariffs_leave_the_list(
    diana: Diana, admin: Chat
) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await seed_channel(diana, NOT_ADMIN_CHANNEL, kind="free")
    await seed_tariff(diana, vip, "Plata")
    await open_channel(admin, "Canal <VIP>")
    await admin.press("🗑 Desactivar")
    assert admin.last.html == tx("channel.deactivate_ask", title="Canal &lt;VIP&gt;")
    assert await step_of(diana) == ("deactivation", "confirm")
    await admin.press("✅ Confirmar")
    assert admin.last.html == (
        f"{tx('channel.deactivated', title='Canal &lt;VIP&gt;')}\n\n{tx('menu.channels')}"
    )
    assert admin.labels == ["🆓 Canal Libre", "➕ Añadir Canales", "⬅ Volver"]
    assert not (await diana.container.channels.get(vip.id)).is_active
    assert await diana.container.tariffs.list_active() == []
    assert await session_of(diana) is None


@pytest.mark.parametrize("what", ["tariff", "channel"])
async def test_cancel_keeps_it_active_and_the_old_confirm_is_stale(
    diana: Diana, admin: Chat, what: str
) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    plata = await seed_tariff(diana, vip, "Plata")
    if what == "tariff":
        await open_tariff(admin, "Plata")
    else:
        await open_channel(admin, "Canal <VIP>")
    await admin.press("🗑 Desactivar")
    question = admin.last
    await admin.press("❌ Cancelar")
    assert admin.last.html == tx("session.cancelled", flow=tx("flow.deactivation"))
    turn = await admin.press("✅ Confirmar", on=question)
    assert turn.alert == NOT_ACTIVE
    assert not turn.changed_screen
    assert (await diana.container.tariffs.get(plata.id)).is_active
    assert (await diana.container.channels.get(vip.id)).is_active


@pytest.mark.parametrize(
    "data",
    [
        # The one-click confirmation of an earlier release.
        "t:deact_yes:TID:",
        # A ✅ of a deactivation question that never was.
        "f:deadbeef:confirm:",
    ],
)
async def test_a_forged_confirmation_changes_nothing(diana: Diana, admin: Chat, data: str) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    plata = await seed_tariff(diana, vip, "Plata")
    await open_tariff(admin, "Plata")
    turn = await admin.press_data(data.replace("TID", str(plata.id)))
    assert turn.alert == NOT_ACTIVE
    assert not turn.changed_screen
    assert (await diana.container.tariffs.get(plata.id)).is_active


@pytest.mark.parametrize(
    ("data", "note", "listing"),
    [
        ("go:deactivation:tariff.GONE_T", tx("tariff.inactive"), "menu.tariffs"),
        ("go:deactivation:tariff.999", tx("error.tariff.not_found", tariff_id=999), "menu.tariffs"),
        ("go:deactivation:channel.GONE_C", tx("channel.inactive"), "menu.channels"),
        (
            "go:deactivation:channel.999",
            tx("error.channel.not_found", channel_id=999),
            "menu.channels",
        ),
    ],
)
async def test_nothing_to_deactivate_asks_nothing(
    diana: Diana, admin: Chat, data: str, note: str, listing: str
) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await seed_tariff(diana, vip, "Plata")
    gone_tariff = await seed_tariff(diana, vip, "Vieja")
    await diana.container.tariffs.deactivate(gone_tariff.id)
    gone_channel = await seed_channel(diana, NOT_ADMIN_CHANNEL)
    await diana.container.channels.deactivate(gone_channel.id)
    await admin.send("/admin")
    data = data.replace("GONE_T", str(gone_tariff.id)).replace("GONE_C", str(gone_channel.id))
    await admin.press_data(data)
    assert admin.last.html == f"{note}\n\n{tx(listing)}"
    assert await session_of(diana) is None


async def test_deactivated_meanwhile_is_said_once(diana: Diana, admin: Chat) -> None:
    # Both admins asked; one confirmed first. The second confirmation repeats nothing
    # harmful: the tariff stays deactivated and the list says so.
    vip = await seed_channel(diana, VIP_CHANNEL)
    plata = await seed_tariff(diana, vip, "Plata")
    await open_tariff(admin, "Plata")
    await admin.press("🗑 Desactivar")
    await diana.container.tariffs.deactivate(plata.id)
    await admin.press("✅ Confirmar")
    assert (
        admin.last.html == f"{tx('tariff.deactivated', name='Plata')}\n\n{tx('menu.tariffs_empty')}"
    )
    assert not (await diana.container.tariffs.get(plata.id)).is_active
    assert await session_of(diana) is None


async def test_confirm_pressed_twice_deactivates_once(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    plata = await seed_tariff(diana, vip, "Plata")
    await open_tariff(admin, "Plata")
    await admin.press("🗑 Desactivar")
    question = admin.last
    await admin.press("✅ Confirmar")
    done = admin.last
    version = (await diana.container.tariffs.get(plata.id)).version
    turn = await admin.press("✅ Confirmar", on=question)
    assert turn.alert == NOT_ACTIVE
    assert admin.last == done
    assert (await diana.container.tariffs.get(plata.id)).version == version
