"""The composition root: settings in, every long-lived object out. Nothing at import time.

The bot, the CLI and the web side all build what they need here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from aiogram_durable import (
    Clock,
    SessionBackend,
    SessionManager,
    SessionStorage,
    SessionTypes,
    SqlAuditLog,
    SystemClock,
    open_backend,
)
from aiogram_durable.urls import is_sqlite
from diana_bot.config import Settings
from diana_bot.db.budget import ConnectionBudget
from diana_bot.db.engine import create_engine, create_sessionmaker
from diana_bot.db.migrate import upgrade_async
from diana_bot.domain import ChannelService, TariffService

log = structlog.get_logger(__name__)


@dataclass
class Container:
    """Everything built from the settings, closed in reverse order."""

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


def session_store_url(settings: Settings) -> str:
    """The URL of the session store: the database, or Redis with SESSION_BACKEND=redis."""
    if settings.session_backend == "redis":
        if settings.redis_url is None:
            raise ValueError("REDIS_URL is required for the redis backend")
        return settings.redis_url.get_secret_value()
    return settings.database_url.get_secret_value()


async def build_container(
    settings: Settings, *, clock: Clock | None = None, migrate: bool | None = None
) -> Container:
    """Open the database (migrating it unless told not to) and the session backend."""
    from diana_bot.bot.states import register_flows

    clock = clock or SystemClock()
    url = settings.database_url.get_secret_value()
    if settings.database_auto_migrate if migrate is None else migrate:
        await upgrade_async(url)
    budget = ConnectionBudget.split(
        settings.database_pool_size, sql_sessions=settings.session_backend == "sql"
    )
    engine = create_engine(url, pool_size=budget.engine)
    sessionmaker = create_sessionmaker(engine)
    backend = await open_backend(
        session_store_url(settings),
        clock=clock,
        store_pool=budget.store or None,
        lock_pool=max(1, budget.locks),
        # Keeps the Redis keys and advisory lock ids Diana has always used.
        namespace="diana",
    )
    audit = SqlAuditLog(engine)
    manager = SessionManager(
        backend.store,
        SessionTypes(),
        audit,
        default_ttl=timedelta(seconds=settings.session_ttl_seconds),
    )
    storage = SessionStorage(manager)
    register_flows(storage)
    log.info(
        "bootstrap.ready",
        session_backend=settings.session_backend,
        database=engine.url.get_backend_name(),
        pool_size=budget.total if not is_sqlite(url) else None,
        types=manager.types.names(),
    )
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=sessionmaker,
        channels=ChannelService(sessionmaker, clock),
        tariffs=TariffService(sessionmaker, clock),
        backend=backend,
        audit=audit,
        sessions=manager,
        storage=storage,
        budget=budget,
    )
