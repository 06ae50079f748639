"""What handlers receive as ``svc``: the services built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram_durable import SessionManager
from diana_bot.domain import ChannelService, TariffService
from diana_bot.texts import Translator


@dataclass(frozen=True)
class BotServices:
    """Services shared by every handler."""

    channels: ChannelService
    tariffs: TariffService
    sessions: SessionManager
    admin_ids: frozenset[int]
    tr: Translator
