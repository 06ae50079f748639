"""Round trips counted at the driver, not timed: an asyncpg connection that counts every
call that goes to the server (the prepared-statement cache's first Parse aside)."""

from __future__ import annotations

from typing import Any, ClassVar

import asyncpg


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
