"""The sweep statement's plan, as the database runs it.

``bench.sweep.open_copy(capture=True)`` records the statements a store sends (sqlite3's
trace callback, an asyncpg query logger); these helpers explain the sweep ``DELETE``
with ``EXPLAIN QUERY PLAN`` on SQLite and ``EXPLAIN (ANALYZE, BUFFERS)`` in a
rolled-back transaction on PostgreSQL, and check which index it reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiogram_durable import PostgresSessionStore, SqliteSessionStore

if TYPE_CHECKING:
    from bench.sweep import Copy

INDEX = "ix_durable_sessions_expires_at"
BATCH = 500  # the sweeper's default batch, as in bench.sweep


async def explain(copy: Copy, backend: str) -> list[str]:
    """Run one sweep batch to capture the statement, then explain it."""
    await copy.store.sweep(BATCH)
    if not copy.statements:
        return ["(no sweep statement captured)"]
    sql, args = copy.statements[-1]
    if backend == "sqlite":
        assert isinstance(copy.store, SqliteSessionStore)
        # The store's own connection (private on purpose): the plan of its statement.
        rows = copy.store._conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
        return [f"-- {sql}", *(f"{'  ' * _depth(rows, r)}{r[3]}" for r in rows)]
    assert isinstance(copy.store, PostgresSessionStore)
    async with copy.store.pool.acquire() as conn:
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
    """True when the plan reads the expiry index."""
    return any(INDEX in line for line in plan if not line.startswith("--"))


def full_scans(plan: list[str]) -> list[str]:
    """Plan lines that read the whole table (a sweep batch must not)."""
    return [
        line.strip()
        for line in plan
        if not line.startswith("--")
        and ("Seq Scan on durable_sessions" in line or line.strip() == "SCAN durable_sessions")
    ]
