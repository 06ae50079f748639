"""Channels the bot sells access to (VIP) or announces in (free)."""

from __future__ import annotations

import builtins

from aiogram_durable import Clock
from diana_bot.db.channels import Registration
from diana_bot.db.errors import ConstraintViolation
from diana_bot.db.records import CHANNEL_KINDS, Channel, ChannelKind
from diana_bot.db.unit_of_work import SessionFactory, UnitOfWork
from diana_bot.domain.errors import ChannelAlreadyRegistered, NotFound, ValidationError
from diana_bot.domain.ids import check_idempotency_key, is_row_id

MAX_TITLE_LENGTH = 255


class ChannelService:
    """Registers, finds and deactivates channels; one unit of work per call."""

    def __init__(self, sessionmaker: SessionFactory, clock: Clock) -> None:
        self._sessions = sessionmaker
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
            async with UnitOfWork(self._sessions) as uow:
                found = await uow.channels.find_registration(chat_id, idempotency_key)
                if found is not None:
                    return _resolve_existing(found, chat_id, idempotency_key)
                channel = await uow.channels.add(
                    chat_id=chat_id,
                    title=clean_title,
                    kind=checked_kind,
                    registered_by=registered_by,
                    registered_at=self._clock.now(),
                    idempotency_key=idempotency_key,
                )
                await uow.commit()
                return channel
        except ConstraintViolation:
            # A concurrent register() inserted the same chat or key between our check and
            # our insert. Its row is committed now; answer as if we had seen it first.
            async with UnitOfWork(self._sessions) as uow:
                found = await uow.channels.find_registration(chat_id, idempotency_key)
            if found is None:
                # Only unique constraints can fail here (kind is checked above) and rows are
                # never deleted, so this is a genuine bug worth a traceback.
                raise
            return _resolve_existing(found, chat_id, idempotency_key)

    async def get(self, channel_id: int) -> Channel:
        """The channel with this id, active or not.

        Raises:
            NotFound: ``channel.not_found``.
        """
        channel = None
        if is_row_id(channel_id):
            async with UnitOfWork(self._sessions) as uow:
                channel = await uow.channels.get(channel_id)
        if channel is None:
            raise NotFound("channel.not_found", channel_id=channel_id)
        return channel

    async def get_by_chat_id(self, chat_id: int) -> Channel | None:
        """The channel registered for this Telegram chat, or None."""
        async with UnitOfWork(self._sessions) as uow:
            return await uow.channels.by_chat_id(chat_id)

    async def list(
        self, active_only: bool = True, kind: str | None = None
    ) -> builtins.list[Channel]:
        """Channels in registration order, optionally only active ones or one kind.

        Raises:
            ValidationError: ``channel.kind_invalid`` for an unknown kind.
        """
        checked_kind = None if kind is None else _check_kind(kind)
        async with UnitOfWork(self._sessions) as uow:
            return await uow.channels.find(active_only=active_only, kind=checked_kind)

    async def deactivate(self, channel_id: int) -> Channel:
        """Deactivate a channel; its tariffs stop being listed. Repeating it is a no-op.

        Raises:
            NotFound: ``channel.not_found``.
        """
        if not is_row_id(channel_id):
            raise NotFound("channel.not_found", channel_id=channel_id)
        async with UnitOfWork(self._sessions) as uow:
            channel = await uow.channels.deactivate(channel_id)
            if channel is None:
                raise NotFound("channel.not_found", channel_id=channel_id)
            await uow.commit()
            return channel


def _resolve_existing(found: Registration, chat_id: int, idempotency_key: str | None) -> Channel:
    channel = found.channel
    if channel.chat_id == chat_id:
        if idempotency_key is not None and found.idempotency_key == idempotency_key:
            return channel
        raise ChannelAlreadyRegistered(
            chat_id=chat_id, existing_id=channel.id, is_active=channel.is_active
        )
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


__all__ = ["CHANNEL_KINDS", "MAX_TITLE_LENGTH", "Channel", "ChannelKind", "ChannelService"]
