"""What the benchmark runs against: a throwaway PostgreSQL and Redis on loopback, and
migrated databases (SQLite files, PostgreSQL databases) copied from one template each,
so no section pays for Alembic more than once."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import redis.asyncio

from aiogram_durable.testing import PostgresServer, RedisServer
from diana_bot.db.migrate import upgrade_async

_TEMPLATE = "bench_template"


@dataclass
class BenchEnv:
    """Servers, a scratch directory and fresh databases on demand."""

    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="diana-bench-")))
    pg: PostgresServer | None = None
    redis_server: RedisServer | None = None
    _names: itertools.count[int] = field(default_factory=itertools.count)
    _redis_dbs: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _sqlite_template: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> BenchEnv:
        """Start PostgreSQL and Redis and migrate one template database of each SQL kind."""
        self.pg = await asyncio.to_thread(PostgresServer().start)
        self.redis_server = await asyncio.to_thread(RedisServer().start)
        self._sqlite_template = self.workdir / "template.db"
        await upgrade_async(f"sqlite+aiosqlite:///{self._sqlite_template}")
        self._checkpoint(self._sqlite_template)
        await upgrade_async(await asyncio.to_thread(self.pg.create_database, _TEMPLATE))
        return self

    def close(self) -> None:
        """Stop the servers and remove every file the run made."""
        if self.redis_server is not None:
            self.redis_server.cleanup()
        if self.pg is not None:
            self.pg.cleanup()
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def postgres(self) -> PostgresServer:
        """The running PostgreSQL server."""
        if self.pg is None:
            raise RuntimeError("BenchEnv.start() first")
        return self.pg

    @property
    def redis(self) -> RedisServer:
        """The running Redis server."""
        if self.redis_server is None:
            raise RuntimeError("BenchEnv.start() first")
        return self.redis_server

    # -- SQLite ------------------------------------------------------------------------

    def sqlite_url(self, name: str | None = None, template: Path | None = None) -> str:
        """A migrated SQLite file (a copy of ``template``, or of the empty schema)."""
        path = self.workdir / f"{name or f's{next(self._names)}'}.db"
        source = template or self._sqlite_template
        if source is None:
            raise RuntimeError("BenchEnv.start() first")
        self._checkpoint(source)
        shutil.copyfile(source, path)
        return f"sqlite+aiosqlite:///{path}"

    @staticmethod
    def _checkpoint(path: Path) -> None:
        """Fold the WAL into the main file, so copying the file copies everything."""
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()

    # -- PostgreSQL ----------------------------------------------------------------------

    async def pg_database(self, name: str | None = None, template: str = _TEMPLATE) -> str:
        """A new database copied from ``template`` (file copy); its SQLAlchemy URL."""
        db = name or f"b{next(self._names)}"
        conn = await asyncpg.connect(self.postgres.dsn("postgres"))
        try:
            await conn.execute(f'CREATE DATABASE "{db}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        finally:
            await conn.close()
        return self.postgres.url(db)

    async def drop_pg_database(self, name: str) -> None:
        """Drop ``name`` (connections to it are terminated first)."""
        conn = await asyncpg.connect(self.postgres.dsn("postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def server_versions(self) -> dict[str, str]:
        """PostgreSQL and Redis server versions, for the report."""
        conn = await asyncpg.connect(self.postgres.dsn("postgres"))
        try:
            pg_version = str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()
        client = redis.asyncio.Redis.from_url(self.redis.url(0))
        try:
            info = await client.info("server")
        finally:
            await client.aclose()
        return {"postgresql": pg_version, "redis-server": str(info.get("redis_version"))}

    # -- Redis -------------------------------------------------------------------------

    async def redis_url(self) -> str:
        """A flushed Redis database of its own."""
        url = self.redis.url(next(self._redis_dbs))
        client = redis.asyncio.Redis.from_url(url)
        try:
            await client.flushdb()
        finally:
            await client.aclose()
        return url
