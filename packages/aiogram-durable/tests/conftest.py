"""Fixtures: real PostgreSQL and Redis servers on loopback, SQLite files, a clock, and
one store harness per backend.

A server that cannot start fails the run loudly; nothing is skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from aiogram_durable.clock import FakeClock
from aiogram_durable.durable import audit_engine
from aiogram_durable.schema import upgrade
from aiogram_durable.store import SessionStore
from aiogram_durable.testing import PostgresServer, RedisServer
from harness import BACKENDS, DURABLE_BACKENDS, Harness, make_harness

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
    return f"sqlite:///{tmp_path / 'sessions.db'}"


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh, unmigrated PostgreSQL database."""
    return pg_server.create_database(f"t{next(_db_counter)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, unmigrated database on each SQL backend."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database with the library's tables."""
    await upgrade(db_url)
    eng = audit_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture(params=BACKENDS)
async def harness(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Harness]:
    async for h in _open_harness(request, clock):
        yield h


@pytest.fixture(params=DURABLE_BACKENDS)
async def durable_harness(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[Harness]:
    """A harness on a backend whose data outlives its store (a restart is real)."""
    async for h in _open_harness(request, clock):
        yield h


async def _open_harness(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Harness]:
    h = await make_harness(str(request.param), request, clock)
    opened: list[Any] = []
    h_reopen = h.reopen

    async def tracked_reopen() -> SessionStore:
        store = await h_reopen()
        if store is not h.store:
            opened.append(store)
        return store

    h.reopen = tracked_reopen
    yield h
    for store in opened:
        await store.close()
    await h.store.close()


@pytest.fixture
def store(harness: Harness) -> SessionStore:
    return harness.store
