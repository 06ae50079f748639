"""➕ Crear Tarifa end to end: the real bot process against the local Bot API."""

from __future__ import annotations

from diana_bot.localapi import BotApiUser, LocalBotApi
from tests.support.botproc import ADMIN, BotProcess
from tests.support.chat import AdminChat

VIP_ID = -1001234567890


async def test_create_tariff_happy_path(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess
) -> None:
    api.add_channel(VIP_ID, "Diana VIP")
    chat = AdminChat(user, ADMIN)
    menu = await chat.send("/admin")
    assert [b.text for b in menu.buttons] == [
        "💎 VIP",
        "⚙ Configuración Global",
        "🧹 Sesiones",
    ]
    # Register the VIP channel first.
    config = await chat.press(menu, "⚙ Configuración Global")
    ask = await chat.press(config, "➕ Añadir Canales")
    assert "Reenvía" in ask.text
    confirm = await chat.forward_channel(VIP_ID, "Diana VIP")
    assert str(VIP_ID) in confirm.text and "Diana VIP" in confirm.text
    done = await chat.press(confirm, "✅ Confirmar")
    assert "registrado" in done.text
    # Now the tariff.
    menu = await chat.send("/admin")
    vip = await chat.press(menu, "💎 VIP")
    tariffs = await chat.press(vip, "🏷 Gestionar Tarifas")
    step1 = await chat.press(tariffs, "➕ Crear Tarifa")
    assert "Paso 1 de 3: Precio" in step1.text
    step2 = await chat.send("29,99")
    assert "Paso 2 de 3: Duración" in step2.text
    step3 = await chat.send("30 días")
    assert "Paso 3 de 3: Nombre" in step3.text
    summary = await chat.send("Oro <b>mensual</b>")
    assert "29.99 USD" in summary.text
    assert "Oro <b>mensual</b>" in summary.text  # shown escaped: as typed, not bold
    created = await chat.press(summary, "✅ Confirmar")
    assert "creada" in created.text
    listing = await chat.press(created, "🏷 Gestionar Tarifas")
    assert any(b.text.startswith("Oro <b>mensual</b>") for b in listing.buttons)
