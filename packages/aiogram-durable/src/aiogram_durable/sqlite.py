"""SQLite backend on a dedicated stdlib ``sqlite3`` connection.

Why not SQLAlchemy or aiosqlite here: one SQLAlchemy statement over aiosqlite costs
~276 µs of Python and each aiosqlite call a thread hop (~49 µs), while a prepared
statement on a local ``sqlite3`` connection costs a few µs. Statements here are short
and never span an ``await``, so running them on the event loop blocks it for less time
than a thread hop would take. Sweeps run in batches so the loop is never held long.

Durability: WAL with ``synchronous=NORMAL``. A committed step survives a crash of the
bot process; after a power loss or OS crash the last few commits may roll back (never
corrupt the file). ``DATABASE_SQLITE_SYNCHRONOUS=FULL`` is not offered: measure first.

Locking: the domain services write the same file through SQLAlchemy. So that this
connection never blocks the loop while another writer waits for the loop to commit,
it uses no busy timeout and retries a busy database asynchronously instead.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from datetime import datetime
from typing import Any

from aiogram_durable.clock import Clock
from aiogram_durable.expired import SWEEP_BACKLOG, ExpiredSessions, SweepRange
from aiogram_durable.files import create_private_file
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
from aiogram_durable.rows import (
    insert_values,
    parse_sqlite_time,
    session_from_sqlite_row,
    sqlite_time,
)
from aiogram_durable.schema import KEYED_COLUMNS
from aiogram_durable.store import SessionStore

log = get_logger(__name__)

_KEYED = ", ".join(KEYED_COLUMNS)
_BY_KEY = "bot_id = ? AND chat_id = ? AND user_id = ? AND scope = ?"
_BUSY_RETRY_S = 10.0
_GET = f"SELECT {_KEYED} FROM durable_sessions WHERE {_BY_KEY}"
_SAVE = (
    "UPDATE durable_sessions SET current_step = ?, session_data = ?, updated_at = ?, "
    "expires_at = ?, version = version + 1 WHERE id = ? AND version = ? AND expires_at > ?"
)
_DELETE = (
    f"DELETE FROM durable_sessions WHERE {_BY_KEY} AND (? IS NULL OR id = ?) RETURNING {_KEYED}"
)
_INSERT = (
    "INSERT INTO durable_sessions (bot_id, chat_id, user_id, scope, id, session_type, "
    "schema_version, current_step, session_data, created_at, updated_at, expires_at, version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_IF_FREE = _INSERT + " ON CONFLICT (bot_id, chat_id, user_id, scope) DO NOTHING"
# A sweep batch: expired rows, soonest expired first; rowid is the index's own tail, so
# the order is total and no sort is needed.
_SWEEP_PICK = (
    "SELECT rowid FROM durable_sessions WHERE expires_at <= ? ORDER BY expires_at, rowid LIMIT ?"
)
_SWEEP_AUDIT = (
    "INSERT INTO durable_session_events "
    "(session_id, user_id, session_type, event, step, at, detail) "
    "SELECT id, user_id, session_type, 'expired', current_step, ?, ? "
    f"FROM durable_sessions WHERE rowid IN ({_SWEEP_PICK})"
)
_SWEEP_DELETE = f"DELETE FROM durable_sessions WHERE rowid IN ({_SWEEP_PICK}) RETURNING {_KEYED}"
# A large backlog is swept in rowid order (storage order: the table is a b-tree on
# rowid), a range per batch, on a connection of the sweep's own in a worker thread: the
# loop's connection goes on reading (WAL) and writes as soon as a batch commits.
# ``+expires_at`` keeps the planner on the rowid range, off the expiry index.
_SWEEP_ROWIDS = "FROM durable_sessions WHERE rowid >= ? AND rowid < ? AND +expires_at <= ?"
_SWEEP_ROWIDS_AUDIT = (
    "INSERT INTO durable_session_events "
    "(session_id, user_id, session_type, event, step, at, detail) "
    f"SELECT id, user_id, session_type, 'expired', current_step, ?, ? {_SWEEP_ROWIDS}"
)
_SWEEP_ROWIDS_DELETE = f"DELETE {_SWEEP_ROWIDS} RETURNING {_KEYED}"
# The quick look at a round's start: expired rows counted in the expiry index, stopped
# at the backlog size.
_SWEEP_BACKLOG = (
    "SELECT count(*) FROM (SELECT 1 FROM durable_sessions WHERE expires_at <= ? LIMIT ?)"
)
# The sweep connection's page cache: a batch rewrites pages of four indexes of the
# sessions and three of the events; SQLite's default (2 MiB) would read most of them
# back from the OS for every batch. Freed when the round ends.
_SWEEP_CACHE_KIB = 65536
# How long a rowid batch may hold the write lock: a step's write waits one batch at
# most (``_SweepTurns``), so the batch can be twice the loop's without starving steps.
_SWEEP_RANGE_TARGET_S = 0.01
# How long the sweep thread, after a commit, waits for the loop's waiting writers to be
# done: short, so that a writer stuck elsewhere cannot stop the sweep.
_HAND_OVER_S = 0.02
# How long the sweep connection waits for the write lock (in its thread, off the loop).
_SWEEP_BUSY_MS = 5000
# SQLite's default auto-checkpoint (pages), restored when a sweep round ends.
_AUTOCHECKPOINT = 1000
# Expired rows between two checkpoints during a sweep (~5 WAL pages each).
_CHECKPOINT_EVERY = 5000


def _checkpoint(path: str) -> None:
    """Copy the WAL into the database, on a connection of its own (any thread)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        conn.close()


def _open_sweep_connection(path: str) -> sqlite3.Connection:
    """The connection a backlog is swept on, used from one worker thread at a time."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={_SWEEP_BUSY_MS}")
    conn.execute(f"PRAGMA cache_size=-{_SWEEP_CACHE_KIB}")
    # A checkpoint inside a batch's commit would count as the batch's time and shrink
    # the next ones; the walk checkpoints on a third connection instead (``_checkpoint``).
    conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


class _SweepTurns:
    """Fair hand-over of the write lock between the sweep thread and the loop's writers.

    The loop's connection has no busy timeout and backs off on a growing timer, which
    is right against other connections but, against a sweep thread that retakes the
    lock right after each commit, keeps missing the gaps. So a loop writer that meets
    the sweep's batch waits for that batch's commit (a future resolved from the
    thread), and the thread, after each commit, lets waiting writers go first.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        # The sweep thread holds (or is taking) the write lock. Written by the thread,
        # read on the loop; single attribute accesses are atomic under the GIL.
        self.in_batch = False
        # Loop writers retrying a busy write; read by the thread after a commit.
        self.waiting = 0
        # Set on the loop when no writer waits any more; the thread waits on it.
        self.writers_done = threading.Event()
        self._committed: asyncio.Future[None] | None = None
        self.batches = 0  # batches committed (or given up), for tests

    # -- the loop's side -----------------------------------------------------------

    def next_commit(self) -> asyncio.Future[None]:
        """Resolved when the sweep's batch in hand commits (or fails)."""
        if self._committed is None:
            self._committed = self._loop.create_future()
        return self._committed

    def _batch_over(self) -> None:
        committed, self._committed = self._committed, None
        if committed is not None and not committed.done():
            committed.set_result(None)

    def writer_in(self) -> None:
        self.waiting += 1

    def writer_out(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.writers_done.set()

    # -- the sweep thread's side ---------------------------------------------------

    def begin(self) -> None:
        self.in_batch = True

    def end(self) -> None:
        """The batch committed (or failed): wake the writers it blocked, then give
        them the lock before taking it again."""
        self.in_batch = False
        self.batches += 1
        try:
            self._loop.call_soon_threadsafe(self._batch_over)
        except RuntimeError:  # the loop closed under a stopped round: nobody waits
            return
        # Cleared before ``waiting`` is read: a writer leaving in between sets it again.
        self.writers_done.clear()
        if self.waiting > 0:
            self.writers_done.wait(_HAND_OVER_S)


def _sweep_rowids_tx(
    conn: sqlite3.Connection,
    turns: _SweepTurns,
    at: str,
    detail: str,
    first: int,
    last: int,
) -> tuple[list[tuple[Any, ...]], float]:
    """Audit and delete the expired rows with rowid in [first, last), in a worker
    thread; (rows, seconds the write lock was held)."""
    turns.begin()
    try:
        conn.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        try:
            # Same rows twice in one write transaction: nothing else writes in between.
            conn.execute(_SWEEP_ROWIDS_AUDIT, (at, detail, first, last, at))
            rows = conn.execute(_SWEEP_ROWIDS_DELETE, (first, last, at)).fetchall()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        held = time.perf_counter() - started
    finally:
        turns.end()
    return rows, held


def _close_sweep_connection(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        conn.close()


def _main_file(conn: sqlite3.Connection) -> str:
    """The absolute path of the connection's main database file ('' in memory)."""
    for _seq, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file)
    return ""


class SqliteSessionStore(SessionStore):
    """``durable_sessions`` in a SQLite file, through one synchronous connection."""

    blocks_event_loop = True

    def __init__(self, path: str, clock: Clock) -> None:
        super().__init__(clock)
        self._path = path
        create_private_file(path)
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=64
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=0")

    # -- plumbing ----------------------------------------------------------------------

    async def _retry(self, fn: Any, *args: Any) -> Any:
        """Run ``fn`` (one transaction) until the database is not busy."""
        turns = self._turns
        if turns is None:
            return await self._retry_busy(None, fn, args)
        # Counted while retrying: the sweep thread lets counted writers go first.
        turns.writer_in()
        try:
            return await self._retry_busy(turns, fn, args)
        finally:
            turns.writer_out()

    async def _retry_busy(self, turns: _SweepTurns | None, fn: Any, args: Any) -> Any:
        delay = 0.0005
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _BUSY_RETRY_S
        while True:
            try:
                return fn(*args)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if loop.time() > deadline:
                    raise
            if turns is not None and turns.in_batch:
                # Our own sweep holds the lock: its commit is the moment to retry.
                committed = turns.next_commit()
                await asyncio.wait([committed], timeout=max(0.0, deadline - loop.time()))
                continue
            # Back off without holding the loop: the other writer needs it to commit.
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _decode(self, row: tuple[Any, ...], key: SessionKey | None = None) -> SessionRecord:
        """The session of ``row``; ``key``: the row's key when the query fixed it."""
        if key is None:
            key = SessionKey.from_parts(row[0], row[1], row[2], row[-1])
        return session_from_sqlite_row(key, row)

    def _decode_or_drop(self, row: tuple[Any, ...]) -> SessionRecord | None:
        try:
            return self._decode(row)
        except (ValueError, TypeError, KeyError) as exc:
            log.error("session.corrupt_row", session_id=row[3], reason=str(exc))
            self._conn.execute("DELETE FROM durable_sessions WHERE id = ?", (row[3],))
            return None

    # -- reading -----------------------------------------------------------------------

    async def get(self, key: SessionKey) -> SessionRecord | None:
        row = self._conn.execute(_GET, (key.bot_id, key.chat_id, key.user_id, key.scope)).fetchone()
        if row is None:
            return None
        try:
            session = session_from_sqlite_row(key, row)
        except (ValueError, TypeError, KeyError) as exc:
            await self._retry(self._delete_id, row[3])
            raise CorruptSession(key, str(row[3]), str(exc)) from None
        return None if session.is_expired(self.clock.now()) else session

    def _delete_id(self, session_id: str) -> None:
        self._conn.execute("DELETE FROM durable_sessions WHERE id = ?", (session_id,))

    async def get_by_id(self, session_id: str) -> SessionRecord | None:
        row = self._conn.execute(
            f"SELECT {_KEYED} FROM durable_sessions WHERE id = ? AND expires_at > ?",
            (session_id, sqlite_time(self.clock.now())),
        ).fetchone()
        return None if row is None else await self._retry(self._decode_or_drop, row)

    async def list_active(
        self, *, session_type: str | None = None, user_id: int | None = None, limit: int = 1000
    ) -> list[SessionRecord]:
        sql = f"SELECT {_KEYED} FROM durable_sessions WHERE expires_at > ?"
        args: list[Any] = [sqlite_time(self.clock.now())]
        if session_type is not None:
            sql += " AND session_type = ?"
            args.append(session_type)
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        sql += " ORDER BY created_at, id LIMIT ?"
        args.append(limit)
        rows = self._conn.execute(sql, args).fetchall()
        decoded = [await self._retry(self._decode_or_drop, row) for row in rows]
        return [s for s in decoded if s is not None]

    async def count_by_type(self) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT session_type, count(*) FROM durable_sessions WHERE expires_at > ? "
            "GROUP BY session_type",
            (sqlite_time(self.clock.now()),),
        ).fetchall()
        return {str(t): int(n) for t, n in rows}

    # -- writing -----------------------------------------------------------------------

    async def _insert(
        self, session: SessionRecord, data_json: str, *, replace: bool
    ) -> SessionRecord | None:
        # Fast path, one statement: nothing is stored under the key (the usual case).
        try:
            inserted = self._insert_row(session, data_json, if_free=True)
        except sqlite3.OperationalError:
            inserted = await self._retry(self._insert_if_free, session, data_json)
        if inserted:
            return None
        result: SessionRecord | None = await self._retry(
            self._insert_tx, session, data_json, replace
        )
        return result

    def _insert_row(self, session: SessionRecord, data_json: str, *, if_free: bool) -> bool:
        """INSERT the session; with ``if_free`` a taken key inserts nothing (False)."""
        cursor = self._conn.execute(
            _INSERT_IF_FREE if if_free else _INSERT,
            insert_values(session, data_json, sqlite_time),
        )
        return cursor.rowcount == 1

    def _insert_if_free(self, session: SessionRecord, data_json: str) -> bool:
        return self._insert_row(session, data_json, if_free=True)

    def _insert_tx(
        self, session: SessionRecord, data_json: str, replace: bool
    ) -> SessionRecord | None:
        key = session.key
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(_GET, (key.bot_id, key.chat_id, key.user_id, key.scope)).fetchone()
            displaced = None
            if row is not None:
                displaced = self._decode_or_drop(row)
                if (
                    displaced is not None
                    and not replace
                    and not displaced.is_expired(self.clock.now())
                ):
                    raise SessionExists(displaced)
                conn.execute("DELETE FROM durable_sessions WHERE id = ?", (row[3],))
            self._insert_row(session, data_json, if_free=False)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
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
        now_s = sqlite_time(now)
        args = (step, data_json, now_s, sqlite_time(expires_at), session.id, session.version, now_s)
        # Autocommit mode: this single UPDATE is its own transaction.
        try:
            cursor = self._conn.execute(_SAVE, args)
        except sqlite3.OperationalError:
            cursor = await self._retry(self._conn.execute, _SAVE, args)
        if cursor.rowcount != 1:
            row = self._conn.execute(
                "SELECT version, expires_at FROM durable_sessions WHERE id = ?", (session.id,)
            ).fetchone()
            if row is None or parse_sqlite_time(row[1]) <= now:
                raise SessionNotFound(session.key, session.id)
            raise VersionConflict(session.key, session.version, int(row[0]))
        # Built directly: ``with_changes`` would copy every field by name.
        return SessionRecord(
            session.id,
            session.key,
            session.session_type,
            session.schema_version,
            step,
            data,
            session.created_at,
            now,
            expires_at,
            session.version + 1,
            session.applied_updates,
        )

    async def delete(self, key: SessionKey, session_id: str | None = None) -> SessionRecord | None:
        args = (key.bot_id, key.chat_id, key.user_id, key.scope, session_id, session_id)
        try:
            rows = self._fetch_all(_DELETE, args)
        except sqlite3.OperationalError:
            rows = await self._retry(self._fetch_all, _DELETE, args)
        for row in rows:  # at most one: the key is unique
            session = self._decode_quietly(row, key)
            if session is not None:
                return session
        return None

    def _fetch_all(self, sql: str, args: Any) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, args).fetchall()

    def _decode_quietly(
        self, row: tuple[Any, ...], key: SessionKey | None = None
    ) -> SessionRecord | None:
        try:
            return self._decode(row, key)
        except (ValueError, TypeError, KeyError) as exc:
            log.error("session.corrupt_row", session_id=row[3], reason=str(exc))
            return None

    async def delete_many(
        self, *, user_id: int | None = None, session_type: str | None = None
    ) -> list[SessionRecord]:
        sql = "DELETE FROM durable_sessions WHERE 1 = 1"
        args: list[Any] = []
        if user_id is not None:
            sql += " AND user_id = ?"
            args.append(user_id)
        if session_type is not None:
            sql += " AND session_type = ?"
            args.append(session_type)
        rows = await self._retry(self._fetch_all, f"{sql} RETURNING {_KEYED}", args)
        decoded = [self._decode_quietly(r) for r in rows]
        return [s for s in decoded if s is not None]

    # Rows expired since the sweep last checkpointed the WAL, and that checkpoint.
    _swept_since_checkpoint = 0
    _checkpointing: asyncio.Future[None] | None = None

    async def sweep(self, limit: int) -> list[SessionRecord]:
        # One statement: SQLite has a single writer, so no two sweepers get the same row.
        rows = await self._retry(
            self._fetch_all,
            f"DELETE FROM durable_sessions WHERE rowid IN ({_SWEEP_PICK}) RETURNING {_KEYED}",
            (sqlite_time(self.clock.now()), limit),
        )
        decoded = [self._decode_quietly(r) for r in rows]
        return [s for s in decoded if s is not None]

    # Expired rows (counted at a round's start) from which a round walks rowid ranges.
    sweep_backlog = SWEEP_BACKLOG
    # The rowid walk of the round in hand and its connection; None: index batches.
    _sweep_range: SweepRange | None = None
    _sweep_conn: sqlite3.Connection | None = None
    # The hand-over between the walk's thread and the loop's writers, during a walk.
    _turns: _SweepTurns | None = None
    # True until a round's first batch: it takes the quick look at the backlog.
    _sweep_round_new = True

    async def sweep_audited(
        self, limit: int, at: datetime, detail: dict[str, Any]
    ) -> ExpiredSessions:
        at_s, detail_json = sqlite_time(at), json.dumps(detail)
        if self._sweep_round_new:
            self._sweep_round_new = False
            await self._look_at_backlog(at_s)
        if self._sweep_range is not None:
            return await self._sweep_rowids(self._sweep_range, at_s, detail_json)
        batch = await self._sweep_by_index(limit, at_s, detail_json)
        if len(batch) < limit:
            self._sweep_round_new = True
        return batch

    async def _look_at_backlog(self, at: str) -> None:
        path = self._path if _main_file(self._conn) else ""
        if not path:  # in memory: no second connection can see it
            return
        (backlog,) = self._conn.execute(_SWEEP_BACKLOG, (at, self.sweep_backlog)).fetchone()
        if backlog < self.sweep_backlog:
            return
        (top,) = self._conn.execute("SELECT max(rowid) FROM durable_sessions").fetchone()
        self._sweep_conn = await asyncio.to_thread(_open_sweep_connection, path)
        # Commits on the loop's connection must not checkpoint the growing WAL on the
        # loop: the walk checkpoints it, in worker threads.
        self._conn.execute("PRAGMA wal_autocheckpoint=0")
        self._turns = _SweepTurns(asyncio.get_running_loop())
        self._sweep_range = SweepRange(
            int(top or 0) + 1, span=256, min_yield=0.01, target_s=_SWEEP_RANGE_TARGET_S
        )

    async def _sweep_rowids(self, walk: SweepRange, at: str, detail: str) -> ExpiredSessions:
        """One batch of the rowid walk, off the loop, timed by how long it held the
        write lock (what steps wait for)."""
        conn, turns = self._sweep_conn, self._turns
        assert conn is not None and turns is not None
        first, last = walk.next_range()
        rows, held = await asyncio.to_thread(_sweep_rowids_tx, conn, turns, at, detail, first, last)
        walk.done(last, len(rows), held)
        self._checkpoint_beside(len(rows))
        if walk.finished:
            await self._checkpoint_done()
            # Rows the walk missed (added past its end, saved then expired behind it)
            # are left to index batches, which end the round.
            self._sweep_range = self._sweep_conn = self._turns = None
            await asyncio.to_thread(_close_sweep_connection, conn)
            self._conn.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT}")
        return ExpiredSessions(rows, self._decode, more=True)

    def _checkpoint_beside(self, swept: int) -> None:
        """Every ``_CHECKPOINT_EVERY`` swept rows, checkpoint in a worker thread on a
        connection of its own, beside the next batches: a checkpoint copies the WAL into
        the file and syncs it, which would hold the loop (or a batch's commit) for
        milliseconds; PASSIVE blocks no writer."""
        self._swept_since_checkpoint += swept
        running = self._checkpointing
        if self._swept_since_checkpoint >= _CHECKPOINT_EVERY and (
            running is None or running.done()
        ):
            self._swept_since_checkpoint = 0
            self._checkpointing = asyncio.ensure_future(asyncio.to_thread(_checkpoint, self._path))

    async def _checkpoint_done(self) -> None:
        """Wait for the checkpoint in hand, if any (the sweep round is ending)."""
        if self._checkpointing is not None:
            await self._checkpointing
            self._checkpointing = None

    async def _sweep_by_index(self, limit: int, at: str, detail: str) -> ExpiredSessions:
        rows: list[tuple[Any, ...]] = await self._retry(self._sweep_audited_tx, at, limit, detail)
        self._checkpoint_beside(len(rows))
        if len(rows) < limit:  # the round is over: hand checkpoints back to SQLite
            await self._checkpoint_done()
            self._conn.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT}")
        return ExpiredSessions(rows, self._decode)

    def _sweep_audited_tx(self, at: str, limit: int, detail: str) -> list[tuple[Any, ...]]:
        conn = self._conn
        # Until the round ends no commit checkpoints on the loop's thread: the sweep
        # checkpoints from a worker thread instead (``_checkpoint``).
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Same pick twice in one write transaction: the same rows (nothing else
            # writes in between, and the order is total).
            conn.execute(_SWEEP_AUDIT, (at, detail, at, limit))
            rows = conn.execute(_SWEEP_DELETE, (at, limit)).fetchall()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return rows

    async def database_identity(self) -> str:
        # An in-memory database ('') is never another connection's.
        return f"sqlite:{_main_file(self._conn) or id(self)}"

    async def ping(self) -> None:
        self._conn.execute("SELECT 1").fetchone()

    async def close(self) -> None:
        if self._sweep_conn is not None:  # a round stopped mid-walk
            self._sweep_conn.close()
        self._conn.close()
