"""Round trips counted at the driver, not timed: an asyncpg connection that counts every
call that goes to the server (the prepared-statement cache's first Parse aside)."""

from __future__ import annotations

from typing import Any, ClassVar

import asyncpg
import redis.asyncio
import redis.asyncio.connection


class CountingConnection(asyncpg.Connection):  # type: ignore[misc]
    """Counts queries on a class attribute; ``counting()`` makes a fresh subclass."""

    count: ClassVar[int] = 0

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        type(self).count += 1
        return await super().execute(*args, **kwargs)

    async def executemany(self, *args: Any, **kwargs: Any) -> Any:
        type(self).count += 1
        return await super().executemany(*args, **kwargs)

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        type(self).count += 1
        return await super().fetch(*args, **kwargs)

    async def fetchrow(self, *args: Any, **kwargs: Any) -> Any:
        type(self).count += 1
        return await super().fetchrow(*args, **kwargs)

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        type(self).count += 1
        return await super().fetchval(*args, **kwargs)


def counting() -> type[CountingConnection]:
    """A connection class with its own counter."""
    return type("Counting", (CountingConnection,), {"count": 0})


class CountingRedisConnection(redis.asyncio.connection.Connection):
    """A redis-py connection that counts what it sends (a pipeline counts once)."""

    count: ClassVar[int] = 0

    async def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        type(self).count += 1
        await super().send_packed_command(*args, **kwargs)


def counting_redis() -> type[CountingRedisConnection]:
    """A redis-py connection class with its own counter."""
    return type("CountingRedis", (CountingRedisConnection,), {"count": 0})
