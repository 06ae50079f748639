"""Reading the database behind a bot process, from a test."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from diana_bot.db.engine import create_engine


async def rows(url: str, query: Select[Any]) -> list[Any]:
    """All ORM objects a query returns (a fresh engine: the bot is another process)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine)() as session:
            return list((await session.scalars(query)).all())
    finally:
        await engine.dispose()


async def records(url: str, query: Select[Any]) -> list[Any]:
    """All rows a Core query returns (the session tables are the library's, not ORM)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).all())
    finally:
        await engine.dispose()
