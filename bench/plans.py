"""The sweep statement's plan, as the database runs it.

``bench.sweep.open_copy(capture=True)`` records the statements a store sends (sqlite3's
trace callback, an asyncpg query logger); these helpers explain the sweep ``DELETE``
with ``EXPLAIN QUERY PLAN`` on SQLite and ``EXPLAIN (ANALYZE, BUFFERS)`` in a
rolled-back transaction on PostgreSQL, and check which index it reads.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiogram_durable import PostgresSessionStore, SqliteSessionStore
from aiogram_durable.expired import SWEEPER_DETAIL

if TYPE_CHECKING:
    from bench.sweep import Copy

INDEX = "ix_durable_sessions_expires_at"
BATCH = 500  # the sweeper's default batch, as in bench.sweep


async def explain(copy: Copy, backend: str) -> list[str]:
    """Run sweep batches as the bench's sweeper does (audited by the store, the trail in
    the same database) to capture the statement now used, then explain it: at a large
    backlog that is the storage-order batch (a page range on PostgreSQL, a rowid range
    on SQLite), else the batch picked through the expiry index."""
    store = copy.store
    assert isinstance(store, SqliteSessionStore | PostgresSessionStore)
    # The first batch of a round takes the quick look at the backlog; the second is a
    # batch like the rest of the round.
    await store.sweep_audited(BATCH, datetime.now(UTC), SWEEPER_DETAIL)
    walking = getattr(store, "_sweep_conn", None)
    if isinstance(walking, sqlite3.Connection):
        # SQLite walks on a connection of its own: trace that one too.
        walking.set_trace_callback(
            lambda sql: copy.statements.append((sql, ())) if "expires_at <=" in sql else None
        )
    del copy.statements[:]
    await store.sweep_audited(BATCH, datetime.now(UTC), SWEEPER_DETAIL)
    if not copy.statements:
        return ["(no sweep statement captured)"]
    if backend == "sqlite":
        assert isinstance(store, SqliteSessionStore)
        lines: list[str] = []
        # Each statement of the batch's transaction (audit insert, delete); the store's
        # own connection (private on purpose) explains them.
        for sql, _args in copy.statements:
            if sql.startswith(("BEGIN", "COMMIT")):
                continue
            rows = store._conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            lines += [f"-- {sql}", *(f"{'  ' * _depth(rows, r)}{r[3]}" for r in rows)]
        return lines
    sql, args = copy.statements[-1]
    assert isinstance(store, PostgresSessionStore)
    async with store.pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
        finally:
            await tx.rollback()
    shown_args = ", ".join(repr(a) if not isinstance(a, datetime) else a.isoformat() for a in args)
    return [f"-- {sql}", f"-- args: {shown_args}", *(str(r[0]) for r in plan)]


def _depth(rows: list[Any], row: Any) -> int:
    """Nesting depth of an EXPLAIN QUERY PLAN row (rows are (id, parent, _, detail))."""
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent:
        depth += 1
        parent = parents.get(parent, 0)
    return depth


def uses_index(plan: list[str]) -> bool:
    """True when the plan reads the expiry index (a batch of a large backlog reads a
    range of the table in storage order instead: ``range_scans``)."""
    return any(INDEX in line for line in plan if not line.startswith("--"))


def range_scans(plan: list[str]) -> list[str]:
    """Plan lines that read a range of the table in storage order (a TID Range Scan on
    PostgreSQL, a rowid range on SQLite)."""
    return [
        line.strip()
        for line in plan
        if not line.startswith("--") and ("Tid Range Scan" in line or "(rowid>" in line)
    ]


def full_scans(plan: list[str]) -> list[str]:
    """Plan lines that read the whole table (a sweep batch must not)."""
    return [
        line.strip()
        for line in plan
        if not line.startswith("--")
        and ("Seq Scan on durable_sessions" in line or line.strip() == "SCAN durable_sessions")
    ]
