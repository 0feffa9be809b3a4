"""Failed dates of birth remember who tried (the caller's number, "anonymous", or an agent), so
the number that failed is refused for the account while the account as a whole only slows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("verification_failures") as batch:
        batch.add_column(sa.Column("caller", sa.String(80), nullable=False, server_default=""))
    op.create_index(
        "ix_verification_failures_subscriber_id_caller",
        "verification_failures",
        ["subscriber_id", "caller"],
    )


def downgrade() -> None:
    op.drop_index("ix_verification_failures_subscriber_id_caller", "verification_failures")
    with op.batch_alter_table("verification_failures") as batch:
        batch.drop_column("caller")
