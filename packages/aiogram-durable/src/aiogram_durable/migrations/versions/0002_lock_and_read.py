"""PostgreSQL: take a key's advisory lock and read its session in one round trip.

``durable_lock_and_read`` is VOLATILE, so under READ COMMITTED its query takes a fresh
snapshot after the lock is granted: it sees what the previous holder committed. (One
statement ``SELECT … FROM (SELECT pg_advisory_lock(…)) … JOIN …`` would not: its snapshot
dates from before the wait.) Nothing to do on SQLite.

Revision ID: d0002
Revises: d0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d0002"
down_revision: str | None = "d0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION durable_lock_and_read(
            lock_id bigint, p_bot bigint, p_chat bigint, p_user bigint, p_scope text
        ) RETURNS SETOF durable_sessions LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_lock(lock_id);
            RETURN QUERY SELECT * FROM durable_sessions
                WHERE bot_id = p_bot AND chat_id = p_chat AND user_id = p_user
                  AND scope = p_scope;
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP FUNCTION IF EXISTS durable_lock_and_read(bigint, bigint, bigint, bigint, text)"
    )
