"""The channels table behind a repository: records in, records out, inside one unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from diana_bot.db.errors import ConstraintViolation
from diana_bot.db.models import ChannelRow
from diana_bot.db.records import CHANNEL_KINDS, Channel, ChannelKind, as_utc


@dataclass(frozen=True, slots=True)
class Registration:
    """A stored channel and the idempotency key it was registered with (if any)."""

    channel: Channel
    idempotency_key: str | None


class ChannelRepository:
    """Reads and writes channels in the session of the unit of work that owns it.

    It never commits: the unit of work does, once per use case.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        chat_id: int,
        title: str,
        kind: ChannelKind,
        registered_by: int,
        registered_at: datetime,
        idempotency_key: str | None,
    ) -> Channel:
        """Insert an active channel.

        Raises:
            ConstraintViolation: The chat or the key is registered already.
        """
        row = ChannelRow(
            chat_id=chat_id,
            title=title,
            kind=kind,
            is_active=True,
            registered_by=registered_by,
            registered_at=as_utc(registered_at),
            idempotency_key=idempotency_key,
        )
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as exc:
            raise ConstraintViolation(f"channel chat_id={chat_id} not inserted") from exc
        return _record(row)

    async def get(self, channel_id: int) -> Channel | None:
        """The channel with this id, active or not."""
        row = await self._session.get(ChannelRow, channel_id)
        return None if row is None else _record(row)

    async def by_chat_id(self, chat_id: int) -> Channel | None:
        """The channel registered for this Telegram chat."""
        row = await self._session.scalar(select(ChannelRow).where(ChannelRow.chat_id == chat_id))
        return None if row is None else _record(row)

    async def find_registration(
        self, chat_id: int, idempotency_key: str | None
    ) -> Registration | None:
        """The channel holding this chat, else the one registered with this key."""
        row = await self._session.scalar(select(ChannelRow).where(ChannelRow.chat_id == chat_id))
        if row is None and idempotency_key is not None:
            row = await self._session.scalar(
                select(ChannelRow).where(ChannelRow.idempotency_key == idempotency_key)
            )
        return None if row is None else Registration(_record(row), row.idempotency_key)

    async def find(self, *, active_only: bool, kind: ChannelKind | None) -> list[Channel]:
        """Channels in registration order, optionally only active ones or one kind."""
        stmt = select(ChannelRow).order_by(ChannelRow.id)
        if active_only:
            stmt = stmt.where(ChannelRow.is_active.is_(True))
        if kind is not None:
            stmt = stmt.where(ChannelRow.kind == kind)
        rows = (await self._session.scalars(stmt)).all()
        return [_record(row) for row in rows]

    async def deactivate(self, channel_id: int) -> Channel | None:
        """Mark the channel inactive (already inactive: unchanged); None if there is none."""
        stmt = (
            update(ChannelRow)
            .where(ChannelRow.id == channel_id)
            .values(is_active=False)
            .returning(ChannelRow)
        )
        row = (await self._session.scalars(stmt)).one_or_none()
        return None if row is None else _record(row)


def _kind(value: str) -> ChannelKind:
    # The table's CHECK constraint admits only these; anything else is a corrupt row.
    if value not in CHANNEL_KINDS:
        raise ValueError(f"stored channel kind {value!r} is not one of {CHANNEL_KINDS}")
    return value


def _record(row: ChannelRow) -> Channel:
    return Channel(
        id=row.id,
        chat_id=row.chat_id,
        title=row.title,
        kind=_kind(row.kind),
        is_active=row.is_active,
        registered_by=row.registered_by,
        registered_at=as_utc(row.registered_at),
    )


__all__ = ["ChannelRepository", "Registration"]
