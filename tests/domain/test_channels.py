"""ChannelService on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from aiogram_durable import FakeClock
from diana_bot.db.engine import create_sessionmaker
from diana_bot.domain import (
    Channel,
    ChannelAlreadyRegistered,
    ChannelService,
    NotFound,
    ValidationError,
)
from diana_bot.texts import translator_for

CHAT = -1001234567890
OTHER_CHAT = -1009876543210
ADMIN = 42


@pytest.fixture
def channels(engine: AsyncEngine, clock: FakeClock) -> ChannelService:
    return ChannelService(create_sessionmaker(engine), clock)


async def test_register_returns_the_stored_channel(
    channels: ChannelService, clock: FakeClock
) -> None:
    clock.advance(0.123456)  # microseconds must survive both backends
    channel = await channels.register(CHAT, "  Canal VIP  ", "vip", ADMIN)

    assert channel == Channel(
        id=channel.id,
        chat_id=CHAT,
        title="Canal VIP",
        kind="vip",
        is_active=True,
        registered_by=ADMIN,
        registered_at=clock.now(),
    )
    assert await channels.get(channel.id) == channel
    assert await channels.get_by_chat_id(CHAT) == channel


async def test_timestamps_come_back_as_aware_utc(engine: AsyncEngine) -> None:
    # A clock in another zone still stores the same instant, read back as UTC.
    plus_two = timezone(timedelta(hours=2))
    service = ChannelService(
        create_sessionmaker(engine), FakeClock(datetime(2026, 3, 1, 14, 0, tzinfo=plus_two))
    )
    await service.register(CHAT, "Canal", "vip", ADMIN)

    stored = await service.get_by_chat_id(CHAT)

    assert stored is not None
    assert stored.registered_at.tzinfo is UTC
    assert stored.registered_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_title_is_cut_to_255_characters(channels: ChannelService) -> None:
    channel = await channels.register(CHAT, "T" * 300, "free", ADMIN)

    assert channel.title == "T" * 255
    assert (await channels.get(channel.id)).title == "T" * 255


@pytest.mark.parametrize(
    ("title", "kind", "key", "code"),
    [
        ("   ", "vip", None, "channel.title_empty"),
        ("Canal", "premium", None, "channel.kind_invalid"),
        ("Canal", "vip", "", "idempotency_key.invalid"),
        ("Canal", "vip", "k" * 65, "idempotency_key.invalid"),
    ],
)
async def test_register_rejects_bad_input_and_stores_nothing(
    channels: ChannelService, title: str, kind: str, key: str | None, code: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await channels.register(CHAT, title, kind, ADMIN, idempotency_key=key)

    assert info.value.code == code
    assert await channels.get_by_chat_id(CHAT) is None


async def test_registering_a_chat_twice_is_a_domain_error(channels: ChannelService) -> None:
    first = await channels.register(CHAT, "Canal", "vip", ADMIN)

    with pytest.raises(ChannelAlreadyRegistered) as info:
        await channels.register(CHAT, "Otro título", "free", ADMIN + 1)

    assert info.value.code == "channel.already_registered"
    assert info.value.existing_id == first.id
    assert str(first.id) in translator_for("es").error(info.value)
    assert await channels.list(active_only=False) == [first]


async def test_same_idempotency_key_returns_the_first_registration(
    channels: ChannelService,
) -> None:
    first = await channels.register(CHAT, "Canal", "vip", ADMIN, idempotency_key="reg-1")

    again = await channels.register(CHAT, "Canal", "vip", ADMIN, idempotency_key="reg-1")

    assert again == first
    assert await channels.list(active_only=False) == [first]


async def test_a_different_key_for_a_registered_chat_is_still_a_duplicate(
    channels: ChannelService,
) -> None:
    await channels.register(CHAT, "Canal", "vip", ADMIN, idempotency_key="reg-1")

    with pytest.raises(ChannelAlreadyRegistered):
        await channels.register(CHAT, "Canal", "vip", ADMIN, idempotency_key="reg-2")
    with pytest.raises(ChannelAlreadyRegistered):
        await channels.register(CHAT, "Canal", "vip", ADMIN)


async def test_a_key_reused_for_another_chat_is_rejected(channels: ChannelService) -> None:
    await channels.register(CHAT, "Canal", "vip", ADMIN, idempotency_key="reg-1")

    with pytest.raises(ValidationError) as info:
        await channels.register(OTHER_CHAT, "Otro", "vip", ADMIN, idempotency_key="reg-1")

    assert info.value.code == "idempotency_key.reused"
    assert await channels.get_by_chat_id(OTHER_CHAT) is None


async def test_concurrent_registrations_with_one_key_store_one_channel(
    channels: ChannelService,
) -> None:
    results = await asyncio.gather(
        *(channels.register(CHAT, "Canal", "vip", ADMIN, idempotency_key="reg-1") for _ in range(4))
    )

    assert len({channel.id for channel in results}) == 1
    assert await channels.list(active_only=False) == [results[0]]


async def test_concurrent_registrations_without_key_let_exactly_one_win(
    channels: ChannelService,
) -> None:
    results = await asyncio.gather(
        channels.register(CHAT, "Canal", "vip", ADMIN),
        channels.register(CHAT, "Canal", "vip", ADMIN),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, Channel)]
    losers = [r for r in results if isinstance(r, ChannelAlreadyRegistered)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert losers[0].existing_id == winners[0].id


async def test_get_missing_channel_raises_not_found(channels: ChannelService) -> None:
    with pytest.raises(NotFound) as info:
        await channels.get(999)

    assert info.value.code == "channel.not_found"
    assert info.value.params == {"channel_id": 999}
    assert await channels.get_by_chat_id(CHAT) is None


async def test_list_filters_by_activity_and_kind(channels: ChannelService) -> None:
    vip = await channels.register(CHAT, "VIP", "vip", ADMIN)
    free = await channels.register(OTHER_CHAT, "Free", "free", ADMIN)
    old = await channels.register(-1005555555555, "Old VIP", "vip", ADMIN)
    old = await channels.deactivate(old.id)

    assert await channels.list() == [vip, free]
    assert await channels.list(active_only=False) == [vip, free, old]
    assert await channels.list(kind="vip") == [vip]
    assert await channels.list(active_only=False, kind="vip") == [vip, old]
    assert await channels.list(kind="free") == [free]
    with pytest.raises(ValidationError) as info:
        await channels.list(kind="paid")
    assert info.value.code == "channel.kind_invalid"


async def test_deactivate_is_stored_and_repeatable(channels: ChannelService) -> None:
    channel = await channels.register(CHAT, "Canal", "vip", ADMIN)

    deactivated = await channels.deactivate(channel.id)
    again = await channels.deactivate(channel.id)

    assert deactivated.is_active is False
    assert again == deactivated
    assert await channels.get(channel.id) == deactivated
    assert await channels.list() == []


async def test_deactivate_missing_channel_raises_not_found(channels: ChannelService) -> None:
    with pytest.raises(NotFound):
        await channels.deactivate(12345)


async def test_a_deactivated_chat_cannot_be_registered_again(channels: ChannelService) -> None:
    channel = await channels.register(CHAT, "Canal", "vip", ADMIN)
    await channels.deactivate(channel.id)

    with pytest.raises(ChannelAlreadyRegistered) as info:
        await channels.register(CHAT, "Canal", "vip", ADMIN)

    assert info.value.params["is_active"] is False
