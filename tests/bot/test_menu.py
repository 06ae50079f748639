"""/admin and every menu: what each screen shows and where each button leads."""

from __future__ import annotations

import pytest

from tests.bot.conftest import NOT_ADMIN_CHANNEL, VIP_CHANNEL, VIP_CHANNEL_2, Diana
from tests.bot.steps import NOT_ACTIVE, plain, price, seed_channel, seed_tariff, tx
from tests.support.bot_chat import Chat

ROOT_BUTTONS = ["💎 VIP", "⚙ Configuración Global", "🧹 Sesiones"]


async def test_start_up_publishes_the_commands_in_each_language(diana: Diana) -> None:
    # LOCALE's list is the default (any other language sees it); English users get theirs.
    default, english = diana.telegram.calls("setMyCommands")
    assert default.params.get("language_code") is None
    assert default.params["commands"] == [
        {"command": "admin", "description": "Panel de administración"},
        {"command": "cancel", "description": "Cancelar la operación en curso"},
    ]
    assert english.params["language_code"] == "en"
    assert english.params["commands"] == [
        {"command": "admin", "description": "Admin panel"},
        {"command": "cancel", "description": "Cancel what is in progress"},
    ]


@pytest.mark.parametrize("command", ["/admin", "/start"])
async def test_admin_opens_the_root_menu(diana: Diana, admin: Chat, command: str) -> None:
    turn = await admin.send(command)
    assert turn.methods == ["sendMessage"]
    assert admin.last.html == tx("menu.root")
    assert admin.labels == ROOT_BUTTONS
    # Menus open no session.
    assert await diana.open_sessions() == []


async def test_every_menu_and_its_way_back(diana: Diana, admin: Chat) -> None:
    await admin.send("/admin")
    menu_id = admin.last.message_id

    turn = await admin.press("💎 VIP")
    # A menu press is answered (no alert) and edits the pressed message in place.
    assert turn.answer is not None and turn.alert is None and turn.answer.text is None
    assert turn.methods == ["editMessageText", "answerCallbackQuery"]
    assert admin.last.message_id == menu_id
    assert admin.last.html == tx("menu.vip")
    assert admin.labels == ["🏷 Gestionar Tarifas", "⬅ Volver"]

    await admin.press("🏷 Gestionar Tarifas")
    assert admin.last.html == tx("menu.tariffs_empty")
    assert admin.labels == ["➕ Crear Tarifa", "⬅ Volver"]
    await admin.press("⬅ Volver")
    assert admin.last.html == tx("menu.vip")
    await admin.press("⬅ Volver")
    assert admin.last.html == tx("menu.root")

    await admin.press("⚙ Configuración Global")
    assert admin.last.html == tx("menu.config")
    assert admin.labels == ["➕ Añadir Canales", "🎚 Administrar canales", "⬅ Volver"]
    await admin.press("🎚 Administrar canales")
    assert admin.last.html == tx("menu.channels_empty")
    assert admin.labels == ["➕ Añadir Canales", "⬅ Volver"]
    await admin.press("⬅ Volver")
    assert admin.last.html == tx("menu.config")
    await admin.press("⬅ Volver")
    assert admin.last.html == tx("menu.root")

    await admin.press("🧹 Sesiones")
    assert admin.last.text.startswith(plain("sessions.title"))
    await admin.press("⬅ Volver")
    assert admin.last.html == tx("menu.root")
    assert admin.last.message_id == menu_id
    assert len(admin.messages) == 1
    assert await diana.open_sessions() == []


async def test_the_tariff_list_and_a_tariff(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    gold = await seed_tariff(diana, vip, "Oro <mensual>", "29.99", 30)
    await seed_tariff(diana, vip, "Plata", "10", 365)
    gone = await seed_tariff(diana, vip, "Vieja", "1", 7)
    await diana.container.tariffs.deactivate(gone.id)
    await diana.container.tariffs.update_field(gold.id, "description", "Todo <incluido>")

    await admin.send("/admin")
    await admin.press("💎 VIP")
    await admin.press("🏷 Gestionar Tarifas")
    assert admin.last.html == tx("menu.tariffs")
    # Active tariffs only, oldest first: name · price · days.
    assert admin.labels == [
        f"Oro <mensual> · {price('29.99')} · 30d",
        f"Plata · {price('10.00')} · 365d",
        "➕ Crear Tarifa",
        "⬅ Volver",
    ]

    await admin.press(f"Oro <mensual> · {price('29.99')} · 30d")
    # What the admin typed is escaped: shown as typed, never as markup.
    assert admin.last.html == tx(
        "tariff.details",
        name="Oro &lt;mensual&gt;",
        price=price("29.99"),
        duration="30 días",
        description="Todo &lt;incluido&gt;",
    )
    assert "Oro <mensual>" in admin.last_text and "Todo <incluido>" in admin.last_text
    assert admin.labels == [
        "✏ Editar Precio",
        "⏰ Editar Duración",
        "📝 Editar Nombre",
        "📄 Editar Descripción",
        "🗑 Desactivar",
        "⬅ Volver",
    ]
    await admin.press("⬅ Volver")
    assert admin.last.html == tx("menu.tariffs")

    await admin.press(f"Plata · {price('10.00')} · 365d")
    assert "Duración: 365 días (1 año)" in admin.last_text
    assert f"Descripción: {tx('tariff.no_description')}" in admin.last_text


async def test_the_channel_list_and_a_channel(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await seed_channel(diana, NOT_ADMIN_CHANNEL, kind="free")
    gone = await seed_channel(diana, VIP_CHANNEL_2)
    await diana.container.channels.deactivate(gone.id)

    await admin.send("/admin")
    await admin.press("⚙ Configuración Global")
    await admin.press("🎚 Administrar canales")
    assert admin.last.html == tx("menu.channels")
    assert admin.labels == ["💎 Canal <VIP>", "🆓 Canal Libre", "➕ Añadir Canales", "⬅ Volver"]

    await admin.press("💎 Canal <VIP>")
    assert admin.last.html == tx(
        "channel.details",
        title="Canal &lt;VIP&gt;",
        chat_id=VIP_CHANNEL.id,
        kind=tx("channel.kind.vip"),
    )
    assert admin.labels == ["🗑 Desactivar", "⬅ Volver"]
    await admin.press("⬅ Volver")
    await admin.press("🆓 Canal Libre")
    assert f"Tipo: {tx('channel.kind.free')}" in admin.last_text
    await admin.press("⬅ Volver")
    await admin.press("➕ Añadir Canales")
    assert admin.last.html == tx("channel.ask_ref")


@pytest.mark.parametrize(
    ("data", "key", "params"),
    [
        ("o:tariff:999", "error.tariff.not_found", {"tariff_id": 999}),
        (f"o:tariff:{2**63}", "error.tariff.not_found", {"tariff_id": 2**63}),
        (f"o:tariff:{10**30}", "error.tariff.not_found", {"tariff_id": 10**30}),
        ("o:channel:999", "error.channel.not_found", {"channel_id": 999}),
    ],
)
async def test_a_missing_tariff_or_channel_shows_the_list_with_the_reason(
    diana: Diana, admin: Chat, data: str, key: str, params: dict[str, object]
) -> None:
    await admin.send("/admin")
    turn = await admin.press_data(data)
    assert turn.alert is None
    assert admin.last.text.startswith(plain(key, **params))
    assert "➕ Crear Tarifa" in admin.labels or "➕ Añadir Canales" in admin.labels
    assert await diana.open_sessions() == []


async def test_a_menu_the_bot_does_not_know_leads_to_the_root(admin: Chat) -> None:
    await admin.send("/admin")
    await admin.press("💎 VIP")
    await admin.press_data("m:nowhere")
    assert admin.last.html == tx("menu.root")


@pytest.mark.parametrize("data", ["zzz", "x:1:2", "o:frobnicate:1", "s:explode:"])
async def test_unknown_buttons_answer_not_active_and_change_nothing(
    diana: Diana, admin: Chat, data: str
) -> None:
    await admin.send("/admin")
    before = admin.last
    turn = await admin.press_data(data)
    assert turn.alert == NOT_ACTIVE
    assert not turn.changed_screen
    assert admin.last == before
    assert await diana.open_sessions() == []
