"""Shared fixtures: real PostgreSQL and Redis servers on loopback, SQLite files, a clock.

A server that cannot start fails the run loudly; nothing is skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from aiogram_durable import FakeClock
from aiogram_durable.testing import PostgresServer, RedisServer
from diana_bot.db.engine import create_engine
from diana_bot.db.migrate import upgrade_async

_db_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, unmigrated SQLite file."""
    return f"sqlite+aiosqlite:///{tmp_path / 'diana.db'}"


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh, unmigrated PostgreSQL database."""
    return pg_server.create_database(f"t{next(_db_counter)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, unmigrated database on each SQL backend."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
async def migrated_url(db_url: str) -> str:
    """A database on each SQL backend, upgraded to head."""
    await upgrade_async(db_url)
    return db_url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(migrated_url)
    yield eng
    await eng.dispose()
