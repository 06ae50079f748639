"""Which exceptions mean "a store is unreachable" rather than "the code is wrong".

The stores are SQLite, PostgreSQL (asyncpg under SQLAlchemy) and Redis; this module
knows their drivers' exceptions so the bot and the CLI can answer "try again" (or exit
with the outage code) without importing a single driver.
"""

from __future__ import annotations

import sqlite3

import asyncpg
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.CannotConnectNowError,
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    sa_errors.OperationalError,
    sa_errors.InterfaceError,
    sa_errors.DisconnectionError,
    sqlite3.OperationalError,
)
# Wrappers rarely nest deeper; the bound keeps a cyclic chain from looping.
_MAX_CHAIN = 6


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says a store is unreachable."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < _MAX_CHAIN:
        if isinstance(current, OUTAGE_ERRORS):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


__all__ = ["OUTAGE_ERRORS", "is_outage"]
