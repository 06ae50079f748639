"""✏ Editar …: every field, bad values, a concurrent change, a deactivated tariff."""

from __future__ import annotations

from decimal import Decimal

import pytest

from diana_bot.domain import Tariff
from tests.bot.conftest import OTHER_ADMIN, VIP_CHANNEL, Diana
from tests.bot.steps import (
    NOT_ACTIVE,
    open_tariff,
    price,
    seed_channel,
    seed_tariff,
    session_of,
    step_of,
    tx,
)
from tests.support.bot_chat import Chat


async def _tariff(diana: Diana) -> Tariff:
    vip = await seed_channel(diana, VIP_CHANNEL)
    return await seed_tariff(diana, vip, "Plata", "10", 30)


def details(
    name: str = "Plata",
    price: str = price("10.00"),
    duration: str = "30 días",
    description: str | None = None,
) -> str:
    return tx(
        "tariff.details",
        name=name,
        price=price,
        duration=duration,
        description=description or tx("tariff.no_description"),
    )


@pytest.mark.parametrize(
    ("button", "field", "current", "typed", "stored", "shown"),
    [
        (
            "✏ Editar Precio",
            "price",
            price("10.00"),
            "12,50",
            Decimal("12.50"),
            {"price": price("12.50")},
        ),
        (
            "⏰ Editar Duración",
            "duration_days",
            "30 días",
            "1 año",
            365,
            {"duration": "365 días (1 año)"},
        ),
        (
            "📝 Editar Nombre",
            "name",
            "Plata",
            "Plata <Plus>",
            "Plata <Plus>",
            {"name": "Plata &lt;Plus&gt;"},
        ),
        (
            "📄 Editar Descripción",
            "description",
            "—",
            "Acceso <total> & más",
            "Acceso <total> & más",
            {"description": "Acceso &lt;total&gt; &amp; más"},
        ),
    ],
)
async def test_edit_each_field(
    diana: Diana,
    admin: Chat,
    button: str,
    field: str,
    current: str,
    typed: str,
    stored: object,
    shown: dict[str, str],
) -> None:
    tariff = await _tariff(diana)
    await open_tariff(admin, "Plata")
    await admin.press(button)
    assert admin.last.html == tx(f"edit.ask.{field}", name="Plata", current=current)
    assert admin.labels == ["❌ Cancelar"]
    session = await session_of(diana)
    assert session is not None
    assert (session.session_type, session.step) == ("tariff_edit", "value")
    assert session.data == {"tariff_id": tariff.id, "field": field, "version": tariff.version}

    await admin.send(typed)
    # Back on the tariff, with the new value and a note.
    assert admin.last.html == f"{tx('edit.saved')}\n\n{details(**shown)}"
    assert "✏ Editar Precio" in admin.labels
    saved = await diana.container.tariffs.get(tariff.id)
    assert getattr(saved, field) == stored
    assert saved.version == tariff.version + 1
    assert await session_of(diana) is None


async def test_a_dash_empties_the_description(diana: Diana, admin: Chat) -> None:
    tariff = await _tariff(diana)
    await diana.container.tariffs.update_field(tariff.id, "description", "Algo")
    await open_tariff(admin, "Plata")
    await admin.press("📄 Editar Descripción")
    assert admin.last.html == tx("edit.ask.description", name="Plata", current="Algo")
    await admin.send("-")
    assert (await diana.container.tariffs.get(tariff.id)).description is None
    assert admin.last.html == f"{tx('edit.saved')}\n\n{details()}"


@pytest.mark.parametrize(
    ("button", "field", "current", "typed", "key", "params"),
    [
        (
            "✏ Editar Precio",
            "price",
            price("10.00"),
            "diez",
            "error.price.invalid",
            {"value": "diez"},
        ),
        (
            "⏰ Editar Duración",
            "duration_days",
            "30 días",
            "0",
            "error.duration.too_short",
            {"min": 1},
        ),
        ("📝 Editar Nombre", "name", "Plata", " ", "error.name.empty", {}),
        (
            "📄 Editar Descripción",
            "description",
            "—",
            "x" * 501,
            "error.description.too_long",
            {"length": 501, "max": 500},
        ),
    ],
)
async def test_a_bad_value_is_explained_and_asked_again(
    diana: Diana,
    admin: Chat,
    button: str,
    field: str,
    current: str,
    typed: str,
    key: str,
    params: dict[str, object],
) -> None:
    tariff = await _tariff(diana)
    await open_tariff(admin, "Plata")
    await admin.press(button)
    before = await session_of(diana)
    await admin.send(typed)
    assert admin.last.html == (
        f"{tx(key, **params)}\n\n{tx(f'edit.ask.{field}', name='Plata', current=current)}"
    )
    assert await session_of(diana) == before
    assert await diana.container.tariffs.get(tariff.id) == tariff


async def test_a_concurrent_change_asks_before_overwriting(
    diana: Diana, admin: Chat, other_admin: Chat
) -> None:
    tariff = await _tariff(diana)
    await open_tariff(admin, "Plata")
    await admin.press("✏ Editar Precio")
    # Another admin saves a price while the first one is typing.
    await open_tariff(other_admin, "Plata")
    await other_admin.press("✏ Editar Precio")
    await other_admin.send("20")
    assert (await diana.container.tariffs.get(tariff.id)).price == Decimal("20")

    await admin.send("15")
    assert admin.last.html == tx("edit.conflict", name="Plata", current=price("20.00"), new="15")
    assert admin.labels == ["✅ Confirmar", "❌ Cancelar"]
    assert await step_of(diana) == ("tariff_edit", "overwrite")
    # Never overwritten silently.
    assert (await diana.container.tariffs.get(tariff.id)).price == Decimal("20")

    await admin.press("✅ Confirmar")
    assert admin.last.html == f"{tx('edit.saved')}\n\n{details(price=price('15.00'))}"
    saved = await diana.container.tariffs.get(tariff.id)
    assert (saved.price, saved.version) == (Decimal("15"), tariff.version + 2)
    assert await session_of(diana) is None


async def test_a_second_concurrent_change_asks_again(diana: Diana, admin: Chat) -> None:
    tariff = await _tariff(diana)
    await open_tariff(admin, "Plata")
    await admin.press("📝 Editar Nombre")
    await diana.container.tariffs.update_field(tariff.id, "name", "Bronce")
    await admin.send("Oro")
    assert admin.last.html == tx("edit.conflict", name="Bronce", current="Bronce", new="Oro")
    # Changed again while the question is on the screen: asked again with that value.
    await diana.container.tariffs.update_field(tariff.id, "name", "Cobre")
    await admin.press("✅ Confirmar")
    assert admin.last.html == tx("edit.conflict", name="Cobre", current="Cobre", new="Oro")
    assert (await diana.container.tariffs.get(tariff.id)).name == "Cobre"
    await admin.press("✅ Confirmar")
    assert (await diana.container.tariffs.get(tariff.id)).name == "Oro"


async def test_cancelling_the_overwrite_keeps_the_other_value(diana: Diana, admin: Chat) -> None:
    tariff = await _tariff(diana)
    await open_tariff(admin, "Plata")
    await admin.press("✏ Editar Precio")
    await diana.container.tariffs.update_field(tariff.id, "price", "20")
    await admin.send("15")
    await admin.press("❌ Cancelar")
    assert admin.last.html == tx("session.cancelled", flow=tx("flow.tariff_edit"))
    assert (await diana.container.tariffs.get(tariff.id)).price == Decimal("20")
    assert await session_of(diana) is None


async def test_a_deactivated_tariff_cannot_be_opened_for_editing(diana: Diana, admin: Chat) -> None:
    tariff = await _tariff(diana)
    await open_tariff(admin, "Plata")
    await diana.container.tariffs.deactivate(tariff.id)
    await admin.press("✏ Editar Precio")
    assert admin.last.html == f"{tx('tariff.inactive')}\n\n{tx('menu.tariffs_empty')}"
    assert await session_of(diana) is None
    # Opening it from an old list is refused the same way.
    await admin.press_data(f"o:tariff:{tariff.id}")
    assert admin.last.html.startswith(tx("tariff.inactive"))


async def test_a_tariff_deactivated_while_editing_is_not_saved(diana: Diana, admin: Chat) -> None:
    tariff = await _tariff(diana)
    await open_tariff(admin, "Plata")
    await admin.press("✏ Editar Precio")
    await diana.container.tariffs.deactivate(tariff.id)
    await admin.send("15")
    assert admin.last.html.startswith(tx("error.tariff.inactive", tariff_id=tariff.id))
    stored = await diana.container.tariffs.get(tariff.id)
    assert (stored.price, stored.is_active) == (Decimal("10"), False)


@pytest.mark.parametrize(
    ("data", "note"),
    [
        ("go:tariff_edit:TID.currency", tx("session.not_active")),
        ("go:tariff_edit:TID.is_active", tx("session.not_active")),
        ("go:tariff_edit:999.price", tx("error.tariff.not_found", tariff_id=999)),
        (
            f"go:tariff_edit:{2**63 - 1}.duration_days",
            tx("error.tariff.not_found", tariff_id=2**63 - 1),
        ),
        (f"go:tariff_edit:{2**64}.price", tx("error.tariff.not_found", tariff_id=2**64)),
    ],
)
async def test_a_forged_edit_button_opens_nothing(
    diana: Diana, admin: Chat, data: str, note: str
) -> None:
    tariff = await _tariff(diana)
    await admin.send("/admin")
    await admin.press_data(data.replace("TID", str(tariff.id)))
    assert admin.last.html == f"{note}\n\n{tx('menu.tariffs')}"
    assert await session_of(diana) is None
    assert await diana.container.tariffs.get(tariff.id) == tariff


async def test_text_at_the_overwrite_question_is_not_a_new_value(diana: Diana, admin: Chat) -> None:
    tariff = await _tariff(diana)
    await open_tariff(admin, "Plata")
    await admin.press("✏ Editar Precio")
    await diana.container.tariffs.update_field(tariff.id, "price", "20")
    await admin.send("15")
    before = await session_of(diana)
    await admin.send("16")
    assert admin.last.html.endswith(
        tx("edit.conflict", name="Plata", current=price("20.00"), new="15")
    )
    after = await session_of(diana)
    # Showing the question again re-reads the tariff (and stores the version it shows).
    assert after is not None and before is not None
    assert (after.id, after.step, after.data) == (before.id, before.step, before.data)
    assert (await diana.container.tariffs.get(tariff.id)).price == Decimal("20")


async def test_the_other_admins_edit_is_theirs_alone(
    diana: Diana, admin: Chat, other_admin: Chat
) -> None:
    # Two admins editing: two sessions, neither's button works in the other's chat.
    await _tariff(diana)
    await open_tariff(admin, "Plata")
    await admin.press("✏ Editar Precio")
    await open_tariff(other_admin, "Plata")
    await other_admin.press("📝 Editar Nombre")
    mine = await session_of(diana)
    theirs = await session_of(diana, OTHER_ADMIN)
    assert mine is not None and theirs is not None and mine.id != theirs.id
    data = admin.last.button("❌ Cancelar").callback_data
    assert data is not None
    turn = await other_admin.press_data(data)
    assert turn.alert == NOT_ACTIVE
    assert await session_of(diana, OTHER_ADMIN) == theirs
