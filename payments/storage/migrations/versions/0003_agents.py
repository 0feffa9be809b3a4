"""Agent console logins: agents, their sessions (token hashes only) and failed logins.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.UniqueConstraint("username", name="uq_agents_username"),
    )
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["username"], ["agents.username"], name="fk_agent_sessions_username_agents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_agent_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_agent_sessions_token_hash"),
    )
    op.create_index("ix_agent_sessions_username", "agent_sessions", ["username"])
    op.create_table(
        "agent_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agent_login_failures"),
    )
    op.create_index("ix_agent_login_failures_username", "agent_login_failures", ["username"])
    op.create_index("ix_agent_login_failures_client", "agent_login_failures", ["client"])


def downgrade() -> None:
    op.drop_index("ix_agent_login_failures_client", "agent_login_failures")
    op.drop_index("ix_agent_login_failures_username", "agent_login_failures")
    op.drop_table("agent_login_failures")
    op.drop_index("ix_agent_sessions_username", "agent_sessions")
    op.drop_table("agent_sessions")
    op.drop_table("agents")
