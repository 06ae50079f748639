"""What the composition root built from the settings, closed in reverse order."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from aiogram_durable import Clock, SessionBackend, SessionManager, SessionStorage, SqlAuditLog
from diana_bot.config import Settings
from diana_bot.db.budget import ConnectionBudget
from diana_bot.domain import ChannelService, TariffService


@dataclass
class Container:
    """The long-lived data side: database, services, session library."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    channels: ChannelService
    tariffs: TariffService
    backend: SessionBackend
    audit: SqlAuditLog
    sessions: SessionManager
    storage: SessionStorage
    budget: ConnectionBudget
    _closed: bool = field(default=False, repr=False)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.audit.close()
        await self.backend.close()
        await self.engine.dispose()
