"""Repositories and the unit of work on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from diana_bot.db.engine import create_sessionmaker
from diana_bot.db.errors import ConstraintViolation
from diana_bot.db.records import Channel, Tariff
from diana_bot.db.unit_of_work import SessionFactory, UnitOfWork

CHAT = -1001234567890
ADMIN = 42
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return create_sessionmaker(engine)


async def _add_channel(uow: UnitOfWork, chat_id: int = CHAT, key: str | None = None) -> Channel:
    return await uow.channels.add(
        chat_id=chat_id,
        title="VIP",
        kind="vip",
        registered_by=ADMIN,
        registered_at=AT,
        idempotency_key=key,
    )


async def _add_tariff(uow: UnitOfWork, channel_id: int, key: str | None = None) -> Tariff:
    return await uow.tariffs.add(
        channel_id=channel_id,
        name="Mensual",
        price=Decimal("9.90"),
        currency="USD",
        duration_days=30,
        description=None,
        created_at=AT,
        idempotency_key=key,
    )


async def test_leaving_without_commit_writes_nothing(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        await _add_channel(uow)

    async with UnitOfWork(sessions) as uow:
        assert await uow.channels.by_chat_id(CHAT) is None


async def test_a_unit_of_work_commits_once_and_hands_out_frozen_records(
    sessions: SessionFactory,
) -> None:
    async with UnitOfWork(sessions) as uow:
        channel = await _add_channel(uow)
        await uow.commit()
        with pytest.raises(RuntimeError, match="commits once"):
            await uow.commit()

    with pytest.raises(dataclasses.FrozenInstanceError):
        channel.title = "other"  # type: ignore[misc]
    async with UnitOfWork(sessions) as uow:
        assert await uow.channels.get(channel.id) == channel


async def test_times_are_stored_in_utc_whatever_the_zone(sessions: SessionFactory) -> None:
    plus_two = timezone(timedelta(hours=2))
    async with UnitOfWork(sessions) as uow:
        channel = await uow.channels.add(
            chat_id=CHAT,
            title="VIP",
            kind="vip",
            registered_by=ADMIN,
            registered_at=datetime(2026, 3, 1, 14, 0, tzinfo=plus_two),
            idempotency_key=None,
        )
        await uow.commit()

    async with UnitOfWork(sessions) as uow:
        stored = await uow.channels.get(channel.id)
    assert stored is not None and stored.registered_at == AT
    assert stored.registered_at.tzinfo is UTC


async def test_a_taken_chat_is_a_constraint_violation(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        await _add_channel(uow, key="first")
        await uow.commit()

    async with UnitOfWork(sessions) as uow:
        with pytest.raises(ConstraintViolation) as info:
            await _add_channel(uow)
    assert isinstance(info.value.__cause__, IntegrityError)

    async with UnitOfWork(sessions) as uow:
        found = await uow.channels.find_registration(CHAT, None)
        by_key = await uow.channels.find_registration(-100999, "first")
    assert found is not None and found.idempotency_key == "first"
    assert by_key is not None and by_key.channel == found.channel


async def test_find_filters_by_activity_and_kind(sessions: SessionFactory) -> None:
    async with UnitOfWork(sessions) as uow:
        vip = await _add_channel(uow)
        free = await uow.channels.add(
            chat_id=CHAT - 1,
            title="Free",
            kind="free",
            registered_by=ADMIN,
            registered_at=AT,
            idempotency_key=None,
        )
        gone = await uow.channels.deactivate(vip.id)
        await uow.commit()

    async with UnitOfWork(sessions) as uow:
        assert await uow.channels.find(active_only=False, kind=None) == [gone, free]
        assert await uow.channels.find(active_only=True, kind=None) == [free]
        assert await uow.channels.find(active_only=False, kind="vip") == [gone]
        assert await uow.channels.deactivate(10**6) is None
    assert gone is not None and not gone.is_active


async def test_tariff_changes_are_conditional_on_version_and_activity(
    sessions: SessionFactory,
) -> None:
    later = AT + timedelta(minutes=5)
    async with UnitOfWork(sessions) as uow:
        channel = await _add_channel(uow)
        tariff = await _add_tariff(uow, channel.id, key="k1")
        await uow.commit()
    assert (tariff.version, tariff.price, tariff.updated_at) == (1, Decimal("9.90"), AT)

    async with UnitOfWork(sessions) as uow:
        stale = await uow.tariffs.update_field(
            tariff.id, "name", "Anual", updated_at=later, expected_version=7
        )
        edited = await uow.tariffs.update_field(
            tariff.id, "name", "Anual", updated_at=later, expected_version=1
        )
        await uow.commit()
    assert stale is None
    assert edited is not None
    assert (edited.name, edited.version, edited.updated_at) == ("Anual", 2, later)

    async with UnitOfWork(sessions) as uow:
        off = await uow.tariffs.deactivate(tariff.id, updated_at=later)
        again = await uow.tariffs.deactivate(tariff.id, updated_at=later)
        not_edited = await uow.tariffs.update_field(
            tariff.id, "name", "X", updated_at=later, expected_version=None
        )
        await uow.commit()
    assert off is not None and (off.is_active, off.version) == (False, 3)
    assert again is None and not_edited is None

    async with UnitOfWork(sessions) as uow:
        assert await uow.tariffs.by_idempotency_key("k1") == off
        assert await uow.tariffs.list_active() == []
