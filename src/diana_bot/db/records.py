"""What the repositories hand out: frozen snapshots of stored channels and tariffs.

No ORM row leaves the data-access layer; a record stays valid after the unit of work that
read it has ended. The domain re-exports these classes as its own vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

ChannelKind = Literal["vip", "free"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = ("vip", "free")
# The tariff columns an admin may change one at a time.
TariffField = Literal["price", "duration_days", "name", "description"]


@dataclass(frozen=True, slots=True)
class Channel:
    """A registered Telegram channel.

    Attributes:
        id: Our id for the channel.
        chat_id: Telegram's chat id (``-100…``).
        title: The channel title when it was registered.
        kind: ``"vip"`` channels have tariffs; ``"free"`` ones do not.
        is_active: False once deactivated; a deactivated channel sells nothing.
        registered_by: Telegram user id of the admin who registered it.
        registered_at: Aware UTC time of registration.
    """

    id: int
    chat_id: int
    title: str
    kind: ChannelKind
    is_active: bool
    registered_by: int
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class Tariff:
    """A price and a duration of access to one VIP channel.

    Attributes:
        id: Our id for the tariff.
        channel_id: The VIP channel it grants access to.
        name: Display name, 1 to 100 characters.
        price: Exact amount, two decimals, 0 to 100000.00.
        currency: Always ``"USD"`` for now.
        duration_days: Length of access, 1 to 3650 days.
        description: Optional text shown to buyers, at most 500 characters.
        is_active: False once deactivated.
        created_at: Aware UTC creation time.
        updated_at: Aware UTC time of the last change.
        version: Starts at 1 and grows with every change; pass it back as
            ``expected_version`` to detect concurrent edits.
    """

    id: int
    channel_id: int
    name: str
    price: Decimal
    currency: str
    duration_days: int
    description: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    version: int


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime. Times are written in UTC because SQLite drops the zone,
    and read back through this because it hands them back naive."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


__all__ = ["CHANNEL_KINDS", "Channel", "ChannelKind", "Tariff", "TariffField", "as_utc"]
