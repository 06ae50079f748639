"""One harness per backend, so the contract suite runs unchanged on all of them."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest

from aiogram_durable.clock import FakeClock
from aiogram_durable.memory import MemorySessionStore
from aiogram_durable.model import SessionKey
from aiogram_durable.postgres import PostgresSessionStore
from aiogram_durable.rows import sqlite_time
from aiogram_durable.schema import upgrade as upgrade_async
from aiogram_durable.sqlite import SqliteSessionStore
from aiogram_durable.store import SessionStore
from aiogram_durable.urls import asyncpg_dsn, sqlite_path

BACKENDS = ["memory", "sqlite", "postgresql", "redis"]
DURABLE_BACKENDS = ["sqlite", "postgresql", "redis"]


@dataclass
class Harness:
    """A store plus what a test needs to reach around it."""

    name: str
    store: SessionStore
    clock: FakeClock
    # Opens a second, independent store on the same data (another "process").
    reopen: Callable[[], Awaitable[SessionStore]]
    # Writes an undecodable record for a key, behind the store's back.
    corrupt: Callable[[SessionKey], Awaitable[None]]
    url: str = ""


async def _sql_corrupt_sqlite(path: str, key: SessionKey, clock: FakeClock) -> None:
    now = clock.now()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO durable_sessions (id, bot_id, chat_id, user_id, session_type, "
            "schema_version, current_step, session_data, created_at, updated_at, expires_at, "
            "version) VALUES ('corrupt', ?, ?, ?, 'x', 1, 's', '{not json', ?, ?, ?, 1)",
            (
                key.bot_id,
                key.chat_id,
                key.user_id,
                sqlite_time(now),
                sqlite_time(now),
                sqlite_time(now + timedelta(hours=1)),
            ),
        )
    conn.close()


async def _sql_corrupt_pg(dsn: str, key: SessionKey, clock: FakeClock) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        now = clock.now()
        await conn.execute(
            "INSERT INTO durable_sessions (id, bot_id, chat_id, user_id, session_type, "
            "schema_version, current_step, session_data, created_at, updated_at, expires_at, "
            "version) VALUES ('corrupt', $1, $2, $3, 'x', 1, 's', '[1, 2', $4, $4, $5, 1)",
            key.bot_id,
            key.chat_id,
            key.user_id,
            now,
            now + timedelta(hours=1),
        )
    finally:
        await conn.close()


async def make_harness(name: str, request: pytest.FixtureRequest, clock: FakeClock) -> Harness:
    """Build the harness for backend ``name``."""
    if name == "memory":
        store = MemorySessionStore(clock)

        async def reopen_memory() -> SessionStore:
            return store

        async def corrupt_memory(key: SessionKey) -> None:
            raise NotImplementedError("the memory store holds decoded objects")

        return Harness(name, store, clock, reopen_memory, corrupt_memory)
    if name == "sqlite":
        url = str(request.getfixturevalue("sqlite_url"))
        await upgrade_async(url)
        path = sqlite_path(url)

        async def reopen_sqlite() -> SessionStore:
            return SqliteSessionStore(path, clock)

        async def corrupt_sqlite(key: SessionKey) -> None:
            await _sql_corrupt_sqlite(path, key, clock)

        return Harness(
            name, SqliteSessionStore(path, clock), clock, reopen_sqlite, corrupt_sqlite, url
        )
    if name == "postgresql":
        url = str(request.getfixturevalue("pg_url"))
        await upgrade_async(url)

        async def reopen_pg() -> SessionStore:
            return await PostgresSessionStore.connect(url, clock)

        async def corrupt_pg(key: SessionKey) -> None:
            await _sql_corrupt_pg(asyncpg_dsn(url), key, clock)

        return Harness(
            name, await PostgresSessionStore.connect(url, clock), clock, reopen_pg, corrupt_pg, url
        )
    if name == "redis":
        from redis_harness import make_redis_harness

        return await make_redis_harness(request, clock)
    raise ValueError(name)
