"""Sessions and their audit trail move to aiogram_durable's own tables.

The library creates ``durable_sessions`` and ``durable_session_events`` (env.py runs
its migrations first); this revision moves every open session and audit row there and
drops Diana's copies, so a half-finished flow carries on across the upgrade.
Downgrading moves them back.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SESSION_COLUMNS = (
    "id, bot_id, chat_id, user_id, scope, session_type, schema_version, current_step, "
    "session_data, created_at, updated_at, expires_at, version"
)
_EVENT_COLUMNS = "session_id, user_id, session_type, event, step, at, detail"


def upgrade() -> None:
    op.execute(
        f"INSERT INTO durable_sessions ({_SESSION_COLUMNS}) "
        f"SELECT {_SESSION_COLUMNS} FROM admin_sessions"
    )
    op.execute(
        f"INSERT INTO durable_session_events ({_EVENT_COLUMNS}) "
        f"SELECT {_EVENT_COLUMNS} FROM admin_session_events ORDER BY id"
    )
    op.drop_table("admin_session_events")
    op.drop_table("admin_sessions")


def downgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=512), nullable=False, server_default=""),
        sa.Column("session_type", sa.String(length=50), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("current_step", sa.String(length=255), nullable=True),
        sa.Column("session_data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sessions")),
        sa.UniqueConstraint("bot_id", "chat_id", "user_id", "scope", name="uq_admin_sessions_key"),
    )
    op.create_index("ix_admin_sessions_expires_at", "admin_sessions", ["expires_at"])
    op.create_index("ix_admin_sessions_user_id", "admin_sessions", ["user_id"])
    op.create_table(
        "admin_session_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("session_type", sa.String(length=50), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_session_events")),
    )
    op.create_index("ix_admin_session_events_at", "admin_session_events", ["at"])
    op.create_index("ix_admin_session_events_session_id", "admin_session_events", ["session_id"])
    # Only what the old release can hold: Diana's own flows, in the default scope.
    moved = "scope = '' AND length(session_type) <= 50"
    op.execute(
        f"INSERT INTO admin_sessions ({_SESSION_COLUMNS}) "
        f"SELECT {_SESSION_COLUMNS} FROM durable_sessions WHERE {moved}"
    )
    op.execute(
        f"INSERT INTO admin_session_events ({_EVENT_COLUMNS}) "
        f"SELECT {_EVENT_COLUMNS} FROM durable_session_events "
        "WHERE length(session_type) <= 50 ORDER BY id"
    )
    op.execute(f"DELETE FROM durable_sessions WHERE {moved}")
    op.execute("DELETE FROM durable_session_events WHERE length(session_type) <= 50")
