"""What handlers receive as ``svc``: the services built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram_durable import SessionManager
from diana_bot.bot.i18n import DianaI18n
from diana_bot.domain import ChannelService, TariffService
from diana_bot.texts import Translator


@dataclass(frozen=True)
class BotServices:
    """Services shared by every handler."""

    channels: ChannelService
    tariffs: TariffService
    sessions: SessionManager
    admin_ids: frozenset[int]
    # The language of each update; ``tr`` speaks it (``i18n.translator``).
    i18n: DianaI18n

    @property
    def tr(self) -> Translator:
        """Texts in the current update's language (``svc.tr("menu.root")``)."""
        return self.i18n.translator
