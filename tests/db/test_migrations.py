"""The migration stairway: every revision up, down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from diana_bot.db.engine import create_engine
from diana_bot.db.migrate import alembic_config, downgrade, upgrade

# The session tables are aiogram_durable's: Diana's env.py migrates them first, and
# taking Diana down to "base" leaves them to the library.
LIBRARY_TABLES = {"durable_sessions", "durable_session_events", "durable_schema_version"}
EXPECTED_TABLES = {"channels", "tariffs"} | LIBRARY_TABLES


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
    assert [r.revision for r in revisions] == ["0001", "0002", "0003", "0004"]
    for revision in revisions:
        await asyncio.to_thread(upgrade, db_url, revision.revision)
        below = revision.down_revision
        assert below is None or isinstance(below, str)
        await asyncio.to_thread(downgrade, db_url, below or "base")
        await asyncio.to_thread(upgrade, db_url, revision.revision)
    assert await _tables(db_url) == EXPECTED_TABLES
    await asyncio.to_thread(downgrade, db_url, "base")
    assert await _tables(db_url) == LIBRARY_TABLES


async def _execute(url: str, *statements: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result: list[tuple[object, ...]] = []
            for statement in statements:
                cursor = await conn.execute(text(statement))
                if cursor.returns_rows:
                    result = [tuple(row) for row in cursor]
            return result
    finally:
        await engine.dispose()


async def test_open_sessions_move_to_the_library_and_back(db_url: str) -> None:
    # An upgrade is a restart: a half-finished flow must carry on across it.
    await asyncio.to_thread(upgrade, db_url, "0003")
    await _execute(
        db_url,
        "INSERT INTO admin_sessions (id, bot_id, chat_id, user_id, scope, session_type, "
        "schema_version, current_step, session_data, created_at, updated_at, expires_at, "
        "version) VALUES ('s1', 1, 2, 2, '', 'tariff_creation', 1, 'price', '{\"a\": 1}', "
        "'2026-01-01 10:00:00', '2026-01-01 10:00:00', '2099-01-01 10:00:00', 3)",
        "INSERT INTO admin_session_events (session_id, user_id, session_type, event, step, at) "
        "VALUES ('s1', 2, 'tariff_creation', 'started', 'price', '2026-01-01 10:00:00')",
    )
    await asyncio.to_thread(upgrade, db_url, "head")
    moved = await _execute(
        db_url, "SELECT id, current_step, session_data, version FROM durable_sessions"
    )
    assert moved == [("s1", "price", '{"a": 1}', 3)]
    trail = await _execute(db_url, "SELECT session_id, event FROM durable_session_events")
    assert trail == [("s1", "started")]
    assert "admin_sessions" not in await _tables(db_url)
    await asyncio.to_thread(downgrade, db_url, "0003")
    back = await _execute(db_url, "SELECT id, current_step, version FROM admin_sessions")
    assert back == [("s1", "price", 3)]
    assert await _execute(db_url, "SELECT id FROM durable_sessions") == []


async def test_schema_matches_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from aiogram_durable.schema import is_ours
    from diana_bot.db.models import Base

    await asyncio.to_thread(upgrade, db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"include_name": lambda n, t, _p: not is_ours(n, t)}
                    ),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert diff == []
