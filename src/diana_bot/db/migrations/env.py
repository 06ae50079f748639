"""Alembic environment: async engine, URL from the caller, batch mode for SQLite.

The session tables belong to aiogram_durable, which migrates them itself: its
migrations run first, on the same connection and in the same transaction, with their
own version table; autogenerate leaves its tables alone.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from aiogram_durable import schema as durable_schema
from diana_bot.db.engine import create_engine
from diana_bot.db.models import Base

target_metadata = Base.metadata


def _not_the_librarys(name: str | None, type_: str, _parent: object) -> bool:
    return not durable_schema.is_ours(name, type_)


def _configure(connection: Connection) -> None:
    # Diana's revisions from 0004 on read the library's tables: they come first.
    durable_schema.upgrade_connection(connection)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_not_the_librarys,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str) -> None:
    engine = create_engine(url)
    try:
        # One transaction for both migration runs: it commits when both succeeded.
        async with engine.begin() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


def _url() -> str:
    url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to Alembic")
    return str(url)


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online(_url()))
