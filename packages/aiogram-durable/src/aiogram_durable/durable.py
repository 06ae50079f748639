"""Everything a bot needs from one URL: ``connect``, then ``Dispatcher(**durable.fsm)``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from aiogram_durable.audit import AuditLog, MemoryAuditLog, SqlAuditLog
from aiogram_durable.backends import SessionBackend, open_backend
from aiogram_durable.clock import Clock, SystemClock
from aiogram_durable.fsm import FlushBeforeSend, SessionIsolation, SessionStorage
from aiogram_durable.manager import SessionManager
from aiogram_durable.redelivery import SkipAppliedUpdates
from aiogram_durable.schema import upgrade
from aiogram_durable.sweeper import ExpiryHook, Sweeper
from aiogram_durable.types import SessionTypes
from aiogram_durable.urls import backend_of, sqlalchemy_url


class Durable:
    """The storage, the event isolation, the manager and the sweeper of one backend.

    Build it with ``connect``. ``storage`` and ``isolation`` go to the Dispatcher;
    ``setup`` adds what makes every update apply exactly once and the sweeper.
    """

    def __init__(
        self,
        backend: SessionBackend,
        manager: SessionManager,
        storage: SessionStorage,
        sweeper: Sweeper | None,
        owned_engine: AsyncEngine | None = None,
    ) -> None:
        self.backend = backend
        self.manager = manager
        self.storage = storage
        self.isolation = SessionIsolation(storage, backend.locks)
        self.sweeper = sweeper
        self._owned_engine = owned_engine
        self._closed = False
        # aiogram's shutdown closes the storage: stop the sweeper and flush the audit
        # trail first (the audit logs a failed flush, it never raises).
        storage.before_close(self._stop_sweeper)
        storage.before_close(manager.audit.close)

    @property
    def fsm(self) -> dict[str, Any]:
        """``Dispatcher(**durable.fsm)``: the storage and the event isolation."""
        return {"storage": self.storage, "events_isolation": self.isolation}

    def setup(self, dp: Dispatcher, *bots: Bot) -> None:
        """Wire ``dp`` and ``bots``: each update applied once (a redelivered update is
        acknowledged and skipped), each step written before the bot shows the next
        one, and the sweeper running from start-up to shutdown."""
        dp.update.outer_middleware(SkipAppliedUpdates())
        for bot in bots:
            bot.session.middleware(FlushBeforeSend(self.storage))
        if self.sweeper is not None:
            dp.startup.register(self._start_sweeper)

    async def _start_sweeper(self) -> None:
        if self.sweeper is not None:
            self.sweeper.start()

    async def _stop_sweeper(self) -> None:
        if self.sweeper is not None:
            await self.sweeper.stop()

    async def close(self) -> None:
        """Stop the sweeper and close every connection (the Dispatcher's shutdown
        does this through the storage and the isolation; calling it again is fine)."""
        if self._closed:
            return
        self._closed = True
        await self._stop_sweeper()
        await self.manager.audit.close()
        await self.backend.close()
        if self._owned_engine is not None:
            await self._owned_engine.dispose()


async def connect(
    url: str,
    *,
    ttl: timedelta = timedelta(minutes=30),
    on_expired: ExpiryHook | None = None,
    sweep_interval: float | None = 60.0,
    migrate: bool = True,
    audit: AuditLog | None = None,
    clock: Clock | None = None,
    namespace: str = "durable",
    store_pool: int | None = None,
    lock_pool: int = 10,
    on_sweep_round: Callable[[int, bool], Awaitable[None]] | None = None,
) -> Durable:
    """Open the session store ``url`` names and everything around it.

    Args:
        url: ``sqlite:///path``, ``postgresql://…`` or ``redis://…``.
        ttl: inactivity timeout of sessions whose flow sets none.
        on_expired: called with each session the sweeper expires (tell the user).
        sweep_interval: seconds between sweeps; None for no sweeper.
        migrate: apply the library's migrations first (SQL backends).
        audit: where lifecycle events go; default: the SQL database's
            ``durable_session_events``, or the newest 10,000 in memory on Redis.
        namespace: Redis key prefix and PostgreSQL lock namespace.
        store_pool, lock_pool: connection caps (see ``open_backend``).
    """
    clock = clock or SystemClock()
    sql = backend_of(url) != "redis"
    if sql and migrate:
        await upgrade(url)
    owned: AsyncEngine | None = None
    if audit is None:
        if sql:
            owned = audit_engine(url)
            audit = SqlAuditLog(owned)
        else:
            audit = MemoryAuditLog(limit=10_000)
    backend = await open_backend(
        url, clock=clock, store_pool=store_pool, lock_pool=lock_pool, namespace=namespace
    )
    manager = SessionManager(backend.store, SessionTypes(), audit, default_ttl=ttl)
    storage = SessionStorage(manager)
    sweeper = (
        Sweeper(manager, interval=sweep_interval, on_expired=on_expired, on_round=on_sweep_round)
        if sweep_interval is not None
        else None
    )
    return Durable(backend, manager, storage, sweeper, owned)


def audit_engine(url: str) -> AsyncEngine:
    """A small SQLAlchemy engine for the audit trail on the database ``url`` names."""
    engine = (
        create_async_engine(sqlalchemy_url(url), pool_size=2, max_overflow=0)
        if (backend_of(url) == "postgresql")
        else create_async_engine(sqlalchemy_url(url))
    )
    if backend_of(url) == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL, so the store's own connection and this one do not block each other's reads.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
