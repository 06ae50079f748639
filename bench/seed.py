"""Bulk-loading stored sessions fast, around the store API.

Rows are generated inside the database (a recursive CTE on SQLite, ``generate_series``
on PostgreSQL) in one ``INSERT … SELECT``: a million rows load in seconds, where a
million ``store.insert`` calls would take minutes. The rows are ordinary sessions the
stores can decode: a registered flow type, a JSON object as data, times in each
backend's own format, a random 32-hex-digit id.

``expired_fraction`` of them (scattered through the table, not clustered) expired up to
an hour ago; the rest expire one to two hours from ``now``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import asyncpg

SESSION_TYPE = "tariff_creation"
STEP = "price"
DATA = '{"channel":1,"price":"9.99"}'
BOT_ID = 42
# Admin ids of seeded sessions start here, far from the ids the sections feed updates for.
BASE_USER = 10_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Which rows expired: a multiplicative hash of the row number spreads them evenly.
_CUT = "((i * 2654435761) % 1000) < :cut"

_SQLITE_LOAD = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count),
r(i, e) AS (
  SELECT i, CASE WHEN {_CUT}
    THEN :now - 1000000 - (abs(random()) % 3600000000)
    ELSE :now + 3600000000 + (abs(random()) % 3600000000) END
  FROM n
)
INSERT INTO durable_sessions (id, bot_id, chat_id, user_id, session_type, schema_version,
  current_step, session_data, created_at, updated_at, expires_at, version)
SELECT lower(hex(randomblob(16))), :bot, :base + i, :base + i, :type, 1, :step, :data,
  printf('%s.%06d', datetime((e - 600000000) / 1000000, 'unixepoch'), (e - 600000000) % 1000000),
  printf('%s.%06d', datetime((e - 600000000) / 1000000, 'unixepoch'), (e - 600000000) % 1000000),
  printf('%s.%06d', datetime(e / 1000000, 'unixepoch'), e % 1000000),
  1
FROM r
"""

_PG_LOAD = """
INSERT INTO durable_sessions (id, bot_id, chat_id, user_id, session_type, schema_version,
  current_step, session_data, created_at, updated_at, expires_at, version)
SELECT md5(random()::text || i::text), $1::bigint, $2::bigint + i, $2::bigint + i, $3, 1, $4, $5,
  e - interval '10 minutes', e - interval '10 minutes', e, 1
FROM (
  SELECT i, CASE WHEN ((i * 2654435761) % 1000) < $6::int
    THEN $7::timestamptz - interval '1 second' - random() * interval '1 hour'
    ELSE $7::timestamptz + interval '1 hour' + random() * interval '1 hour' END AS e
  FROM generate_series(1::bigint, $8::bigint) AS i
) AS rows
"""


def _cut(expired_fraction: float) -> int:
    return round(expired_fraction * 1000)


def expected_expired(count: int, expired_fraction: float) -> int:
    """How many of ``count`` seeded rows are expired (the same hash the SQL uses)."""
    cut = _cut(expired_fraction)
    return sum(1 for i in range(1, count + 1) if (i * 2654435761) % 1000 < cut)


def load_sqlite(path: str, count: int, expired_fraction: float, now: datetime) -> None:
    """Insert ``count`` sessions into the SQLite file at ``path`` and checkpoint it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN")
        conn.execute(
            _SQLITE_LOAD,
            {
                "count": count,
                "cut": _cut(expired_fraction),
                "now": (now - _EPOCH) // _MICRO,
                "bot": BOT_ID,
                "base": BASE_USER,
                "type": SESSION_TYPE,
                "step": STEP,
                "data": DATA,
            },
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


async def load_postgres(dsn: str, count: int, expired_fraction: float, now: datetime) -> None:
    """Insert ``count`` sessions into the PostgreSQL database at ``dsn``, then
    ``VACUUM ANALYZE`` it (rows as an aged table has them: hinted, with statistics)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            _PG_LOAD,
            BOT_ID,
            BASE_USER,
            SESSION_TYPE,
            STEP,
            DATA,
            _cut(expired_fraction),
            now,
            count,
        )
        await conn.execute("VACUUM ANALYZE durable_sessions")
    finally:
        await conn.close()


_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH
