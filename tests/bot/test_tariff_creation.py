"""➕ Crear Tarifa: (channel) → price → duration → name → confirm; every refusal and ⬅."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.bot.conftest import ADMIN, NOT_ADMIN_CHANNEL, VIP_CHANNEL, VIP_CHANNEL_2, Diana
from tests.bot.steps import (
    NOT_ACTIVE,
    open_create_tariff,
    price,
    seed_channel,
    session_of,
    step_of,
    tx,
)
from tests.support.bot_chat import Chat


def summary(price: str, duration: str, name: str, channel: str = "Canal &lt;VIP&gt;") -> str:
    return tx("tariff.summary", channel=channel, price=price, duration=duration, name=name)


async def test_no_vip_channel_offers_to_add_one(diana: Diana, admin: Chat) -> None:
    # A free channel and a deactivated VIP one are no VIP channel.
    await seed_channel(diana, NOT_ADMIN_CHANNEL, kind="free")
    gone = await seed_channel(diana, VIP_CHANNEL_2)
    await diana.container.channels.deactivate(gone.id)
    await open_create_tariff(admin)
    assert admin.last.html == tx("tariff.no_vip_channel")
    assert admin.labels == ["➕ Añadir Canales", "⬅ Volver"]
    assert await session_of(diana) is None
    await admin.press("➕ Añadir Canales")
    assert admin.last.html == tx("channel.ask_ref")


async def test_one_vip_channel_goes_straight_to_the_price(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    assert admin.last.html == tx("tariff.ask_price")
    # The first step has no ⬅ Atrás.
    assert admin.labels == ["❌ Cancelar"]
    assert await step_of(diana) == ("tariff_creation", "price")

    await admin.send("$29.99")
    assert admin.last.html == tx("tariff.ask_duration")
    assert admin.labels == ["⬅ Atrás", "❌ Cancelar"]
    await admin.send("30")
    assert admin.last.html == tx("tariff.ask_name")
    await admin.send("Oro <b>mensual</b>")
    # What the admin typed is escaped; the duration is in days, as typed.
    assert admin.last.html == summary(price("29.99"), "30 días", "Oro &lt;b&gt;mensual&lt;/b&gt;")
    assert "Nombre: Oro <b>mensual</b>" in admin.last_text
    assert admin.labels == ["✅ Confirmar", "⬅ Atrás", "❌ Cancelar"]
    session = await session_of(diana)
    assert session is not None and session.step == "confirm"
    assert await diana.container.tariffs.list_active() == []

    await admin.press("✅ Confirmar")
    assert admin.last.html == tx(
        "tariff.created",
        name="Oro &lt;b&gt;mensual&lt;/b&gt;",
        price=price("29.99"),
        duration="30 días",
    )
    assert admin.labels == ["🏷 Gestionar Tarifas"]
    (tariff,) = await diana.container.tariffs.list_active()
    assert (tariff.channel_id, tariff.name, tariff.price, tariff.duration_days) == (
        vip.id,
        "Oro <b>mensual</b>",
        Decimal("29.99"),
        30,
    )
    assert await session_of(diana) is None
    # One audit event per step, then completed.
    events = [
        (e.event, e.step)
        for e in reversed(await diana.container.sessions.recent_events(20))
        if e.session_id == session.id
    ]
    assert events == [
        ("started", "price"),
        ("step", "duration"),
        ("step", "name"),
        ("step", "confirm"),
        ("completed", "confirm"),
    ]
    await admin.press("🏷 Gestionar Tarifas")
    assert admin.labels[0] == f"Oro <b>mensual</b> · {price('29.99')} · 30d"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("1 año", "365 días (1 año)"),
        ("2 semanas", "14 días (2 semanas)"),
        ("3 meses", "90 días"),
        ("7", "7 días (1 semana)"),
        ("1", "1 día"),
    ],
)
async def test_durations_are_shown_in_days(
    diana: Diana, admin: Chat, typed: str, shown: str
) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    await admin.send("10")
    await admin.send(typed)
    await admin.send("Plan")
    assert admin.last.html == summary(price("10.00"), shown, "Plan")


async def test_several_vip_channels_ask_which_first(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    gold = await seed_channel(diana, VIP_CHANNEL_2)
    await seed_channel(diana, NOT_ADMIN_CHANNEL, kind="free")
    await open_create_tariff(admin)
    assert admin.last.html == tx("tariff.pick_channel")
    # VIP channels only; no ⬅ at the first step.
    assert admin.labels == ["💎 Canal <VIP>", "💎 Canal Oro", "❌ Cancelar"]
    assert await step_of(diana) == ("tariff_creation", "channel")

    await admin.press("💎 Canal Oro")
    assert admin.last.html == tx("tariff.ask_price")
    await admin.send("5")
    await admin.send("7")
    await admin.send("Semana")
    assert admin.last.html == summary(price("5.00"), "7 días (1 semana)", "Semana", "Canal Oro")
    await admin.press("✅ Confirmar")
    (tariff,) = await diana.container.tariffs.list_active()
    assert tariff.channel_id == gold.id


@pytest.mark.parametrize(
    "data",
    ["pick:999999", f"pick:{2**70}", "pick:abc", "pick:FREE", "pick:GONE"],
)
async def test_a_forged_channel_pick_is_not_found(diana: Diana, admin: Chat, data: str) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    gone = await seed_channel(diana, VIP_CHANNEL_2)
    free = await seed_channel(diana, NOT_ADMIN_CHANNEL, kind="free")
    await open_create_tariff(admin)
    await diana.container.channels.deactivate(gone.id)
    before = await session_of(diana)
    assert before is not None
    value = data.replace("FREE", str(free.id)).replace("GONE", str(gone.id))
    await admin.press_data(f"f:{before.id[:8]}:{value}")
    assert admin.last.html == f"{tx('channel.not_found')}\n\n{tx('tariff.pick_channel')}"
    # The deactivated channel is no longer offered.
    assert admin.labels == ["💎 Canal <VIP>", "❌ Cancelar"]
    assert await session_of(diana) == before


PRICE_ERRORS = [
    ("gratis", "error.price.invalid", {"value": "gratis"}),
    ("<b>diez</b>", "error.price.invalid", {"value": "&lt;b&gt;diez&lt;/b&gt;"}),
    ("-5", "error.price.negative", {}),
    ("1.999", "error.price.ambiguous_separator", {"value": "1.999", "thousands": "1999"}),
    ("1.500,5", "error.price.thousands_separator", {"value": "1.500,5"}),
    ("NaN", "error.price.invalid", {"value": "NaN"}),
    ("inf", "error.price.invalid", {"value": "inf"}),
    ("1e309", "error.price.invalid", {"value": "1e309"}),
    ("100000.01", "error.price.too_large", {"max": price("100000.00")}),
    (" ", "error.price.empty", {}),
]
DURATION_ERRORS = [
    ("0", "error.duration.too_short", {"min": 1}),
    ("3651", "error.duration.too_long", {"max": 3650}),
    ("treinta", "error.duration.invalid", {"value": "treinta"}),
    ("2.5", "error.duration.not_integer", {}),
    ("30 lunas", "error.duration.unknown_unit", {"unit": "lunas"}),
    ("-3", "error.duration.negative", {}),
]
NAME_ERRORS = [
    ("   ", "error.name.empty", {}),
    ("x" * 101, "error.name.too_long", {"length": 101, "max": 100}),
    ("a\x07b", "error.name.control_chars", {}),
]


async def _at(diana: Diana, admin: Chat, step: str) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    answers = {"price": [], "duration": ["10"], "name": ["10", "30"]}[step]
    for answer in answers:
        await admin.send(answer)
    assert await step_of(diana) == ("tariff_creation", step)


@pytest.mark.parametrize(
    ("step", "typed", "key", "params"),
    [("price", *e) for e in PRICE_ERRORS]
    + [("duration", *e) for e in DURATION_ERRORS]
    + [("name", *e) for e in NAME_ERRORS],
)
async def test_bad_input_is_explained_and_asked_again(
    diana: Diana,
    admin: Chat,
    step: str,
    typed: str,
    key: str,
    params: dict[str, object],
) -> None:
    await _at(diana, admin, step)
    before = await session_of(diana)
    prompt_id = admin.last.message_id
    turn = await admin.send(typed)
    # The domain's reason above the same step's prompt, in a new message.
    assert admin.last.html == f"{tx(key, **params)}\n\n{tx(f'tariff.ask_{step}')}"
    assert turn.methods == ["sendMessage"]
    assert admin.last.message_id != prompt_id
    # The session is exactly as it was: same step, same data, not even rewritten.
    assert await session_of(diana) == before


async def test_a_sticker_at_a_text_step_is_explained(diana: Diana, admin: Chat) -> None:
    await _at(diana, admin, "price")
    before = await session_of(diana)
    await admin.send_sticker()
    assert admin.last.html.endswith(f"\n\n{tx('tariff.ask_price')}")
    assert admin.last.html.split("\n\n")[0] == tx("error.price.empty")
    assert await session_of(diana) == before


async def test_back_at_each_step_keeps_what_was_typed(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    await admin.send("10")
    await admin.press("⬅ Atrás")
    assert admin.last.html == tx("tariff.ask_price")
    assert await step_of(diana) == ("tariff_creation", "price")
    await admin.send("12")
    await admin.send("30")
    await admin.press("⬅ Atrás")
    assert admin.last.html == tx("tariff.ask_duration")
    await admin.send("60")
    await admin.send("Plata")
    await admin.press("⬅ Atrás")
    assert admin.last.html == tx("tariff.ask_name")
    session = await session_of(diana)
    assert session is not None
    assert (session.step, session.data["price"], session.data["duration_days"]) == (
        "name",
        "12.00",
        60,
    )
    await admin.send("Plata Plus")
    assert admin.last.html == summary(price("12.00"), "60 días", "Plata Plus")
    await admin.press("✅ Confirmar")
    (tariff,) = await diana.container.tariffs.list_active()
    assert (tariff.name, tariff.price, tariff.duration_days) == ("Plata Plus", Decimal("12"), 60)


async def test_a_step_button_of_another_step_is_stale(diana: Diana, admin: Chat) -> None:
    # ⬅ Atrás of the duration prompt, pressed when the flow is back at the price step.
    await _at(diana, admin, "duration")
    duration_prompt = admin.last
    await admin.press("⬅ Atrás")
    before = await session_of(diana)
    turn = await admin.press("⬅ Atrás", on=duration_prompt)
    assert turn.alert == NOT_ACTIVE
    assert not turn.changed_screen
    assert await session_of(diana) == before


async def test_confirm_pressed_twice_creates_one(diana: Diana, admin: Chat) -> None:
    await _at(diana, admin, "name")
    await admin.send("Plata")
    summary_screen = admin.last
    await admin.press("✅ Confirmar")
    created = admin.last
    turn = await admin.press("✅ Confirmar", on=summary_screen)
    assert turn.alert == NOT_ACTIVE
    assert admin.last == created
    assert len(await diana.container.tariffs.list_active()) == 1


async def test_two_confirms_at_once_create_one(diana: Diana, admin: Chat) -> None:
    await _at(diana, admin, "name")
    await admin.send("Plata")
    first, second = await asyncio.gather(admin.press("✅ Confirmar"), admin.press("✅ Confirmar"))
    # One press created, the other found the flow over.
    assert sorted([first.alert or "", second.alert or ""]) == ["", NOT_ACTIVE]
    assert len(await diana.container.tariffs.list_active()) == 1
    assert await session_of(diana) is None


async def test_a_redelivered_update_is_applied_once(diana: Diana, admin: Chat) -> None:
    await _at(diana, admin, "price")
    await admin.send("15")
    shown = admin.last
    turn = await admin.redeliver()
    # Acknowledged, not read as the duration.
    assert turn.requests == []
    assert admin.last == shown
    assert await step_of(diana) == ("tariff_creation", "duration")
    await admin.send("30")
    await admin.send("Plata")
    await admin.press("✅ Confirmar")
    turn = await admin.redeliver()
    assert turn.requests == []
    (tariff,) = await diana.container.tariffs.list_active()
    assert tariff.price == Decimal("15")


async def test_a_channel_deactivated_before_confirm_is_explained(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await _at_summary(admin)
    await diana.container.channels.deactivate(vip.id)
    before = await session_of(diana)
    await admin.press("✅ Confirmar")
    assert admin.last.html == (
        f"{tx('error.channel.inactive', channel_id=vip.id)}\n\n"
        f"{summary(price('10.00'), '30 días', 'Plata')}"
    )
    assert await diana.container.tariffs.list_active() == []
    after = await session_of(diana)
    assert after is not None and before is not None
    assert (after.id, after.step, after.data) == (before.id, before.step, before.data)


async def _at_summary(admin: Chat) -> None:
    await open_create_tariff(admin)
    for answer in ("10", "30", "Plata"):
        await admin.send(answer)


async def test_cancel_at_any_step_creates_nothing(diana: Diana, admin: Chat) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    for answers in ([], ["10"], ["10", "30"], ["10", "30", "Plata"]):
        await open_create_tariff(admin)
        for answer in answers:
            await admin.send(answer)
        await admin.press("❌ Cancelar")
        assert admin.last.html == tx("session.cancelled", flow=tx("flow.tariff_creation"))
        assert await session_of(diana) is None
    assert await diana.container.tariffs.list_active() == []
    cancelled = [
        e for e in await diana.container.sessions.recent_events(50) if e.event == "cancelled"
    ]
    assert len(cancelled) == 4 and all(e.detail == {"by": ADMIN} for e in cancelled)
