"""The library's own migration stairway: every revision up, down and up again, on SQLite
and PostgreSQL, and at the head the PostgreSQL functions the locks call."""

from __future__ import annotations

import asyncpg
from alembic.script import ScriptDirectory

from aiogram_durable.schema import MIGRATIONS_DIR, downgrade, upgrade
from aiogram_durable.urls import asyncpg_dsn

LOCK_FUNCTIONS = {"durable_lock_and_read", "durable_unlock_at_commit"}


def _revisions() -> list[tuple[str, str]]:
    """(revision, the one below it or 'base'), oldest first."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [
        (r.revision, str(r.down_revision or "base"))
        for r in reversed(list(script.walk_revisions()))
    ]


async def test_every_revision_goes_up_down_and_up(db_url: str) -> None:
    revisions = _revisions()
    assert [r for r, _ in revisions] == ["d0001", "d0002", "d0003"]
    for revision, below in revisions:
        await upgrade(db_url, revision)
        await downgrade(db_url, below)
        await upgrade(db_url, revision)
    await downgrade(db_url, "base")
    await upgrade(db_url)


async def _functions(pg_url: str) -> set[str]:
    conn = await asyncpg.connect(asyncpg_dsn(pg_url))
    try:
        rows = await conn.fetch(
            "SELECT proname FROM pg_proc WHERE proname = ANY($1::text[])", list(LOCK_FUNCTIONS)
        )
    finally:
        await conn.close()
    return {str(r["proname"]) for r in rows}


async def test_the_lock_functions_come_and_go_with_their_revisions(pg_url: str) -> None:
    await upgrade(pg_url)
    assert await _functions(pg_url) == LOCK_FUNCTIONS
    await downgrade(pg_url, "d0002")
    assert await _functions(pg_url) == {"durable_lock_and_read"}
    await downgrade(pg_url, "d0001")
    assert await _functions(pg_url) == set()
    await upgrade(pg_url)
    assert await _functions(pg_url) == LOCK_FUNCTIONS
