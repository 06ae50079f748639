"""PostgreSQL: release a key's advisory lock when the write's transaction commits.

``durable_unlock_at_commit`` first takes the same key's lock at transaction level (the
session already holds it, so this never waits), then releases the session-level hold.
The lock stays held by the transaction's hold until it commits, so a waiter is granted
it only after the write is visible. Called in the same statement as the write, it makes
write and unlock one round trip; the order inside that statement does not matter.
Nothing to do on SQLite.

Revision ID: d0003
Revises: d0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d0003"
down_revision: str | None = "d0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION durable_unlock_at_commit(lock_id bigint)
        RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock_id);
            RETURN pg_advisory_unlock(lock_id);
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS durable_unlock_at_commit(bigint)")
