"""Sessions and their audit trail.

Revision ID: d0001
Revises:
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "durable_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=512), nullable=False, server_default=""),
        sa.Column("session_type", sa.String(length=100), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("current_step", sa.String(length=255), nullable=True),
        sa.Column("session_data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_durable_sessions"),
        sa.UniqueConstraint(
            "bot_id", "chat_id", "user_id", "scope", name="uq_durable_sessions_key"
        ),
    )
    op.create_index("ix_durable_sessions_expires_at", "durable_sessions", ["expires_at"])
    op.create_index("ix_durable_sessions_user_id", "durable_sessions", ["user_id"])
    op.create_table(
        "durable_session_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("session_type", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name="pk_durable_session_events"),
    )
    op.create_index("ix_durable_session_events_at", "durable_session_events", ["at"])
    op.create_index(
        "ix_durable_session_events_session_id", "durable_session_events", ["session_id"]
    )


def downgrade() -> None:
    op.drop_table("durable_session_events")
    op.drop_table("durable_sessions")
