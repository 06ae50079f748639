"""A flow left open is offered back (▶ Continuar / 🗑 Descartar + what was asked for);
/cancel and ❌ Cancelar end it anywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.bot.conftest import ADMIN, VIP_CHANNEL, VIP_CHANNEL_2, Diana
from tests.bot.steps import (
    NOT_ACTIVE,
    open_add_channel,
    open_create_tariff,
    open_tariff,
    price,
    seed_channel,
    seed_tariff,
    session_of,
    step_of,
    tx,
)
from tests.support.bot_chat import Chat
from tests.support.recording_bot import BotMessage

Setup = Callable[[Diana, Chat], Awaitable[None]]


async def _channel_ref(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)


async def _channel_confirm(diana: Diana, admin: Chat) -> None:
    await open_add_channel(admin)
    await admin.send("@canal_vip")


async def _tariff_at(diana: Diana, admin: Chat, answers: list[str]) -> None:
    await seed_channel(diana, VIP_CHANNEL)
    await open_create_tariff(admin)
    for answer in answers:
        await admin.send(answer)


async def _edit_value(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await seed_tariff(diana, vip, "Plata")
    await open_tariff(admin, "Plata")
    await admin.press("✏ Editar Precio")


async def _edit_overwrite(diana: Diana, admin: Chat) -> None:
    await _edit_value(diana, admin)
    (tariff,) = await diana.container.tariffs.list_active()
    await diana.container.tariffs.update_field(tariff.id, "price", "20")
    await admin.send("15")


async def _deactivation(diana: Diana, admin: Chat) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await seed_tariff(diana, vip, "Plata")
    await open_tariff(admin, "Plata")
    await admin.press("🗑 Desactivar")


def _tariff(answers: list[str]) -> Setup:
    async def setup(diana: Diana, admin: Chat) -> None:
        await _tariff_at(diana, admin, answers)

    return setup


OPEN_FLOWS: list[tuple[str, Setup, str, int]] = [
    ("channel-ref", _channel_ref, "flow.channel_registration", 1),
    ("channel-confirm", _channel_confirm, "flow.channel_registration", 2),
    ("tariff-price", _tariff([]), "flow.tariff_creation", 1),
    ("tariff-duration", _tariff(["10"]), "flow.tariff_creation", 2),
    ("tariff-name", _tariff(["10", "30"]), "flow.tariff_creation", 3),
    ("tariff-confirm", _tariff(["10", "30", "Plata"]), "flow.tariff_creation", 4),
    ("edit-value", _edit_value, "flow.tariff_edit", 1),
    ("edit-overwrite", _edit_overwrite, "flow.tariff_edit", 2),
    ("deactivation", _deactivation, "flow.deactivation", 1),
]


@pytest.mark.parametrize(
    ("setup", "flow", "step"),
    [(s, f, n) for _, s, f, n in OPEN_FLOWS],
    ids=[name for name, *_ in OPEN_FLOWS],
)
async def test_admin_offers_the_open_flow_back(
    diana: Diana, admin: Chat, setup: Setup, flow: str, step: int
) -> None:
    await setup(diana, admin)
    prompt = admin.last
    before = await session_of(diana)
    await admin.send("/admin")
    assert admin.last.html == tx("session.unfinished", flow=tx(flow), step=step)
    assert admin.labels == ["▶ Continuar", "🗑 Descartar"]
    assert await session_of(diana) == before

    # ▶ Continuar shows the same step's prompt again; nothing is lost.
    turn = await admin.press("▶ Continuar")
    assert turn.alert is None
    assert admin.last.html == prompt.html
    assert admin.last.labels == prompt.labels
    after = await session_of(diana)
    assert after is not None and before is not None
    assert (after.id, after.step, after.data) == (before.id, before.step, before.data)


@pytest.mark.parametrize(
    ("setup", "flow"),
    [(s, f) for _, s, f, _ in OPEN_FLOWS],
    ids=[name for name, *_ in OPEN_FLOWS],
)
async def test_cancel_command_ends_any_flow(
    diana: Diana, admin: Chat, setup: Setup, flow: str
) -> None:
    await setup(diana, admin)
    before = await session_of(diana)
    assert before is not None
    await admin.send("/cancel")
    assert admin.last.html == tx("session.cancelled", flow=tx(flow))
    assert admin.labels == ["🏠 Menú"]
    assert await session_of(diana) is None
    (event,) = [
        e
        for e in await diana.container.sessions.recent_events(50)
        if e.session_id == before.id and e.event == "cancelled"
    ]
    assert event.detail == {"by": ADMIN}


async def test_cancel_without_a_flow(diana: Diana, admin: Chat) -> None:
    await admin.send("/cancel")
    assert admin.last.html == tx("session.nothing_to_cancel")
    assert admin.labels == ["🏠 Menú"]
    await admin.press("🏠 Menú")
    assert admin.last.html == tx("menu.root")
    assert await diana.open_sessions() == []


async def test_cancel_at_a_text_step_is_not_read_as_input(diana: Diana, admin: Chat) -> None:
    await _tariff_at(diana, admin, ["10", "30"])
    await admin.send("/cancel")
    assert admin.last.html == tx("session.cancelled", flow=tx("flow.tariff_creation"))
    assert await diana.container.tariffs.list_active() == []


async def test_discard_then_the_root_menu(diana: Diana, admin: Chat) -> None:
    await _tariff_at(diana, admin, ["10"])
    before = await session_of(diana)
    assert before is not None
    await admin.send("/admin")
    turn = await admin.press("🗑 Descartar")
    assert turn.answer is not None
    assert (turn.answer.text, turn.answer.show_alert) == (tx("session.discarded"), False)
    assert admin.last.html == tx("menu.root")
    assert await session_of(diana) is None
    events = [e.event for e in await diana.container.sessions.recent_events(50)]
    assert "cancelled" in events


async def _walk(admin: Chat, menu: BotMessage, *labels: str) -> None:
    """Press ``labels`` starting on an older menu message (the chat keeps old menus)."""
    await admin.press(labels[0], on=menu)
    for label in labels[1:]:
        await admin.press(label)


async def _start_add_channels(admin: Chat, menu: BotMessage) -> None:
    await _walk(admin, menu, "⚙ Configuración Global", "➕ Añadir Canales")


async def _start_create(admin: Chat, menu: BotMessage) -> None:
    await _walk(admin, menu, "💎 VIP", "🏷 Gestionar Tarifas", "➕ Crear Tarifa")


async def _start_edit(admin: Chat, menu: BotMessage) -> None:
    await _walk(
        admin,
        menu,
        "💎 VIP",
        "🏷 Gestionar Tarifas",
        f"Plata · {price('10.00')} · 30d",
        "📝 Editar Nombre",
    )


async def _start_deactivate_tariff(admin: Chat, menu: BotMessage) -> None:
    await _walk(
        admin,
        menu,
        "💎 VIP",
        "🏷 Gestionar Tarifas",
        f"Plata · {price('10.00')} · 30d",
        "🗑 Desactivar",
    )


async def _start_deactivate_channel(admin: Chat, menu: BotMessage) -> None:
    await _walk(
        admin,
        menu,
        "⚙ Configuración Global",
        "🎚 Administrar canales",
        "💎 Canal <VIP>",
        "🗑 Desactivar",
    )


Start = Callable[[Chat, BotMessage], Awaitable[None]]


@pytest.mark.parametrize(
    ("start", "first_screen", "new_flow"),
    [
        (_start_add_channels, tx("channel.ask_ref"), ("channel_registration", "ref")),
        (_start_create, tx("tariff.ask_price"), ("tariff_creation", "price")),
        (
            _start_edit,
            tx("edit.ask.name", name="Plata", current="Plata"),
            ("tariff_edit", "value"),
        ),
        (
            _start_deactivate_tariff,
            tx("tariff.deactivate_ask", name="Plata"),
            ("deactivation", "confirm"),
        ),
        (
            _start_deactivate_channel,
            tx("channel.deactivate_ask", title="Canal &lt;VIP&gt;"),
            ("deactivation", "confirm"),
        ),
    ],
    ids=["add-channels", "create-tariff", "edit", "deactivate-tariff", "deactivate-channel"],
)
async def test_starting_a_flow_with_one_open_asks_then_discard_starts_it(
    diana: Diana,
    admin: Chat,
    start: Start,
    first_screen: str,
    new_flow: tuple[str, str],
) -> None:
    vip = await seed_channel(diana, VIP_CHANNEL)
    await seed_tariff(diana, vip, "Plata")
    await admin.send("/admin")
    menu = admin.last
    # A channel registration is open (at its confirmation), from another menu message.
    await open_add_channel(admin)
    await admin.send(str(VIP_CHANNEL_2.id))
    old = await session_of(diana)
    assert old is not None and old.session_type == "channel_registration"

    await start(admin, menu)
    assert admin.last.html == tx("session.unfinished", flow=tx("flow.channel_registration"), step=2)
    # Asking changed nothing yet.
    assert await session_of(diana) == old

    await admin.press("🗑 Descartar")
    assert admin.last.html == first_screen
    new = await session_of(diana)
    assert new is not None
    assert (new.session_type, new.step) == new_flow
    # (That the discarded session ended is checked by the next test.)


async def test_discarding_a_flow_for_a_new_one_of_the_same_kind_ends_the_old_one(
    diana: Diana, admin: Chat
) -> None:
    await admin.send("/admin")
    menu = admin.last
    # A tariff creation left at its summary: Oro, 10 USD.
    await _tariff_at(diana, admin, ["10", "30", "Oro"])
    old_summary = admin.last
    old = await session_of(diana)
    assert old is not None
    # ➕ Crear Tarifa from an older menu: asked, discarded, a new creation starts.
    await _start_create(admin, menu)
    await admin.press("🗑 Descartar")
    for answer in ("20", "30", "Plata"):
        await admin.send(answer)
    new = await session_of(diana)
    assert new is not None
    # The discarded flow is over: its session ended (audited), its buttons are stale.
    assert new.id != old.id
    cancelled = [
        e.session_id
        for e in await diana.container.sessions.recent_events(50)
        if e.event == "cancelled"
    ]
    assert cancelled == [old.id]
    turn = await admin.press("✅ Confirmar", on=old_summary)
    assert turn.alert == NOT_ACTIVE
    # Nothing was created from a summary the admin had discarded.
    assert await diana.container.tariffs.list_active() == []


async def test_continue_after_being_asked_keeps_the_old_flow(diana: Diana, admin: Chat) -> None:
    await admin.send("/admin")
    menu = admin.last
    await _tariff_at(diana, admin, ["10"])
    before = await session_of(diana)
    await _start_add_channels(admin, menu)
    assert admin.last.html == tx("session.unfinished", flow=tx("flow.tariff_creation"), step=2)
    await admin.press("▶ Continuar")
    assert admin.last.html == tx("tariff.ask_duration")
    assert await step_of(diana) == ("tariff_creation", "duration")
    after = await session_of(diana)
    assert after is not None and before is not None and after.id == before.id
    await admin.send("30")
    assert admin.last.html == tx("tariff.ask_name")


async def test_a_forged_follow_up_after_discard_shows_the_root(diana: Diana, admin: Chat) -> None:
    await _tariff_at(diana, admin, [])
    session = await session_of(diana)
    assert session is not None
    await admin.send("/admin")
    await admin.press_data(f"r:{session.id[:8]}:discard:e.abc.name")
    assert admin.last.html == tx("menu.root")
    assert await session_of(diana) is None


async def test_resume_buttons_of_a_finished_flow_are_stale(diana: Diana, admin: Chat) -> None:
    await _tariff_at(diana, admin, ["10"])
    await admin.send("/admin")
    question = admin.last
    await admin.send("/cancel")
    for label in ("▶ Continuar", "🗑 Descartar"):
        turn = await admin.press(label, on=question)
        assert turn.alert == NOT_ACTIVE
        assert not turn.changed_screen
    assert await diana.open_sessions() == []


async def test_cancel_button_ends_the_flow_and_its_buttons_go_stale(
    diana: Diana, admin: Chat
) -> None:
    await _tariff_at(diana, admin, ["10"])
    prompt = admin.last
    await admin.press("❌ Cancelar")
    assert admin.last.html == tx("session.cancelled", flow=tx("flow.tariff_creation"))
    # The cancelled prompt was edited into the answer: same message.
    assert admin.last.message_id == prompt.message_id
    turn = await admin.press("⬅ Atrás", on=prompt)
    assert turn.alert == NOT_ACTIVE
    assert await diana.open_sessions() == []
