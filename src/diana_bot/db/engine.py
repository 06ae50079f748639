"""Async engine factory with the SQLite pragmas every connection needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as OrmSession

from aiogram_durable import create_private_file
from aiogram_durable.urls import is_sqlite

SQLITE_BUSY_TIMEOUT_MS = 5000


def create_engine(url: str, *, pool_size: int | None = None) -> AsyncEngine:
    """An async engine; on SQLite, WAL mode and a busy timeout on every connection.

    ``pool_size`` caps PostgreSQL connections (no overflow beyond it): the engine's
    share of the process's budget (`diana_bot.db.budget`).
    """
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            create_private_file(database)
    if is_sqlite(url) or pool_size is None:
        engine = create_async_engine(url, pool_pre_ping=not is_sqlite(url))
    else:
        engine = create_async_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets the session store's own connection read while this one writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[OrmSession]:
    """ORM sessions that keep loaded attributes after commit (rows become DTOs)."""
    return async_sessionmaker(engine, expire_on_commit=False)
