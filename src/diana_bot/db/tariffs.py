"""The tariffs table behind a repository: records in, records out, inside one unit of work."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Update, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from diana_bot.db.errors import ConstraintViolation
from diana_bot.db.models import ChannelRow, TariffRow
from diana_bot.db.records import Tariff, TariffField, as_utc

_CENT = Decimal("0.01")


class TariffRepository:
    """Reads and writes tariffs in the session of the unit of work that owns it.

    It never commits: the unit of work does, once per use case. Every change bumps
    ``version`` in the same statement that makes it.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        channel_id: int,
        name: str,
        price: Decimal,
        currency: str,
        duration_days: int,
        description: str | None,
        created_at: datetime,
        idempotency_key: str | None,
    ) -> Tariff:
        """Insert an active tariff at version 1.

        Raises:
            ConstraintViolation: The idempotency key is taken (or another constraint broke).
        """
        created_at = as_utc(created_at)
        row = TariffRow(
            channel_id=channel_id,
            name=name,
            price=price,
            currency=currency,
            duration_days=duration_days,
            description=description,
            is_active=True,
            created_at=created_at,
            updated_at=created_at,
            version=1,
            idempotency_key=idempotency_key,
        )
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            raise ConstraintViolation(f"tariff of channel {channel_id} not inserted") from exc
        return _record(row)

    async def get(self, tariff_id: int) -> Tariff | None:
        """The tariff with this id, active or not."""
        row = await self._session.get(TariffRow, tariff_id)
        return None if row is None else _record(row)

    async def by_idempotency_key(self, key: str) -> Tariff | None:
        """The tariff created with this idempotency key."""
        row = await self._session.scalar(select(TariffRow).where(TariffRow.idempotency_key == key))
        return None if row is None else _record(row)

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
        rows = (await self._session.scalars(stmt)).all()
        return [_record(row) for row in rows]

    async def update_field(
        self,
        tariff_id: int,
        field: TariffField,
        value: object,
        *,
        updated_at: datetime,
        expected_version: int | None,
    ) -> Tariff | None:
        """Set one field of an active tariff, if it is still at ``expected_version``.

        The condition is part of the UPDATE, so of two concurrent edits of the same
        version only one matches. None when nothing matched (no such tariff, inactive,
        or another version); the caller reads the tariff to tell which.
        """
        stmt = _update_active(tariff_id)
        if expected_version is not None:
            stmt = stmt.where(TariffRow.version == expected_version)
        stmt = stmt.values(
            {
                getattr(TariffRow, field): value,
                TariffRow.updated_at: as_utc(updated_at),
                TariffRow.version: TariffRow.version + 1,
            }
        )
        return await self._returning(stmt)

    async def deactivate(self, tariff_id: int, *, updated_at: datetime) -> Tariff | None:
        """Deactivate an active tariff; None when there is no active tariff with this id."""
        stmt = _update_active(tariff_id).values(
            is_active=False, updated_at=as_utc(updated_at), version=TariffRow.version + 1
        )
        return await self._returning(stmt)

    async def _returning(self, stmt: Update) -> Tariff | None:
        row = (await self._session.scalars(stmt.returning(TariffRow))).one_or_none()
        return None if row is None else _record(row)


def _update_active(tariff_id: int) -> Update:
    return update(TariffRow).where(TariffRow.id == tariff_id, TariffRow.is_active.is_(True))


def _record(row: TariffRow) -> Tariff:
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


__all__ = ["TariffRepository"]
