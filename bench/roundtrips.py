"""Round trips to the server, counted at the driver (not timed).

``RoundTripCounter`` hands out driver classes bound to it:

* an ``asyncpg.Connection`` subclass (for ``open_backend(pg_connection_class=...)``)
  that counts each call which sends a statement: ``execute``, ``executemany``,
  ``fetch``, ``fetchrow``, ``fetchval``, ``fetchmany``, ``prepare``. Transactions
  begin and commit through ``execute``, so they count. The connection handshake does
  not, and neither does the Parse of a statement the cache has not seen yet (a
  warm-up pass fills the cache before anything is counted).
* a redis-py ``Connection`` subclass (``connection_class=`` of a client or pool) that
  counts each ``send_packed_command``: one command, one script call (``EVALSHA``) or
  one whole pipeline. A new connection's handshake (``CLIENT SETINFO``, ``SELECT``)
  goes through it too, so counting starts after a warm-up that opened the pool.

Both also count connections made, so a count that includes a handshake shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

import asyncpg
import redis.asyncio.connection


@dataclass
class RoundTripCounter:
    """Round trips and new connections, summed over every connection bound to it."""

    round_trips: int = 0
    connections: int = 0

    def asyncpg_class(self) -> type[Any]:
        """An ``asyncpg.Connection`` subclass that counts into this counter."""
        return type("CountingAsyncpgConnection", (_CountingAsyncpg,), {"counter": self})

    def redis_class(self) -> type[redis.asyncio.connection.Connection]:
        """A redis-py asyncio ``Connection`` subclass that counts into this counter."""
        return cast(
            "type[redis.asyncio.connection.Connection]",
            type("CountingRedisConnection", (_CountingRedis,), {"counter": self}),
        )

    def snapshot(self) -> tuple[int, int]:
        """``(round_trips, connections)`` now, to subtract from a later snapshot."""
        return self.round_trips, self.connections


class _CountingAsyncpg(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    counter: ClassVar[RoundTripCounter]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counter.connections += 1

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.counter.round_trips += 1
        return await super().execute(*args, **kwargs)

    async def executemany(self, *args: Any, **kwargs: Any) -> Any:
        self.counter.round_trips += 1
        return await super().executemany(*args, **kwargs)

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        self.counter.round_trips += 1
        return await super().fetch(*args, **kwargs)

    async def fetchrow(self, *args: Any, **kwargs: Any) -> Any:
        self.counter.round_trips += 1
        return await super().fetchrow(*args, **kwargs)

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        self.counter.round_trips += 1
        return await super().fetchval(*args, **kwargs)

    async def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        self.counter.round_trips += 1
        return await super().fetchmany(*args, **kwargs)

    async def prepare(self, *args: Any, **kwargs: Any) -> Any:
        self.counter.round_trips += 1
        return await super().prepare(*args, **kwargs)


class _CountingRedis(redis.asyncio.connection.Connection):
    counter: ClassVar[RoundTripCounter]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counter.connections += 1

    async def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        self.counter.round_trips += 1
        await super().send_packed_command(*args, **kwargs)
