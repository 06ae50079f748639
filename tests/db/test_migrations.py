"""The migration stairway: every revision up, down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from diana_bot.db.engine import create_engine
from diana_bot.db.migrate import alembic_config, downgrade, upgrade

EXPECTED_TABLES = {"channels", "tariffs", "admin_sessions", "admin_session_events"}


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    return names - {"alembic_version"}


async def test_stairway(db_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(db_url))
    revisions = list(reversed(list(script.walk_revisions())))
    assert [r.revision for r in revisions] == ["0001", "0002", "0003"]
    for revision in revisions:
        await asyncio.to_thread(upgrade, db_url, revision.revision)
        below = revision.down_revision
        assert below is None or isinstance(below, str)
        await asyncio.to_thread(downgrade, db_url, below or "base")
        await asyncio.to_thread(upgrade, db_url, revision.revision)
    assert await _tables(db_url) == EXPECTED_TABLES
    await asyncio.to_thread(downgrade, db_url, "base")
    assert await _tables(db_url) == set()


async def test_schema_matches_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from diana_bot.db.models import Base

    await asyncio.to_thread(upgrade, db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []
