"""Sessions keyed by every field of aiogram's StorageKey; any aiogram state fits.

The forum topic, the business connection and the destiny join (bot, chat, user) as one
text column, ``scope`` ('' for the usual case), so the unique key holds no NULLs. Steps
widen to 255 characters: a state of a group nobody registered is stored whole.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("admin_sessions") as batch:
        batch.add_column(
            sa.Column("scope", sa.String(length=512), nullable=False, server_default="")
        )
        batch.alter_column(
            "current_step", existing_type=sa.String(length=50), type_=sa.String(length=255)
        )
        batch.drop_constraint("uq_admin_sessions_key", type_="unique")
        batch.create_unique_constraint(
            "uq_admin_sessions_key", ["bot_id", "chat_id", "user_id", "scope"]
        )
    with op.batch_alter_table("admin_session_events") as batch:
        batch.alter_column("step", existing_type=sa.String(length=50), type_=sa.String(length=255))


def downgrade() -> None:
    # Sessions of a topic, a business connection or another destiny have no place in
    # the old key: they are dropped, as an expired session would be.
    op.execute("DELETE FROM admin_sessions WHERE scope <> ''")
    op.execute("UPDATE admin_sessions SET current_step = NULL WHERE length(current_step) > 50")
    op.execute("UPDATE admin_session_events SET step = NULL WHERE length(step) > 50")
    with op.batch_alter_table("admin_session_events") as batch:
        batch.alter_column("step", existing_type=sa.String(length=255), type_=sa.String(length=50))
    with op.batch_alter_table("admin_sessions") as batch:
        batch.drop_constraint("uq_admin_sessions_key", type_="unique")
        batch.create_unique_constraint("uq_admin_sessions_key", ["bot_id", "chat_id", "user_id"])
        batch.alter_column(
            "current_step", existing_type=sa.String(length=255), type_=sa.String(length=50)
        )
        batch.drop_column("scope")
