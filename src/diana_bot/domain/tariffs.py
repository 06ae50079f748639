"""Tariffs: what a VIP channel sells (price, duration), with optimistic versioning."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram_durable import Clock
from diana_bot.db.channels import ChannelRepository
from diana_bot.db.errors import ConstraintViolation
from diana_bot.db.records import Tariff, TariffField
from diana_bot.db.unit_of_work import SessionFactory, UnitOfWork
from diana_bot.domain.errors import (
    NoActiveVipChannel,
    NotFound,
    TariffInactive,
    TariffVersionConflict,
    ValidationError,
)
from diana_bot.domain.ids import check_idempotency_key, is_row_id
from diana_bot.domain.parsing import (
    CURRENCY,
    check_duration,
    check_price,
    parse_description,
    parse_duration,
    parse_name,
    parse_price,
)

EDITABLE_FIELDS: tuple[TariffField, ...] = ("price", "duration_days", "name", "description")
# What update_field() accepts: the admin's raw text, or an already-typed value.
FieldValue = str | Decimal | int | None


class TariffService:
    """Creates, lists, edits and deactivates tariffs; one unit of work per call."""

    def __init__(self, sessionmaker: SessionFactory, clock: Clock) -> None:
        self._sessions = sessionmaker
        self._clock = clock

    async def create(
        self,
        channel_id: int,
        name: str,
        price: Decimal | int | str,
        duration_days: int | str,
        description: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Tariff:
        """Create a tariff on an active VIP channel.

        Values may be raw admin text or already parsed; both go through the parsers' rules.

        Args:
            channel_id: The channel's id (not its Telegram chat id).
            name: Display name.
            price: Price in USD.
            duration_days: Days, or text such as ``"3 meses"``.
            description: Optional text; ``"-"`` or blank means none.
            idempotency_key: Retrying with the same key returns the tariff the first
                attempt created, even when both attempts run at the same time.

        Raises:
            ValidationError: A value breaks the rules, or the key was used for another
                channel.
            NotFound: ``channel.not_found``.
            NoActiveVipChannel: The channel is deactivated or not a VIP channel.
        """
        checked_name = _coerce("name", name)
        checked_price = _coerce("price", price)
        checked_duration = _coerce("duration_days", duration_days)
        checked_description = _coerce("description", description)
        check_idempotency_key(idempotency_key)
        try:
            async with UnitOfWork(self._sessions) as uow:
                if idempotency_key is not None:
                    existing = await uow.tariffs.by_idempotency_key(idempotency_key)
                    if existing is not None:
                        return _resolve_existing(existing, channel_id)
                await _check_channel(uow.channels, channel_id)
                tariff = await uow.tariffs.add(
                    channel_id=channel_id,
                    name=checked_name,
                    price=checked_price,
                    currency=CURRENCY,
                    duration_days=checked_duration,
                    description=checked_description,
                    created_at=self._clock.now(),
                    idempotency_key=idempotency_key,
                )
                await uow.commit()
                return tariff
        except ConstraintViolation:
            # Only the unique idempotency key can clash (the channel was checked in this
            # transaction and channels are never deleted): a concurrent create() with the
            # same key won. Return its tariff, which is committed by now.
            if idempotency_key is None:
                raise
            async with UnitOfWork(self._sessions) as uow:
                existing = await uow.tariffs.by_idempotency_key(idempotency_key)
            if existing is None:
                raise
            return _resolve_existing(existing, channel_id)

    async def get(self, tariff_id: int) -> Tariff:
        """The tariff with this id, active or not.

        Raises:
            NotFound: ``tariff.not_found``.
        """
        tariff = None
        if is_row_id(tariff_id):
            async with UnitOfWork(self._sessions) as uow:
                tariff = await uow.tariffs.get(tariff_id)
        if tariff is None:
            raise NotFound("tariff.not_found", tariff_id=tariff_id)
        return tariff

    async def list_active(self, channel_id: int | None = None) -> list[Tariff]:
        """Active tariffs of active channels, oldest first, optionally for one channel."""
        async with UnitOfWork(self._sessions) as uow:
            return await uow.tariffs.list_active(channel_id)

    async def update_field(
        self,
        tariff_id: int,
        field: str,
        value: FieldValue,
        *,
        expected_version: int | None = None,
    ) -> Tariff:
        """Change one field of an active tariff, bumping its version and ``updated_at``.

        Args:
            tariff_id: The tariff.
            field: One of ``price``, ``duration_days``, ``name``, ``description``.
            value: The admin's raw text (parsed with the field's parser) or a typed value.
            expected_version: The version the admin saw. When given, the update only
                applies if nobody changed the tariff since (checked in the UPDATE itself,
                so two concurrent edits cannot both win).

        Raises:
            ValidationError: Unknown field or invalid value.
            NotFound: ``tariff.not_found``.
            TariffInactive: The tariff was deactivated.
            TariffVersionConflict: The stored version is not ``expected_version``;
                ``.current`` holds the stored tariff.
        """
        if field not in EDITABLE_FIELDS:
            raise ValidationError("tariff.unknown_field", field=field)
        new_value = _coerce(field, value)
        if not is_row_id(tariff_id):
            raise NotFound("tariff.not_found", tariff_id=tariff_id)
        async with UnitOfWork(self._sessions) as uow:
            updated = await uow.tariffs.update_field(
                tariff_id,
                field,
                new_value,
                updated_at=self._clock.now(),
                expected_version=expected_version,
            )
            if updated is not None:
                await uow.commit()
                return updated
            current = await uow.tariffs.get(tariff_id)
        if current is None:
            raise NotFound("tariff.not_found", tariff_id=tariff_id)
        if not current.is_active:
            raise TariffInactive("tariff.inactive", tariff_id=tariff_id)
        raise TariffVersionConflict(
            expected=current.version if expected_version is None else expected_version,
            current=current,
        )

    async def deactivate(self, tariff_id: int) -> Tariff:
        """Deactivate a tariff (bumps its version). Repeating it is a no-op.

        Raises:
            NotFound: ``tariff.not_found``.
        """
        if not is_row_id(tariff_id):
            raise NotFound("tariff.not_found", tariff_id=tariff_id)
        async with UnitOfWork(self._sessions) as uow:
            tariff = await uow.tariffs.deactivate(tariff_id, updated_at=self._clock.now())
            if tariff is None:
                # Deactivated already (a no-op), or no such tariff.
                tariff = await uow.tariffs.get(tariff_id)
            if tariff is None:
                raise NotFound("tariff.not_found", tariff_id=tariff_id)
            await uow.commit()
            return tariff


def _coerce(field: str, value: object) -> Any:
    # Strings are admin text and go through the parser; typed values are re-checked
    # against the same ranges. Anything else (a float above all) is refused.
    if field == "price":
        if isinstance(value, str):
            return parse_price(value)
        if isinstance(value, Decimal):
            return check_price(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return check_price(Decimal(value))
    elif field == "duration_days":
        if isinstance(value, str):
            return parse_duration(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return check_duration(value)
    elif field == "name":
        if isinstance(value, str):
            return parse_name(value)
    elif field == "description":
        if value is None:
            return None
        if isinstance(value, str):
            return parse_description(value)
    raise ValidationError("value.wrong_type", field=field, type=type(value).__name__)


def _resolve_existing(existing: Tariff, channel_id: int) -> Tariff:
    if existing.channel_id != channel_id:
        raise ValidationError("idempotency_key.reused")
    return existing


async def _check_channel(channels: ChannelRepository, channel_id: int) -> None:
    channel = await channels.get(channel_id) if is_row_id(channel_id) else None
    if channel is None:
        raise NotFound("channel.not_found", channel_id=channel_id)
    if not channel.is_active:
        raise NoActiveVipChannel("channel.inactive", channel_id=channel_id)
    if channel.kind != "vip":
        raise NoActiveVipChannel("channel.not_vip", channel_id=channel_id)


__all__ = ["EDITABLE_FIELDS", "FieldValue", "Tariff", "TariffField", "TariffService"]
