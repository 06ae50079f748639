"""Tariffs: what a VIP channel sells (price, duration), with optimistic versioning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aiogram_durable import Clock
from diana_bot.db.models import ChannelRow, TariffRow
from diana_bot.domain.channels import as_utc, check_idempotency_key
from diana_bot.domain.errors import (
    NoActiveVipChannel,
    NotFound,
    TariffInactive,
    TariffVersionConflict,
    ValidationError,
)
from diana_bot.domain.ids import is_row_id
from diana_bot.domain.parsing import (
    CURRENCY,
    check_duration,
    check_price,
    parse_description,
    parse_duration,
    parse_name,
    parse_price,
)

TariffField = Literal["price", "duration_days", "name", "description"]
EDITABLE_FIELDS: tuple[TariffField, ...] = ("price", "duration_days", "name", "description")
# What update_field() accepts: the admin's raw text, or an already-typed value.
FieldValue = str | Decimal | int | None

_CENT = Decimal("0.01")


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


class TariffService:
    """Creates, lists, edits and deactivates tariffs; one transaction per call."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
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
        values = {
            "name": _coerce("name", name),
            "price": _coerce("price", price),
            "duration_days": _coerce("duration_days", duration_days),
            "description": _coerce("description", description),
        }
        check_idempotency_key(idempotency_key)
        try:
            async with self._sessionmaker() as session, session.begin():
                if idempotency_key is not None:
                    existing = await _by_key(session, idempotency_key)
                    if existing is not None:
                        return _resolve_existing(existing, channel_id)
                await _check_channel(session, channel_id)
                now = self._clock.now().astimezone(UTC)
                row = TariffRow(
                    channel_id=channel_id,
                    currency=CURRENCY,
                    is_active=True,
                    created_at=now,
                    updated_at=now,
                    version=1,
                    idempotency_key=idempotency_key,
                    **values,
                )
                session.add(row)
                await session.flush()
                return _to_dto(row)
        except IntegrityError:
            # Only the unique idempotency key can clash (the channel was checked in this
            # transaction and channels are never deleted): a concurrent create() with the
            # same key won. Return its tariff, which is committed by now.
            if idempotency_key is None:
                raise
            async with self._sessionmaker() as session:
                existing = await _by_key(session, idempotency_key)
            if existing is None:
                raise
            return _resolve_existing(existing, channel_id)

    async def get(self, tariff_id: int) -> Tariff:
        """The tariff with this id, active or not.

        Raises:
            NotFound: ``tariff.not_found``.
        """
        if not is_row_id(tariff_id):
            raise NotFound("tariff.not_found", tariff_id=tariff_id)
        async with self._sessionmaker() as session:
            row = await session.get(TariffRow, tariff_id)
        if row is None:
            raise NotFound("tariff.not_found", tariff_id=tariff_id)
        return _to_dto(row)

    async def list_active(self, channel_id: int | None = None) -> list[Tariff]:
        """Active tariffs of active channels, oldest first, optionally for one channel."""
        stmt = (
            select(TariffRow)
            .join(ChannelRow, ChannelRow.id == TariffRow.channel_id)
            .where(TariffRow.is_active.is_(True), ChannelRow.is_active.is_(True))
            .order_by(TariffRow.id)
        )
        if channel_id is not None:
            stmt = stmt.where(TariffRow.channel_id == channel_id)
        async with self._sessionmaker() as session:
            rows = (await session.scalars(stmt)).all()
        return [_to_dto(row) for row in rows]

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
        stmt = update(TariffRow).where(TariffRow.id == tariff_id, TariffRow.is_active.is_(True))
        if expected_version is not None:
            stmt = stmt.where(TariffRow.version == expected_version)
        stmt = stmt.values(
            {
                getattr(TariffRow, field): new_value,
                TariffRow.updated_at: self._clock.now().astimezone(UTC),
                TariffRow.version: TariffRow.version + 1,
            }
        )
        async with self._sessionmaker() as session, session.begin():
            row = (await session.scalars(stmt.returning(TariffRow))).one_or_none()
            if row is not None:
                return _to_dto(row)
            current = await session.get(TariffRow, tariff_id)
            if current is None:
                raise NotFound("tariff.not_found", tariff_id=tariff_id)
            if not current.is_active:
                raise TariffInactive("tariff.inactive", tariff_id=tariff_id)
            raise TariffVersionConflict(
                expected=current.version if expected_version is None else expected_version,
                current=_to_dto(current),
            )

    async def deactivate(self, tariff_id: int) -> Tariff:
        """Deactivate a tariff (bumps its version). Repeating it is a no-op.

        Raises:
            NotFound: ``tariff.not_found``.
        """
        if not is_row_id(tariff_id):
            raise NotFound("tariff.not_found", tariff_id=tariff_id)
        stmt = (
            update(TariffRow)
            .where(TariffRow.id == tariff_id, TariffRow.is_active.is_(True))
            .values(
                is_active=False,
                updated_at=self._clock.now().astimezone(UTC),
                version=TariffRow.version + 1,
            )
            .returning(TariffRow)
        )
        async with self._sessionmaker() as session, session.begin():
            row = (await session.scalars(stmt)).one_or_none()
            if row is None:
                row = await session.get(TariffRow, tariff_id)
            if row is None:
                raise NotFound("tariff.not_found", tariff_id=tariff_id)
            return _to_dto(row)


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


async def _by_key(session: AsyncSession, key: str) -> TariffRow | None:
    return await session.scalar(select(TariffRow).where(TariffRow.idempotency_key == key))


def _resolve_existing(row: TariffRow, channel_id: int) -> Tariff:
    if row.channel_id != channel_id:
        raise ValidationError("idempotency_key.reused")
    return _to_dto(row)


async def _check_channel(session: AsyncSession, channel_id: int) -> None:
    channel = await session.get(ChannelRow, channel_id) if is_row_id(channel_id) else None
    if channel is None:
        raise NotFound("channel.not_found", channel_id=channel_id)
    if not channel.is_active:
        raise NoActiveVipChannel("channel.inactive", channel_id=channel_id)
    if channel.kind != "vip":
        raise NoActiveVipChannel("channel.not_vip", channel_id=channel_id)


def _to_dto(row: TariffRow) -> Tariff:
    return Tariff(
        id=row.id,
        channel_id=row.channel_id,
        name=row.name,
        # SQLite hands NUMERIC back through a float; two decimals below 1e5 survive that
        # exactly, and quantize() pins the scale on both backends.
        price=Decimal(row.price).quantize(_CENT),
        currency=row.currency,
        duration_days=row.duration_days,
        description=row.description,
        is_active=row.is_active,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        version=row.version,
    )
