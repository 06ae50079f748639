"""TariffService on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from aiogram_durable import FakeClock
from diana_bot.db.engine import create_sessionmaker
from diana_bot.db.models import TariffRow
from diana_bot.domain import (
    Channel,
    ChannelService,
    FieldValue,
    NoActiveVipChannel,
    NotFound,
    Tariff,
    TariffInactive,
    TariffService,
    TariffVersionConflict,
    ValidationError,
)
from diana_bot.texts import translator_for

ADMIN = 42


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def channels(sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock) -> ChannelService:
    return ChannelService(sessionmaker, clock)


@pytest.fixture
def tariffs(sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock) -> TariffService:
    return TariffService(sessionmaker, clock)


@pytest.fixture
async def vip(channels: ChannelService) -> Channel:
    return await channels.register(-1001111111111, "VIP", "vip", ADMIN)


async def _count_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(TariffRow)) or 0)


async def test_create_parses_raw_text(
    tariffs: TariffService, vip: Channel, clock: FakeClock
) -> None:
    tariff = await tariffs.create(vip.id, "  VIP   mensual ", "$29,99", "1 mes", " - ")

    assert tariff == Tariff(
        id=tariff.id,
        channel_id=vip.id,
        name="VIP mensual",
        price=Decimal("29.99"),
        currency="USD",
        duration_days=30,
        description=None,
        is_active=True,
        created_at=clock.now(),
        updated_at=clock.now(),
        version=1,
    )
    assert await tariffs.get(tariff.id) == tariff


async def test_create_accepts_typed_values(tariffs: TariffService, vip: Channel) -> None:
    tariff = await tariffs.create(vip.id, "Semanal", Decimal("10"), 7, "Línea 1\nLínea 2")

    stored = await tariffs.get(tariff.id)
    assert str(stored.price) == "10.00"
    assert stored.duration_days == 7
    assert stored.description == "Línea 1\nLínea 2"
    assert stored.created_at.tzinfo is UTC


@pytest.mark.parametrize("price", ["0", "0.01", "99999.99", "100000"])
async def test_prices_are_stored_exactly(tariffs: TariffService, vip: Channel, price: str) -> None:
    tariff = await tariffs.create(vip.id, "Plan", price, 30)

    assert (await tariffs.get(tariff.id)).price == Decimal(price)


@pytest.mark.parametrize(
    ("name", "price", "duration", "code"),
    [
        ("", "10", 30, "name.empty"),
        ("Plan", "10.999", 30, "price.ambiguous_separator"),
        ("Plan", Decimal("1.001"), 30, "price.too_many_decimals"),
        ("Plan", Decimal("NaN"), 30, "price.invalid"),
        ("Plan", -1, 30, "price.negative"),
        ("Plan", 10.5, 30, "value.wrong_type"),  # a float must never become a price
        ("Plan", "10", 0, "duration.too_short"),
        ("Plan", "10", 3651, "duration.too_long"),
        ("Plan", "10", True, "value.wrong_type"),
        ("Plan", "10", "2 quincenas", "duration.unknown_unit"),
    ],
)
async def test_create_rejects_invalid_values_and_stores_nothing(
    tariffs: TariffService,
    vip: Channel,
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
    price: object,
    duration: object,
    code: str,
) -> None:
    with pytest.raises(ValidationError) as info:
        await tariffs.create(vip.id, name, price, duration)  # type: ignore[arg-type]

    assert info.value.code == code
    assert await _count_rows(sessionmaker) == 0


async def test_create_on_a_missing_channel_is_not_found(tariffs: TariffService) -> None:
    with pytest.raises(NotFound) as info:
        await tariffs.create(404, "Plan", "10", 30)

    assert info.value.code == "channel.not_found"


async def test_create_on_a_free_channel_is_refused(
    tariffs: TariffService, channels: ChannelService
) -> None:
    free = await channels.register(-1002222222222, "Free", "free", ADMIN)

    with pytest.raises(NoActiveVipChannel) as info:
        await tariffs.create(free.id, "Plan", "10", 30)

    assert info.value.code == "channel.not_vip"
    assert str(free.id) in translator_for("es").error(info.value)


async def test_create_on_an_inactive_channel_is_refused(
    tariffs: TariffService, channels: ChannelService, vip: Channel
) -> None:
    await channels.deactivate(vip.id)

    with pytest.raises(NoActiveVipChannel) as info:
        await tariffs.create(vip.id, "Plan", "10", 30)

    assert info.value.code == "channel.inactive"


async def test_same_idempotency_key_returns_the_first_tariff(
    tariffs: TariffService, vip: Channel, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await tariffs.create(vip.id, "Plan", "10", 30, idempotency_key="s1")

    again = await tariffs.create(vip.id, "Plan", "10", 30, idempotency_key="s1")

    assert again == first
    assert await _count_rows(sessionmaker) == 1


async def test_a_retry_after_the_channel_was_deactivated_still_returns_the_tariff(
    tariffs: TariffService, channels: ChannelService, vip: Channel
) -> None:
    first = await tariffs.create(vip.id, "Plan", "10", 30, idempotency_key="s1")
    await channels.deactivate(vip.id)

    assert await tariffs.create(vip.id, "Plan", "10", 30, idempotency_key="s1") == first


async def test_concurrent_creates_with_one_key_store_one_row(
    tariffs: TariffService, vip: Channel, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    results = await asyncio.gather(
        *(tariffs.create(vip.id, "Plan", "10", 30, idempotency_key="s1") for _ in range(4))
    )

    assert len({tariff.id for tariff in results}) == 1
    assert await _count_rows(sessionmaker) == 1


async def test_a_key_reused_for_another_channel_is_rejected(
    tariffs: TariffService, channels: ChannelService, vip: Channel
) -> None:
    other = await channels.register(-1003333333333, "VIP 2", "vip", ADMIN)
    await tariffs.create(vip.id, "Plan", "10", 30, idempotency_key="s1")

    with pytest.raises(ValidationError) as info:
        await tariffs.create(other.id, "Plan", "10", 30, idempotency_key="s1")

    assert info.value.code == "idempotency_key.reused"
    assert await tariffs.list_active(other.id) == []


async def test_get_missing_tariff_is_not_found(tariffs: TariffService) -> None:
    with pytest.raises(NotFound) as info:
        await tariffs.get(777)

    assert info.value.code == "tariff.not_found"


async def test_list_active_filters_by_channel_and_activity(
    tariffs: TariffService, channels: ChannelService, vip: Channel
) -> None:
    other = await channels.register(-1003333333333, "VIP 2", "vip", ADMIN)
    monthly = await tariffs.create(vip.id, "Mensual", "10", 30)
    yearly = await tariffs.create(vip.id, "Anual", "100", 365)
    elsewhere = await tariffs.create(other.id, "Otro", "5", 7)
    retired = await tariffs.create(vip.id, "Viejo", "1", 1)
    await tariffs.deactivate(retired.id)

    assert await tariffs.list_active() == [monthly, yearly, elsewhere]
    assert await tariffs.list_active(vip.id) == [monthly, yearly]

    # A deactivated channel sells nothing, whatever its tariffs say.
    await channels.deactivate(other.id)
    assert await tariffs.list_active() == [monthly, yearly]
    assert await tariffs.list_active(other.id) == []


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("price", "35,50", Decimal("35.50")),
        ("price", Decimal("12"), Decimal("12.00")),
        ("price", 0, Decimal("0.00")),
        ("duration_days", "2 semanas", 14),
        ("duration_days", 90, 90),
        ("name", "  Plan   anual ", "Plan anual"),
        ("description", "Acceso\ncompleto", "Acceso\ncompleto"),
        ("description", "-", None),
        ("description", None, None),
    ],
)
async def test_update_field_changes_only_that_field(
    tariffs: TariffService,
    vip: Channel,
    clock: FakeClock,
    field: str,
    value: FieldValue,
    expected: object,
) -> None:
    before = await tariffs.create(vip.id, "Plan", "10", 30, "Texto")
    clock.advance(60)

    after = await tariffs.update_field(before.id, field, value)

    assert getattr(after, field) == expected
    assert after.version == 2
    assert after.updated_at == clock.now()
    assert after.created_at == before.created_at
    untouched = {"price", "duration_days", "name", "description"} - {field}
    assert {f: getattr(after, f) for f in untouched} == {f: getattr(before, f) for f in untouched}
    assert await tariffs.get(before.id) == after


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("price", "-3", "price.negative"),
        ("price", None, "value.wrong_type"),
        ("duration_days", "0", "duration.too_short"),
        ("name", "", "name.empty"),
        ("name", 5, "value.wrong_type"),
        ("description", "x" * 501, "description.too_long"),
        ("channel_id", "2", "tariff.unknown_field"),
        ("version", 99, "tariff.unknown_field"),
    ],
)
async def test_update_field_rejects_bad_input_and_keeps_the_tariff(
    tariffs: TariffService, vip: Channel, field: str, value: FieldValue, code: str
) -> None:
    before = await tariffs.create(vip.id, "Plan", "10", 30)

    with pytest.raises(ValidationError) as info:
        await tariffs.update_field(before.id, field, value)

    assert info.value.code == code
    assert await tariffs.get(before.id) == before


async def test_update_missing_tariff_is_not_found(tariffs: TariffService) -> None:
    with pytest.raises(NotFound):
        await tariffs.update_field(404, "name", "Plan")


async def test_update_inactive_tariff_is_refused(tariffs: TariffService, vip: Channel) -> None:
    tariff = await tariffs.create(vip.id, "Plan", "10", 30)
    await tariffs.deactivate(tariff.id)

    with pytest.raises(TariffInactive) as info:
        await tariffs.update_field(tariff.id, "name", "Nuevo", expected_version=1)

    assert info.value.code == "tariff.inactive"
    assert (await tariffs.get(tariff.id)).name == "Plan"


async def test_stale_expected_version_is_a_conflict(tariffs: TariffService, vip: Channel) -> None:
    tariff = await tariffs.create(vip.id, "Plan", "10", 30)
    updated = await tariffs.update_field(tariff.id, "price", "20", expected_version=1)

    with pytest.raises(TariffVersionConflict) as info:
        await tariffs.update_field(tariff.id, "price", "30", expected_version=1)

    assert info.value.current == updated
    assert info.value.params == {"tariff_id": tariff.id, "expected": 1, "actual": 2}
    assert await tariffs.get(tariff.id) == updated
    # The current version works.
    final = await tariffs.update_field(tariff.id, "price", "30", expected_version=2)
    assert (final.price, final.version) == (Decimal("30.00"), 3)


async def test_concurrent_edits_of_one_version_let_exactly_one_win(
    tariffs: TariffService, vip: Channel
) -> None:
    tariff = await tariffs.create(vip.id, "Plan", "10", 30)

    results = await asyncio.gather(
        *(
            tariffs.update_field(tariff.id, "price", str(price), expected_version=1)
            for price in (11, 12, 13)
        ),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, Tariff)]
    conflicts = [r for r in results if isinstance(r, TariffVersionConflict)]
    assert len(winners) == 1
    assert len(conflicts) == 2
    stored = await tariffs.get(tariff.id)
    assert stored == winners[0]
    assert stored.version == 2


async def test_edits_without_expected_version_all_apply(
    tariffs: TariffService, vip: Channel
) -> None:
    tariff = await tariffs.create(vip.id, "Plan", "10", 30)

    await asyncio.gather(*(tariffs.update_field(tariff.id, "name", f"N{i}") for i in range(3)))

    assert (await tariffs.get(tariff.id)).version == 4


async def test_deactivate_bumps_the_version_once(
    tariffs: TariffService, vip: Channel, clock: FakeClock
) -> None:
    tariff = await tariffs.create(vip.id, "Plan", "10", 30)
    clock.advance(5)

    deactivated = await tariffs.deactivate(tariff.id)
    again = await tariffs.deactivate(tariff.id)

    assert deactivated.is_active is False
    assert deactivated.version == 2
    assert deactivated.updated_at == clock.now()
    assert again == deactivated
    assert await tariffs.list_active() == []


async def test_deactivate_missing_tariff_is_not_found(tariffs: TariffService) -> None:
    with pytest.raises(NotFound):
        await tariffs.deactivate(404)


@pytest.mark.parametrize("forged", [0, -1, 2**63, 2**64 + 5, 10**30])
async def test_ids_no_row_can_have_are_not_found_and_change_nothing(
    tariffs: TariffService,
    channels: ChannelService,
    vip: Channel,
    sessionmaker: async_sessionmaker[AsyncSession],
    forged: int,
) -> None:
    # Button data is forgeable: an id past 64 bits must not reach the driver.
    tariff = await tariffs.create(vip.id, "Mensual", "10", "30")
    with pytest.raises(NotFound):
        await tariffs.get(forged)
    with pytest.raises(NotFound):
        await tariffs.update_field(forged, "name", "X")
    with pytest.raises(NotFound):
        await tariffs.deactivate(forged)
    with pytest.raises(NotFound):
        await tariffs.create(forged, "Otra", "10", "30")
    with pytest.raises(NotFound):
        await channels.get(forged)
    with pytest.raises(NotFound):
        await channels.deactivate(forged)
    assert await tariffs.list_active() == [tariff]
    assert [c.id for c in await channels.list()] == [vip.id]
    assert await _count_rows(sessionmaker) == 1
