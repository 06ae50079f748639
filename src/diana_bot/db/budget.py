"""One PostgreSQL connection budget per process, split between its three pools.

A process of the bot talks to PostgreSQL through three pools: the SQLAlchemy
engine (tariffs, channels, the audit trail), the session store's asyncpg pool and,
with SQL sessions, the pool that holds each key's advisory lock for as long as its
update runs. Their sizes used to add up to 85 per process, so two processes could
exhaust PostgreSQL's default ``max_connections`` (100). ``DATABASE_POOL_SIZE`` is
now the total: the default 20 lets 4 processes share the default server with room
for ``diana-bot migrate``, the CLI and psql.
"""

from __future__ import annotations

from dataclasses import dataclass

from diana_bot.config import MIN_POOL_SIZE


@dataclass(frozen=True)
class ConnectionBudget:
    """How many connections each pool may open, and how many updates run at once.

    ``handlers`` bounds concurrent updates (polling's ``tasks_concurrency_limit``):
    with advisory locks it equals ``locks``, so every running handler can hold its
    lock's connection and none waits for one while it holds another.
    """

    engine: int
    store: int
    locks: int
    handlers: int

    @property
    def total(self) -> int:
        return self.engine + self.store + self.locks

    @classmethod
    def split(cls, total: int, *, sql_sessions: bool) -> ConnectionBudget:
        """Share ``total`` connections. With SQL sessions on PostgreSQL: half for the
        advisory locks (each is held for a whole update), a quarter each for the
        session store and the engine. With Redis sessions the engine takes them all
        (the store and its locks live in Redis)."""
        if total < MIN_POOL_SIZE:
            raise ValueError(f"a connection budget needs at least {MIN_POOL_SIZE}")
        locks = total // 2 if sql_sessions else 0
        store = (total - locks) // 2 if sql_sessions else 0
        engine = total - locks - store
        return cls(engine=engine, store=store, locks=locks, handlers=locks or total)


__all__ = ["ConnectionBudget"]
