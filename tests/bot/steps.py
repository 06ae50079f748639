"""What the in-process tests share: texts, walks through the menus, seeding, snapshots.

Walks go through the chat only (what an admin would press); seeding and checks go
through the container's services, as anything outside the bot would.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from diana_bot.domain import CURRENCY, Channel, Tariff
from diana_bot.texts import translator_for
from tests.bot.conftest import ADMIN, Diana
from tests.support.bot_chat import Chat
from tests.support.recording_bot import BotMessage, KnownChat, parse_html

ES = translator_for("es")
NOT_ACTIVE = ES("session.not_active")


def tx(key: str, /, **params: object) -> str:
    """A text of the Spanish catalogue, as the bot sends it (HTML)."""
    return ES(key, **params)


def txn(key: str, count: int, /, **params: object) -> str:
    """A plural text of the Spanish catalogue, its form for ``count``."""
    return ES.plural(key, count, **params)


def plain(key: str, /, **params: object) -> str:
    """A text of the catalogue as the admin reads it (``BotMessage.text``)."""
    text, error = parse_html(tx(key, **params))
    assert error is None, error
    return text


def price(value: str, locale: str = "es") -> str:
    """A price as the bot shows it in ``locale`` (``10,00 US$``, ``US$10.00``)."""
    return translator_for(locale).price(Decimal(value), CURRENCY)


def duration(days: int, locale: str = "es") -> str:
    """A duration as the bot shows it in ``locale`` (``30 días``, ``14 days (2 weeks)``)."""
    return translator_for(locale).duration(days)


# -- walks ---------------------------------------------------------------------------------


async def open_add_channel(chat: Chat) -> BotMessage:
    """/admin → ⚙ Configuración Global → ➕ Añadir Canales: the reference prompt."""
    await chat.send("/admin")
    await chat.press("⚙ Configuración Global")
    await chat.press("➕ Añadir Canales")
    return chat.last


async def open_create_tariff(chat: Chat) -> BotMessage:
    """/admin → 💎 VIP → 🏷 Gestionar Tarifas → ➕ Crear Tarifa: its first screen."""
    await chat.send("/admin")
    await chat.press("💎 VIP")
    await chat.press("🏷 Gestionar Tarifas")
    await chat.press("➕ Crear Tarifa")
    return chat.last


async def create_tariff(
    chat: Chat, price: str = "10", duration: str = "30", name: str = "Plata"
) -> None:
    """The whole creation flow with one VIP channel registered."""
    await open_create_tariff(chat)
    await chat.send(price)
    await chat.send(duration)
    await chat.send(name)
    await chat.press("✅ Confirmar")


async def open_tariff(chat: Chat, name: str) -> BotMessage:
    """/admin → 💎 VIP → 🏷 Gestionar Tarifas → the tariff named ``name``."""
    await chat.send("/admin")
    await chat.press("💎 VIP")
    await chat.press("🏷 Gestionar Tarifas")
    await chat.press(label_starting(chat.last, f"{name} · "))
    return chat.last


async def open_channel(chat: Chat, title: str) -> BotMessage:
    """/admin → ⚙ → 🎚 Administrar canales → the channel titled ``title``."""
    await chat.send("/admin")
    await chat.press("⚙ Configuración Global")
    await chat.press("🎚 Administrar canales")
    await chat.press(label_starting(chat.last, "", ending=f" {title}"))
    return chat.last


def label_starting(message: BotMessage, prefix: str, *, ending: str = "") -> str:
    """The one button label of ``message`` with this prefix (and ending)."""
    found = [
        label for label in message.labels if label.startswith(prefix) and label.endswith(ending)
    ]
    assert len(found) == 1, (prefix, ending, message.labels)
    return found[0]


# -- seeding -------------------------------------------------------------------------------


async def seed_channel(diana: Diana, chat: KnownChat, kind: str = "vip") -> Channel:
    """A registered channel, as if an admin had registered it earlier."""
    return await diana.container.channels.register(chat.id, chat.title or "", kind, ADMIN)


async def seed_tariff(
    diana: Diana, channel: Channel, name: str = "Oro", price: str = "10", days: int = 30
) -> Tariff:
    return await diana.container.tariffs.create(channel.id, name, Decimal(price), days)


# -- snapshots -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """An open session as stored: enough to say "nothing changed"."""

    id: str
    session_type: str
    step: str | None
    data: dict[str, Any]
    version: int


async def session_of(diana: Diana, user_id: int = ADMIN) -> Snapshot | None:
    """The open session of ``user_id`` (None when none is open)."""
    sessions = await diana.open_sessions(user_id)
    assert len(sessions) <= 1, sessions
    if not sessions:
        return None
    s = sessions[0]
    return Snapshot(s.id, s.session_type, s.step, dict(s.data), s.version)


async def step_of(diana: Diana, user_id: int = ADMIN) -> tuple[str, str | None] | None:
    """``(session type, step)`` of the open session of ``user_id``."""
    session = await session_of(diana, user_id)
    return None if session is None else (session.session_type, session.step)
