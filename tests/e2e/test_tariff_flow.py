"""➕ Crear Tarifa and ✏ editing, end to end: the real bot process, the local Bot API."""

from __future__ import annotations

from sqlalchemy import select

from diana_bot.db.models import TariffRow
from diana_devtools.localapi import BotApiUser, BotMessage, LocalBotApi
from tests.support.botproc import ADMIN, OTHER_ADMIN, BotProcess
from tests.support.chat import AdminChat
from tests.support.db import rows

VIP_ID = -1001234567890
VIP2_ID = -1009876543210


async def register_channel(
    chat: AdminChat, channel_id: int, title: str, *, free: bool = False
) -> None:
    menu = await chat.send("/admin")
    config = await chat.press(menu, "⚙ Configuración Global")
    await chat.press(config, "➕ Añadir Canales")
    confirm = await chat.forward_channel(channel_id, title)
    if free:
        confirm = await chat.press(confirm, "🔄 Cambiar a Free")
        assert "Free" in confirm.text
    done = await chat.press(confirm, "✅ Confirmar")
    assert "registrado" in done.text


async def open_create(chat: AdminChat) -> BotMessage:
    menu = await chat.send("/admin")
    vip = await chat.press(menu, "💎 VIP")
    tariffs = await chat.press(vip, "🏷 Gestionar Tarifas")
    return await chat.press(tariffs, "➕ Crear Tarifa")


async def test_create_tariff_with_every_kind_of_bad_input(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    # No VIP channel yet: say so and offer to add one.
    no_channel = await open_create(chat)
    assert "No hay ningún canal VIP" in no_channel.text
    assert "➕ Añadir Canales" in [b.text for b in no_channel.buttons]

    api.add_channel(VIP_ID, "Diana VIP")
    await register_channel(chat, VIP_ID, "Diana VIP")
    step1 = await open_create(chat)
    assert "Paso 1 de 3: Precio" in step1.text
    for bad in ("", "gratis", "-5", "1.999", "NaN", "inf", "1e309", "100000.01"):
        again = await chat.send(bad or " ")
        assert "Paso 1 de 3: Precio" in again.text, bad
        assert again.text != step1.text  # the reason is shown above the prompt
    step2 = await chat.send("$29.99")
    assert "Paso 2 de 3: Duración" in step2.text
    for bad in ("0", "3651", "treinta", "2.5", "30 lunas"):
        again = await chat.send(bad)
        assert "Paso 2 de 3: Duración" in again.text, bad
    step3 = await chat.send("30")
    assert "Paso 3 de 3: Nombre" in step3.text
    for bad in ("   ", "x" * 101):
        again = await chat.send(bad)
        assert "Paso 3 de 3: Nombre" in again.text, bad
    summary = await chat.send("Oro <b>mensual</b>")
    assert "29.99 USD" in summary.text
    # What the admin typed, in days (a month is not exactly 30 days: no "1 mes").
    assert "Duración: 30 días\n" in summary.text
    assert "Oro <b>mensual</b>" in summary.text  # escaped: shown as typed, not bold
    # ⬅ Atrás keeps what was typed and asks for the name again.
    back = await chat.press(summary, "⬅ Atrás")
    assert "Paso 3 de 3: Nombre" in back.text
    summary = await chat.send("Oro")
    created = await chat.press(summary, "✅ Confirmar")
    assert "✅ Tarifa «Oro» creada" in created.text
    listing = await chat.press(created, "🏷 Gestionar Tarifas")
    assert any(b.text.startswith("Oro · 29.99 USD · 30d") for b in listing.buttons)
    # Text with no flow open gets a hint, not silence.
    hint = await chat.send("hola")
    assert "/admin" in hint.text
    saved = await rows(e2e_db_url, select(TariffRow))
    assert [(t.name, str(t.price), t.duration_days) for t in saved] == [("Oro", "29.99", 30)]


async def test_cancel_back_and_several_channels(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "Uno")
    api.add_channel(VIP2_ID, "Dos")
    await register_channel(chat, VIP_ID, "Uno")
    await register_channel(chat, VIP2_ID, "Dos")
    pick = await open_create(chat)
    assert "¿Para qué canal VIP?" in pick.text
    step1 = await chat.press(pick, "💎 Dos")
    assert "Paso 1 de 3" in step1.text
    step2 = await chat.send("10")
    back = await chat.press(step2, "⬅ Atrás")
    assert "Paso 1 de 3" in back.text
    # /cancel ends the flow anywhere; its old buttons then answer "no longer active".
    cancelled = await chat.send("/cancel")
    assert "Cancelado" in cancelled.text
    assert await chat.press_for_answer(step2, "❌ Cancelar") == "Esta sesión ya no está activa."
    assert await rows(e2e_db_url, select(TariffRow)) == []
    # ❌ Cancelar inside a flow.
    step1 = await open_create(chat)
    pick_again = step1 if "¿Para qué canal" in step1.text else None
    assert pick_again is not None
    step1 = await chat.press(pick_again, "💎 Uno")
    cancelled = await chat.press(step1, "❌ Cancelar")
    assert "Cancelado" in cancelled.text


async def test_resume_prompt_when_starting_another_flow(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess
) -> None:
    chat = AdminChat(user, ADMIN)
    api.add_channel(VIP_ID, "Diana VIP")
    await register_channel(chat, VIP_ID, "Diana VIP")
    await open_create(chat)
    await chat.send("15")  # now at step 2
    menu_or_resume = await chat.send("/admin")
    assert "Tienes la creación de una tarifa sin terminar (paso 2)" in menu_or_resume.text
    resumed = await chat.press(menu_or_resume, "▶ Continuar")
    assert "Paso 2 de 3: Duración" in resumed.text
    # Starting the channel flow asks too; discarding starts what was asked for.
    menu = await chat.send("/admin")
    assert "sin terminar" in menu.text
    root = await chat.press(menu, "🗑 Descartar")
    assert "Panel de administración" in root.text
    config = await chat.press(root, "⚙ Configuración Global")
    ask = await chat.press(config, "➕ Añadir Canales")
    assert "Paso 1 de 2" in ask.text
    await chat.send("/admin")  # resume prompt for the channel flow
    asked = await chat.last()
    assert "registro de un canal sin terminar (paso 1)" in asked.text


async def test_edit_every_field_and_the_conflict_between_two_admins(
    api: LocalBotApi, user: BotApiUser, bot: BotProcess, e2e_db_url: str
) -> None:
    chat = AdminChat(user, ADMIN)
    other = AdminChat(user, OTHER_ADMIN)
    api.add_channel(VIP_ID, "Diana VIP")
    await register_channel(chat, VIP_ID, "Diana VIP")
    await open_create(chat)
    await chat.send("10")
    await chat.send("30")
    summary = await chat.send("Plata")
    created = await chat.press(summary, "✅ Confirmar")
    listing = await chat.press(created, "🏷 Gestionar Tarifas")
    detail = await chat.press(listing, listing.buttons[0].text)
    assert "Plata" in detail.text and "10.00 USD" in detail.text

    ask = await chat.press(detail, "✏ Editar Precio")
    assert "Precio actual: 10.00 USD" in ask.text
    again = await chat.send("diez")
    assert "Precio actual" in again.text
    saved = await chat.send("12.50")
    assert "✅ Guardado" in saved.text and "12.50 USD" in saved.text
    ask = await chat.press(saved, "⏰ Editar Duración")
    assert "Duración actual: 30 días\n" in ask.text
    saved = await chat.send("1 año")
    assert "Duración: 365 días (1 año)" in saved.text
    ask = await chat.press(saved, "⏰ Editar Duración")
    assert "Duración actual: 365 días (1 año)" in ask.text
    saved = await chat.send("2 semanas")
    assert "Duración: 14 días (2 semanas)" in saved.text
    ask = await chat.press(saved, "📝 Editar Nombre")
    saved = await chat.send("Plata Plus")
    assert "Plata Plus" in saved.text
    ask = await chat.press(saved, "📄 Editar Descripción")
    saved = await chat.send("Acceso <total>")
    assert "Acceso <total>" in saved.text

    # Both admins open the price prompt; the second saves first.
    mine = await chat.press(saved, "✏ Editar Precio")
    assert "12.50 USD" in mine.text
    menu = await other.send("/admin")
    vip = await other.press(menu, "💎 VIP")
    tariffs = await other.press(vip, "🏷 Gestionar Tarifas")
    theirs = await other.press(tariffs, tariffs.buttons[0].text)
    theirs = await other.press(theirs, "✏ Editar Precio")
    await other.send("20")
    conflict = await chat.send("15")
    assert "cambió mientras editabas" in conflict.text
    assert "20.00 USD" in conflict.text and "«15»" in conflict.text
    stored = await rows(e2e_db_url, select(TariffRow))
    assert str(stored[0].price) == "20.00"  # never overwritten silently
    overwritten = await chat.press(conflict, "✅ Confirmar")
    assert "15.00 USD" in overwritten.text
    stored = await rows(e2e_db_url, select(TariffRow))
    assert str(stored[0].price) == "15.00"
    assert stored[0].name == "Plata Plus" and stored[0].description == "Acceso <total>"

    ask = await chat.press(overwritten, "🗑 Desactivar")
    gone = await chat.press(ask, "✅ Confirmar")
    assert "desactivada" in gone.text
    stored = await rows(e2e_db_url, select(TariffRow))
    assert stored[0].is_active is False
