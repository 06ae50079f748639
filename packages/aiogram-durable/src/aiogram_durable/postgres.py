"""PostgreSQL backend on an asyncpg pool.

Why asyncpg directly: SQLAlchemy's Core layer adds a few hundred µs of Python per
statement; a store step (get + compare-and-set save) is two prepared statements here.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from datetime import datetime
from typing import Any, NoReturn

import asyncpg

from aiogram_durable.clock import Clock
from aiogram_durable.expired import SWEEP_BACKLOG, ExpiredSessions, SweepRange
from aiogram_durable.logs import get_logger
from aiogram_durable.model import (
    CorruptSession,
    JsonDict,
    SessionExists,
    SessionKey,
    SessionNotFound,
    SessionRecord,
    VersionConflict,
)
from aiogram_durable.rows import insert_values, session_from_row
from aiogram_durable.schema import KEYED_COLUMNS
from aiogram_durable.store import SessionStore
from aiogram_durable.urls import asyncpg_dsn

log = get_logger(__name__)

_KEYED = ", ".join(KEYED_COLUMNS)
_BY_KEY = "bot_id = $1 AND chat_id = $2 AND user_id = $3 AND scope = $4"
_INSERT = (
    "INSERT INTO durable_sessions (bot_id, chat_id, user_id, scope, id, session_type, "
    "schema_version, current_step, session_data, created_at, updated_at, expires_at, version) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)
# One sweep batch. SKIP LOCKED: concurrent sweepers claim disjoint rows, so each expiry
# is reported once. = ANY(ARRAY(...)), not IN (...): the planner then deletes by primary
# key instead of hash-joining a full scan for every batch (measured).
_SWEEP_BATCH = (
    "DELETE FROM durable_sessions WHERE id = ANY(ARRAY(SELECT id FROM durable_sessions "
    "WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))"
)
# The batch, its 'expired' events and the rows in one statement (a data-modifying CTE):
# the audit rows commit with the deletion, and nothing crosses the wire twice.
_SWEEP_AUDITED = (
    f"WITH gone AS ({_SWEEP_BATCH} RETURNING {_KEYED}), "
    "audited AS (INSERT INTO durable_session_events "
    "(session_id, user_id, session_type, event, step, at, detail) "
    "SELECT id, user_id, session_type, 'expired', current_step, $1, $3::jsonb FROM gone) "
    f"SELECT {_KEYED} FROM gone"
)
# A large backlog is swept in storage order instead: a range of heap pages per batch (a
# TID Range Scan, PostgreSQL 14+), so each batch reads and dirties neighbouring pages
# rather than one scattered page per row picked through the expiry index. A plain
# DELETE is the claim: a row is deleted, and so returned and audited, by one statement
# only; one that another sweeper deletes first, or a step saves meanwhile, is waited
# for and re-checked (READ COMMITTED), so it is skipped, not reported twice.
_SWEEP_RANGE_AUDITED = (
    "WITH gone AS (DELETE FROM durable_sessions "
    "WHERE ctid >= $3::tid AND ctid < $4::tid AND expires_at <= $1 "
    f"RETURNING {_KEYED}), "
    "audited AS (INSERT INTO durable_session_events "
    "(session_id, user_id, session_type, event, step, at, detail) "
    "SELECT id, user_id, session_type, 'expired', current_step, $1, $2::jsonb FROM gone) "
    f"SELECT {_KEYED} FROM gone"
)
# The quick look at a round's start: expired rows counted through the expiry index
# (index-only), stopped at the backlog size; then the heap's length in pages.
_SWEEP_BACKLOG = (
    "SELECT count(*) FROM (SELECT 1 FROM durable_sessions WHERE expires_at <= $1 LIMIT $2) s"
)
_SWEEP_PAGES = "SELECT pg_relation_size('durable_sessions') / current_setting('block_size')::int"
# Same text on the store's pool and the audit log's engine: same database, same answer.
DATABASE_IDENTITY = (
    "SELECT current_database() || '@' || coalesce(host(inet_server_addr()), 'local') "
    "|| ':' || coalesce(inet_server_port()::text, current_setting('port'))"
)


async def keep_session(_connection: Any) -> None:
    """A pool ``reset`` that sends nothing.

    asyncpg's default sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL`` on every release: one more round trip per statement here. These pools never
    leave session state behind (no cursors, LISTEN or SET; an open transaction is still
    rolled back by asyncpg itself), and the lock pool drops a connection that may hold a
    lock instead of returning it (``PostgresKeyLocks``).
    """


async def create_pool(
    url: str,
    *,
    min_size: int,
    max_size: int,
    connection_class: type[asyncpg.Connection] | None = None,
) -> Any:
    """An asyncpg pool for the session store or its locks."""
    return await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        reset=keep_session,
        connection_class=connection_class or asyncpg.Connection,
    )


LOCK_AND_READ = f"SELECT {_KEYED} FROM durable_lock_and_read($1, $2, $3, $4, $5)"
UNLOCK = "SELECT pg_advisory_unlock($1)"

# The writes that also release the key's advisory lock when they commit (migration
# d0003): one round trip for the write and the unlock. ``durable_unlock_at_commit`` is
# called once per statement (one output row, NULLs when nothing was written), in the
# write's transaction.
_SAVE_AND_UNLOCK = (
    "WITH saved AS (UPDATE durable_sessions SET current_step = $1, session_data = $2, "
    "updated_at = $3, expires_at = $4, version = version + 1 "
    "WHERE id = $5 AND version = $6 AND expires_at > $3 RETURNING version) "
    "SELECT saved.version, durable_unlock_at_commit($7) FROM (SELECT 1) AS one "
    "LEFT JOIN saved ON true"
)
# Why a save wrote nothing (read only then: the usual save pays nothing for it).
_VERSION_AND_EXPIRY = "SELECT version, expires_at FROM durable_sessions WHERE id = $1"
_INSERT_AND_UNLOCK = (
    f"WITH inserted AS ({_INSERT} ON CONFLICT (bot_id, chat_id, user_id, scope) DO NOTHING "
    "RETURNING 1) SELECT inserted.*, durable_unlock_at_commit($14) FROM (SELECT 1) AS one "
    "LEFT JOIN inserted ON true"
)
# Replaces the session read under the lock, only if it is still that one (id, version).
_REPLACE_AND_UNLOCK = (
    f"WITH replaced AS ({_INSERT} ON CONFLICT (bot_id, chat_id, user_id, scope) DO UPDATE "
    "SET id = EXCLUDED.id, session_type = EXCLUDED.session_type, "
    "schema_version = EXCLUDED.schema_version, current_step = EXCLUDED.current_step, "
    "session_data = EXCLUDED.session_data, created_at = EXCLUDED.created_at, "
    "updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at, "
    "version = EXCLUDED.version "
    "WHERE durable_sessions.id = $14 AND durable_sessions.version = $15 RETURNING 1) "
    "SELECT replaced.*, durable_unlock_at_commit($16) FROM (SELECT 1) AS one "
    "LEFT JOIN replaced ON true"
)
_DELETE_AND_UNLOCK = (
    f"WITH deleted AS (DELETE FROM durable_sessions WHERE {_BY_KEY} "
    f"AND ($5::text IS NULL OR id = $5) RETURNING {_KEYED}) "
    "SELECT deleted.*, durable_unlock_at_commit($6) FROM (SELECT 1) AS one "
    "LEFT JOIN deleted ON true"
)


class HeldLock:
    """A key's advisory lock held by one update, handed from ``PostgresKeyLocks`` to the
    store through a context variable.

    It carries the session the lock statement read (the store's next ``get`` of the key
    is served from it, once) and the connection holding the lock: the store's first
    write of the key goes through that connection and releases the lock when it commits
    (``released``), so an update costs two round trips. The rest of the update runs
    under the process's local lock only; a later write of the key is an ordinary
    compare-and-set write. Only the task that took the lock uses it: a task the update
    spawns reads and writes through the pool.
    """

    __slots__ = ("conn", "lock_id", "owner", "read", "released", "row", "unsure")

    def __init__(self, conn: Any, lock_id: int, row: Any) -> None:
        self.conn = conn
        self.lock_id = lock_id
        self.owner = asyncio.current_task()
        self.row = row  # what the lock statement read (None: no session)
        self.read = False  # the store's ``get`` has used ``row``
        self.released = False
        # A write through ``conn`` failed or was cancelled: whether the lock is still
        # held is unknown, so the connection must not be pooled again.
        self.unsure = False


_held: contextvars.ContextVar[dict[SessionKey, HeldLock] | None] = contextvars.ContextVar(
    "aiogram_durable_held_locks", default=None
)


def hold(key: SessionKey, held: HeldLock) -> contextvars.Token[dict[SessionKey, HeldLock] | None]:
    """Hand the lock of ``key`` (and what it read) to the store in this context."""
    return _held.set({**(_held.get() or {}), key: held})


def let_go(token: contextvars.Token[dict[SessionKey, HeldLock] | None]) -> None:
    """Take back what ``hold`` handed over (the update is ending)."""
    _held.reset(token)


def _held_lock(key: SessionKey) -> HeldLock | None:
    """The unreleased lock of ``key`` this task holds, or None."""
    held = (_held.get() or {}).get(key)
    if held is None or held.released or held.owner is not asyncio.current_task():
        return None
    return held


class PostgresSessionStore(SessionStore):
    """``durable_sessions`` in PostgreSQL."""

    def __init__(self, pool: Any, clock: Clock) -> None:
        super().__init__(clock)
        self.pool = pool

    @classmethod
    async def connect(
        cls,
        url: str,
        clock: Clock,
        *,
        min_size: int = 2,
        max_size: int = 20,
        connection_class: type[asyncpg.Connection] | None = None,
    ) -> PostgresSessionStore:
        """Open a pool to ``url`` (``connection_class``: asyncpg's extension point)."""
        pool = await create_pool(
            url, min_size=min_size, max_size=max_size, connection_class=connection_class
        )
        return cls(pool, clock)

    # -- plumbing ----------------------------------------------------------------------

    @staticmethod
    def _decode(row: Any) -> SessionRecord:
        key = SessionKey.from_parts(row[0], row[1], row[2], row[-1])
        return session_from_row(key, tuple(row)[3:-1])

    def _decode_quietly(self, row: Any) -> SessionRecord | None:
        try:
            return self._decode(row)
        except (ValueError, TypeError, KeyError) as exc:
            log.error("session.corrupt_row", session_id=row[3], reason=str(exc))
            return None

    async def _decode_or_drop(self, conn: Any, row: Any) -> SessionRecord | None:
        session = self._decode_quietly(row)
        if session is None:
            await conn.execute("DELETE FROM durable_sessions WHERE id = $1", row[3])
        return session

    # -- reading -----------------------------------------------------------------------

    async def get(self, key: SessionKey) -> SessionRecord | None:
        held = _held_lock(key)
        if held is not None and not held.read:
            # Read under the lock a moment ago: no round trip.
            held.read = True
            if held.row is None:
                return None
            return await self._checked(key, held.row)
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_KEYED} FROM durable_sessions WHERE {_BY_KEY}",
                key.bot_id,
                key.chat_id,
                key.user_id,
                key.scope,
            )
        return None if row is None else await self._checked(key, row)

    async def _checked(self, key: SessionKey, row: Any) -> SessionRecord | None:
        """The session of ``row`` if active; an undecodable row is removed and raised."""
        try:
            session = self._decode(row)
        except (ValueError, TypeError, KeyError) as exc:
            async with self.pool.acquire() as conn:
                await conn.execute("DELETE FROM durable_sessions WHERE id = $1", row[3])
            raise CorruptSession(key, str(row[3]), str(exc)) from None
        return None if session.is_expired(self.clock.now()) else session

    async def get_by_id(self, session_id: str) -> SessionRecord | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_KEYED} FROM durable_sessions WHERE id = $1 AND expires_at > $2",
                session_id,
                self.clock.now(),
            )
            return None if row is None else await self._decode_or_drop(conn, row)

    async def list_active(
        self, *, session_type: str | None = None, user_id: int | None = None, limit: int = 1000
    ) -> list[SessionRecord]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_KEYED} FROM durable_sessions WHERE expires_at > $1 "
                "AND ($2::text IS NULL OR session_type = $2) "
                "AND ($3::bigint IS NULL OR user_id = $3) "
                "ORDER BY created_at, id LIMIT $4",
                self.clock.now(),
                session_type,
                user_id,
                limit,
            )
            decoded = [await self._decode_or_drop(conn, row) for row in rows]
        return [s for s in decoded if s is not None]

    async def count_by_type(self) -> dict[str, int]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT session_type, count(*) FROM durable_sessions WHERE expires_at > $1 "
                "GROUP BY session_type",
                self.clock.now(),
            )
        return {str(r[0]): int(r[1]) for r in rows}

    # -- writing -----------------------------------------------------------------------

    async def _insert(
        self, session: SessionRecord, data_json: str, *, replace: bool
    ) -> SessionRecord | None:
        values = insert_values(session, data_json)
        held = _held_lock(session.key)
        if held is not None:
            inserted, displaced = await self._insert_and_unlock(held, values, replace=replace)
            if inserted:
                return displaced
        else:
            # Fast path, one statement: nothing is stored under the key (the usual case).
            async with self.pool.acquire() as conn:
                status = await conn.execute(
                    f"{_INSERT} ON CONFLICT (bot_id, chat_id, user_id, scope) DO NOTHING", *values
                )
            if status == "INSERT 0 1":
                return None
        return await self._insert_slowly(session.key, values, replace=replace)

    async def _insert_and_unlock(
        self, held: HeldLock, values: tuple[Any, ...], *, replace: bool
    ) -> tuple[bool, SessionRecord | None]:
        """Insert under the held lock, in one statement that also releases it, deciding
        from the session read under the lock; ``(inserted, displaced)``."""
        displaced = None
        if held.row is None:
            query, args = _INSERT_AND_UNLOCK, (*values, held.lock_id)
        else:
            displaced = self._decode_quietly(held.row)
            if displaced is not None and not replace and not displaced.is_expired(self.clock.now()):
                raise SessionExists(displaced)
            old_id, old_version = held.row[3], held.row[-2]
            query, args = _REPLACE_AND_UNLOCK, (*values, old_id, old_version, held.lock_id)
        row = await self._write_and_unlock(held, query, args)
        # Not inserted: somebody who does not take the lock (a sweep, a clear, a start
        # outside an update) changed the key meanwhile; the slow path sorts it out.
        return bool(row[0]), displaced

    async def _write_and_unlock(self, held: HeldLock, query: str, args: tuple[Any, ...]) -> Any:
        """Run a write that releases ``held`` when it commits, on the lock's connection."""
        held.released = True
        try:
            return await held.conn.fetchrow(query, *args)
        except BaseException:
            held.unsure = True
            raise

    async def _insert_slowly(
        self, key: SessionKey, values: tuple[Any, ...], *, replace: bool
    ) -> SessionRecord | None:
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(
                    f"SELECT {_KEYED} FROM durable_sessions WHERE {_BY_KEY} FOR UPDATE",
                    key.bot_id,
                    key.chat_id,
                    key.user_id,
                    key.scope,
                )
                displaced = None
                if row is not None:
                    displaced = self._decode_quietly(row)
                    if (
                        displaced is not None
                        and not replace
                        and not displaced.is_expired(self.clock.now())
                    ):
                        raise SessionExists(displaced)
                    await conn.execute("DELETE FROM durable_sessions WHERE id = $1", row[3])
                try:
                    # A savepoint, so a lost race leaves the outer transaction usable.
                    async with conn.transaction():
                        await conn.execute(_INSERT, *values)
                except asyncpg.UniqueViolationError:
                    # Another process inserted for the same key between our SELECT and
                    # INSERT: look again, under the row lock this time.
                    continue
                return displaced

    async def _save(
        self,
        session: SessionRecord,
        step: str | None,
        data: JsonDict,
        data_json: str,
        now: datetime,
        expires_at: datetime,
    ) -> SessionRecord:
        held = _held_lock(session.key)
        if held is not None:
            saved, _ = await self._write_and_unlock(
                held,
                _SAVE_AND_UNLOCK,
                (step, data_json, now, expires_at, session.id, session.version, held.lock_id),
            )
            if saved is None:
                async with self.pool.acquire() as conn:
                    row = await conn.fetchrow(_VERSION_AND_EXPIRY, session.id)
                self._refuse_save(session, now, *(row or (None, None)))
        else:
            async with self.pool.acquire() as conn:
                status = await conn.execute(
                    "UPDATE durable_sessions SET current_step = $1, session_data = $2, "
                    "updated_at = $3, expires_at = $4, version = version + 1 "
                    "WHERE id = $5 AND version = $6 AND expires_at > $3",
                    step,
                    data_json,
                    now,
                    expires_at,
                    session.id,
                    session.version,
                )
                if status != "UPDATE 1":
                    row = await conn.fetchrow(_VERSION_AND_EXPIRY, session.id)
                    self._refuse_save(session, now, *(row or (None, None)))
        return session.with_changes(
            step=step,
            data=data,
            updated_at=now,
            expires_at=expires_at,
            version=session.version + 1,
        )

    @staticmethod
    def _refuse_save(
        session: SessionRecord, now: datetime, version: int | None, expires: datetime | None
    ) -> NoReturn:
        """Raise why a compare-and-set save wrote nothing, from the stored row's
        version and expiry (None: no row)."""
        if version is None or expires is None or expires <= now:
            raise SessionNotFound(session.key, session.id)
        raise VersionConflict(session.key, session.version, int(version))

    async def delete(self, key: SessionKey, session_id: str | None = None) -> SessionRecord | None:
        held = _held_lock(key)
        if held is not None:
            row = await self._write_and_unlock(
                held,
                _DELETE_AND_UNLOCK,
                (key.bot_id, key.chat_id, key.user_id, key.scope, session_id, held.lock_id),
            )
            return None if row[3] is None else self._decode_quietly(tuple(row)[:-1])
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"DELETE FROM durable_sessions WHERE {_BY_KEY} "
                f"AND ($5::text IS NULL OR id = $5) RETURNING {_KEYED}",
                key.bot_id,
                key.chat_id,
                key.user_id,
                key.scope,
                session_id,
            )
        return None if row is None else self._decode_quietly(row)

    async def delete_many(
        self, *, user_id: int | None = None, session_type: str | None = None
    ) -> list[SessionRecord]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "DELETE FROM durable_sessions WHERE ($1::bigint IS NULL OR user_id = $1) "
                f"AND ($2::text IS NULL OR session_type = $2) RETURNING {_KEYED}",
                user_id,
                session_type,
            )
        decoded = [self._decode_quietly(r) for r in rows]
        return [s for s in decoded if s is not None]

    async def sweep(self, limit: int) -> list[SessionRecord]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(f"{_SWEEP_BATCH} RETURNING {_KEYED}", self.clock.now(), limit)
        decoded = [self._decode_quietly(r) for r in rows]
        return [s for s in decoded if s is not None]

    # Expired rows (counted at a round's start) from which a round sweeps page ranges.
    sweep_backlog = SWEEP_BACKLOG
    # The page ranges of the round in hand; None: batches picked through the index.
    _sweep_range: SweepRange | None = None
    # True until a round's first batch: it takes the quick look at the backlog.
    _sweep_round_new = True

    async def sweep_audited(
        self, limit: int, at: datetime, detail: dict[str, Any]
    ) -> ExpiredSessions:
        detail_json = json.dumps(detail)
        async with self.pool.acquire() as conn:
            if self._sweep_round_new:
                self._sweep_round_new = False
                backlog = await conn.fetchval(_SWEEP_BACKLOG, at, self.sweep_backlog)
                if backlog >= self.sweep_backlog:
                    pages = int(await conn.fetchval(_SWEEP_PAGES))
                    self._sweep_range = SweepRange(pages, span=8, min_yield=0.25)
            walk = self._sweep_range
            if walk is not None:
                return await self._sweep_pages(conn, walk, at, detail_json)
            # One statement, one round trip: delete the batch, audit it, return it.
            rows = await conn.fetch(_SWEEP_AUDITED, at, limit, detail_json)
        if len(rows) < limit:
            self._sweep_round_new = True
        return ExpiredSessions(rows, self._decode)

    async def _sweep_pages(
        self, conn: Any, walk: SweepRange, at: datetime, detail_json: str
    ) -> ExpiredSessions:
        """One batch of a page-range walk, timed so that it stays short."""
        loop = asyncio.get_running_loop()
        first, last = walk.next_range()
        started = loop.time()
        rows = await conn.fetch(_SWEEP_RANGE_AUDITED, at, detail_json, (first, 0), (last, 0))
        walk.done(last, len(rows), loop.time() - started)
        if walk.finished:
            # Whatever the walk missed (rows added past its end, rows saved then expired
            # behind it) is left to index batches, which end the round.
            self._sweep_range = None
        return ExpiredSessions(rows, self._decode, more=True)

    async def database_identity(self) -> str:
        async with self.pool.acquire() as conn:
            return f"postgresql:{await conn.fetchval(DATABASE_IDENTITY)}"

    async def ping(self) -> None:
        async with self.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    async def close(self) -> None:
        await self.pool.close()

    def reset_connections(self) -> None:
        # After a server restart every pooled connection is dead; without this each
        # would fail one more request before the pool noticed.
        self.pool.expire_connections()
