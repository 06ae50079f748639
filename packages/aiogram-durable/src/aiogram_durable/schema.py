"""The library's tables: their one definition, and the migrations that create them.

``aiogram_durable`` owns two tables and its own Alembic version table, so it can share a
database with an application that has its own migrations:

* ``durable_sessions``: one row per open session, unique per ``SessionKey``;
* ``durable_session_events``: the audit trail;
* ``durable_schema_version``: the revision of the two above (Alembic's format).

Apply the migrations at start (``upgrade(url)``, what ``connect`` does unless told
not to), by command (``python -m aiogram_durable migrate URL``) or from an
application's own Alembic ``env.py``, on the connection it migrates with::

    def run_migrations(connection):
        aiogram_durable.schema.upgrade_connection(connection)  # before your own
        context.configure(connection=connection, target_metadata=..., include_name=...)
        with context.begin_transaction():
            context.run_migrations()

In that case open the connection with ``engine.begin()`` so both commit together, and
leave the library's tables out of autogenerate with ``include_name=not_ours``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql

SESSIONS = "durable_sessions"
EVENTS = "durable_session_events"
VERSION_TABLE = "durable_schema_version"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

metadata = MetaData()

sessions = Table(
    SESSIONS,
    metadata,
    Column("id", String(32), nullable=False),
    Column("bot_id", BigInteger, nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    # Topic, business connection and destiny of the key; '' for none (``SessionKey``).
    Column("scope", String(512), nullable=False, server_default=""),
    Column("session_type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("current_step", String(255), nullable=True),
    # Encoded JSON text on every backend, so all of them behave alike.
    Column("session_data", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("id", name="pk_durable_sessions"),
    UniqueConstraint("bot_id", "chat_id", "user_id", "scope", name="uq_durable_sessions_key"),
    Index("ix_durable_sessions_expires_at", "expires_at"),
    Index("ix_durable_sessions_user_id", "user_id"),
)

events = Table(
    EVENTS,
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"), autoincrement=True, nullable=False
    ),
    Column("session_id", String(32), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("session_type", String(100), nullable=False),
    Column("event", String(20), nullable=False),
    Column("step", String(255), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
    PrimaryKeyConstraint("id", name="pk_durable_session_events"),
    Index("ix_durable_session_events_at", "at"),
    Index("ix_durable_session_events_session_id", "session_id"),
)

# The key's scope last, so a row's id sits at index 3 on every SQL backend.
_KEY = ("bot_id", "chat_id", "user_id")
SESSION_COLUMNS = tuple(c.name for c in sessions.columns if c.name not in (*_KEY, "scope"))
KEYED_COLUMNS = (*_KEY, *SESSION_COLUMNS, "scope")


def is_ours(name: str | None, type_: str, *_: Any) -> bool:
    """True for this library's tables (for ``include_name`` in an application's
    Alembic autogenerate: ``include_name=lambda n, t, p: not is_ours(n, t)``)."""
    return type_ == "table" and name in (SESSIONS, EVENTS, VERSION_TABLE)


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Apply the library's migrations on an open (sync) connection, in its transaction.

    Works inside an application's ``env.py`` as well as on its own: it uses its own
    version table and leaves Alembic's ``context`` alone.
    """
    _migrate(connection, revision, up=True)


def downgrade_connection(connection: Connection, revision: str) -> None:
    """Revert the library's migrations down to ``revision`` (``base``: drop its tables)."""
    _migrate(connection, revision, up=False)


def _migrate(connection: Connection, revision: str, *, up: bool) -> None:
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))

    def steps(current: Any, _context: Any) -> Any:
        # What ``alembic upgrade``/``downgrade`` compute; private in name only.
        if up:
            return script._upgrade_revs(revision, current)
        return script._downgrade_revs(revision, current)

    context = MigrationContext.configure(
        connection,
        opts={
            "version_table": VERSION_TABLE,
            "target_metadata": metadata,
            "render_as_batch": connection.dialect.name == "sqlite",
            "fn": steps,
        },
    )
    with Operations.context(context):
        context.run_migrations()


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the library's tables at ``url`` up to ``revision``."""
    await _on_url(url, upgrade_connection, revision)


async def downgrade(url: str, revision: str) -> None:
    """Take the library's tables at ``url`` down to ``revision``."""
    await _on_url(url, downgrade_connection, revision)


async def _on_url(url: str, fn: Any, revision: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from aiogram_durable.urls import sqlalchemy_url

    engine = create_async_engine(sqlalchemy_url(url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(fn, revision)
    finally:
        await engine.dispose()


def upgrade_sync(url: str, revision: str = "head") -> None:
    """``upgrade`` for code without an event loop (a CLI, a deploy script)."""
    asyncio.run(upgrade(url, revision))
