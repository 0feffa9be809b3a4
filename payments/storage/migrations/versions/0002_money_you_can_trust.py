"""The sandbox processor's ledger, unknown Subscriber IDs per caller number, payments by call.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sandbox_charges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(4), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("transaction_id", sa.String(100), nullable=True),
        sa.Column("decline_reason", sa.String(32), nullable=True),
        sa.Column("message", sa.String(200), nullable=False),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_charges"),
        sa.UniqueConstraint("idempotency_key", name="uq_sandbox_charges_idempotency_key"),
    )
    op.create_table(
        "unknown_id_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(16), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unknown_id_attempts"),
    )
    op.create_index("ix_unknown_id_attempts_caller", "unknown_id_attempts", ["caller"])
    op.create_index("ix_payments_call_sid", "payments", ["call_sid"])


def downgrade() -> None:
    op.drop_index("ix_payments_call_sid", "payments")
    op.drop_index("ix_unknown_id_attempts_caller", "unknown_id_attempts")
    op.drop_table("unknown_id_attempts")
    op.drop_table("sandbox_charges")
