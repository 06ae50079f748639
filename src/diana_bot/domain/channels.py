"""Channels the bot sells access to (VIP) or announces in (free)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aiogram_durable import Clock
from diana_bot.db.models import ChannelRow
from diana_bot.domain.errors import ChannelAlreadyRegistered, NotFound, ValidationError
from diana_bot.domain.ids import is_row_id

ChannelKind = Literal["vip", "free"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = ("vip", "free")
MAX_TITLE_LENGTH = 255
MAX_IDEMPOTENCY_KEY_LENGTH = 64


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


class ChannelService:
    """Registers, finds and deactivates channels; one transaction per call."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def register(
        self,
        chat_id: int,
        title: str,
        kind: str,
        registered_by: int,
        *,
        idempotency_key: str | None = None,
    ) -> Channel:
        """Register a channel.

        Args:
            chat_id: Telegram chat id.
            title: Channel title; trimmed and cut to 255 characters.
            kind: ``"vip"`` or ``"free"``.
            registered_by: Telegram user id of the admin.
            idempotency_key: Retrying with the same key and chat returns the channel the
                first attempt registered instead of failing.

        Raises:
            ChannelAlreadyRegistered: The chat is registered, and not by this key.
            ValidationError: Bad title, kind or key, or the key was used for another chat.
        """
        clean_title = _clean_title(title)
        checked_kind = _check_kind(kind)
        check_idempotency_key(idempotency_key)
        try:
            async with self._sessionmaker() as session, session.begin():
                existing = await _find_existing(session, chat_id, idempotency_key)
                if existing is not None:
                    return _resolve_existing(existing, chat_id, idempotency_key)
                row = ChannelRow(
                    chat_id=chat_id,
                    title=clean_title,
                    kind=checked_kind,
                    is_active=True,
                    registered_by=registered_by,
                    registered_at=self._clock.now().astimezone(UTC),
                    idempotency_key=idempotency_key,
                )
                session.add(row)
                await session.flush()
                return _to_dto(row)
        except IntegrityError:
            # A concurrent register() inserted the same chat or key between our check and
            # our insert. Its row is committed now; answer as if we had seen it first.
            async with self._sessionmaker() as session:
                existing = await _find_existing(session, chat_id, idempotency_key)
            if existing is None:
                # Only unique constraints can fail here (kind is checked above) and rows are
                # never deleted, so this is a genuine bug worth a traceback.
                raise
            return _resolve_existing(existing, chat_id, idempotency_key)

    async def get(self, channel_id: int) -> Channel:
        """The channel with this id, active or not.

        Raises:
            NotFound: ``channel.not_found``.
        """
        if not is_row_id(channel_id):
            raise NotFound("channel.not_found", channel_id=channel_id)
        async with self._sessionmaker() as session:
            row = await session.get(ChannelRow, channel_id)
        if row is None:
            raise NotFound("channel.not_found", channel_id=channel_id)
        return _to_dto(row)

    async def get_by_chat_id(self, chat_id: int) -> Channel | None:
        """The channel registered for this Telegram chat, or None."""
        async with self._sessionmaker() as session:
            row = await session.scalar(select(ChannelRow).where(ChannelRow.chat_id == chat_id))
        return None if row is None else _to_dto(row)

    async def list(
        self, active_only: bool = True, kind: str | None = None
    ) -> builtins.list[Channel]:
        """Channels in registration order, optionally only active ones or one kind.

        Raises:
            ValidationError: ``channel.kind_invalid`` for an unknown kind.
        """
        stmt = select(ChannelRow).order_by(ChannelRow.id)
        if active_only:
            stmt = stmt.where(ChannelRow.is_active.is_(True))
        if kind is not None:
            stmt = stmt.where(ChannelRow.kind == _check_kind(kind))
        async with self._sessionmaker() as session:
            rows = (await session.scalars(stmt)).all()
        return [_to_dto(row) for row in rows]

    async def deactivate(self, channel_id: int) -> Channel:
        """Deactivate a channel; its tariffs stop being listed. Repeating it is a no-op.

        Raises:
            NotFound: ``channel.not_found``.
        """
        if not is_row_id(channel_id):
            raise NotFound("channel.not_found", channel_id=channel_id)
        async with self._sessionmaker() as session, session.begin():
            row = await session.get(ChannelRow, channel_id, with_for_update=True)
            if row is None:
                raise NotFound("channel.not_found", channel_id=channel_id)
            row.is_active = False
            return _to_dto(row)


def check_idempotency_key(key: str | None) -> None:
    """Check that a key fits the 64-character column.

    Raises:
        ValidationError: ``idempotency_key.invalid``.
    """
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationError("idempotency_key.invalid", max=MAX_IDEMPOTENCY_KEY_LENGTH)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; SQLite hands back naive ones (stored as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


async def _find_existing(
    session: AsyncSession, chat_id: int, idempotency_key: str | None
) -> ChannelRow | None:
    row = await session.scalar(select(ChannelRow).where(ChannelRow.chat_id == chat_id))
    if row is None and idempotency_key is not None:
        row = await session.scalar(
            select(ChannelRow).where(ChannelRow.idempotency_key == idempotency_key)
        )
    return row


def _resolve_existing(row: ChannelRow, chat_id: int, idempotency_key: str | None) -> Channel:
    if row.chat_id == chat_id:
        if idempotency_key is not None and row.idempotency_key == idempotency_key:
            return _to_dto(row)
        raise ChannelAlreadyRegistered(chat_id=chat_id, existing_id=row.id, is_active=row.is_active)
    # Same key, different chat: the caller reused a key from another registration.
    raise ValidationError("idempotency_key.reused")


def _clean_title(title: str) -> str:
    clean = title.strip()[:MAX_TITLE_LENGTH].rstrip()
    if not clean:
        raise ValidationError("channel.title_empty")
    return clean


def _check_kind(kind: str) -> ChannelKind:
    if kind not in CHANNEL_KINDS:
        raise ValidationError("channel.kind_invalid", kind=kind)
    return kind


def _to_dto(row: ChannelRow) -> Channel:
    return Channel(
        id=row.id,
        chat_id=row.chat_id,
        title=row.title,
        kind=_check_kind(row.kind),
        is_active=row.is_active,
        registered_by=row.registered_by,
        registered_at=as_utc(row.registered_at),
    )
