"""AutoPay enrolments and their recurring authorizations, ACH entries and files, returns files
read, the members' message outbox and SMS opt-outs; members' mailing addresses; payments' AutoPay
enrolment and the payment a retry re-presents.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ach_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_date", sa.Date(), nullable=False),
        sa.Column("modifier", sa.String(length=1), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("written_at", TIMESTAMP, nullable=True),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("total_debit_cents", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ach_files")),
        sa.UniqueConstraint("file_date", "modifier", name=op.f("uq_ach_files_file_date_modifier")),
    )
    op.create_table(
        "ach_return_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("read_at", TIMESTAMP, nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ach_return_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_ach_return_files_sha256")),
    )
    op.create_table(
        "sms_opt_outs",
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("keyword", sa.String(length=16), nullable=False),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("e164", name=op.f("pk_sms_opt_outs")),
    )
    op.create_table(
        "autopay_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=8), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("stopped", sa.String(length=16), nullable=True),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("account_type", sa.String(length=8), nullable=False),
        sa.Column("routing", sa.String(length=9), nullable=False),
        sa.Column("account_sealed", sa.Text(), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("first_debit_on", sa.Date(), nullable=False),
        sa.Column("announced_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("sms_to", sa.String(length=16), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_autopay_enrolments_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autopay_enrolments")),
        sa.UniqueConstraint("plan_id", name=op.f("uq_autopay_enrolments_plan_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_autopay_enrolments_reference")),
    )
    op.create_table(
        "autopay_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("debit_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("noticed_on", sa.Date(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["autopay_enrolments.id"],
            name=op.f("fk_autopay_notices_enrolment_id_autopay_enrolments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autopay_notices")),
        sa.UniqueConstraint(
            "enrolment_id",
            "debit_date",
            "amount",
            name=op.f("uq_autopay_notices_enrolment_id_debit_date_amount"),
        ),
    )
    op.create_table(
        "recurring_authorizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("accepted_at", TIMESTAMP, nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("accepting_key", sa.String(length=8), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("account_type", sa.String(length=8), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("written_copy_at", TIMESTAMP, nullable=True),
        sa.Column("written_copy_via", sa.String(length=8), nullable=True),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("ended_why", sa.String(length=32), nullable=True),
        sa.Column("retain_until", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["autopay_enrolments.id"],
            name=op.f("fk_recurring_authorizations_enrolment_id_autopay_enrolments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_authorizations")),
    )
    with op.batch_alter_table("recurring_authorizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recurring_authorizations_enrolment_id"), ["enrolment_id"], unique=False
        )

    op.create_table(
        "ach_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("payment_type", sa.String(length=1), nullable=False),
        sa.Column("reinitiated", sa.Boolean(), nullable=False),
        sa.Column("transaction_code", sa.Integer(), nullable=False),
        sa.Column("routing", sa.String(length=9), nullable=False),
        sa.Column("account_sealed", sa.Text(), nullable=True),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("individual_id", sa.String(length=15), nullable=False),
        sa.Column("individual_name", sa.String(length=22), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("trace_number", sa.String(length=15), nullable=True),
        sa.Column("sent_effective_date", sa.Date(), nullable=True),
        sa.Column("return_code", sa.String(length=3), nullable=True),
        sa.Column("returned_at", TIMESTAMP, nullable=True),
        sa.Column("settled_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["ach_files.id"], name=op.f("fk_ach_entries_file_id_ach_files")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_ach_entries_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ach_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ach_entries_idempotency_key")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_ach_entries_payment_id")),
        sa.UniqueConstraint("trace_number", name=op.f("uq_ach_entries_trace_number")),
    )
    with op.batch_alter_table("ach_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ach_entries_file_id"), ["file_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ach_entries_status"), ["status"], unique=False)

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("subscriber_id", sa.String(length=12), nullable=False),
        sa.Column("to_number", sa.String(length=16), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["recurring_authorizations.id"],
            name=op.f("fk_outbox_messages_authorization_id_recurring_authorizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint(
            "event_key", "channel", name=op.f("uq_outbox_messages_event_key_channel")
        ),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_messages_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_subscriber_id"), ["subscriber_id"], unique=False
        )

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailing_address", sa.JSON(), nullable=True))

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enrolment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retry_of", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_payments_enrolment_id"), ["enrolment_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_enrolment_id_autopay_enrolments"),
            "autopay_enrolments",
            ["enrolment_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_retry_of_payments"), "payments", ["retry_of"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_payments_retry_of_payments"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_payments_enrolment_id_autopay_enrolments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_payments_enrolment_id"))
        batch_op.drop_column("retry_of")
        batch_op.drop_column("enrolment_id")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("mailing_address")

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_status"))

    op.drop_table("outbox_messages")
    with op.batch_alter_table("ach_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ach_entries_status"))
        batch_op.drop_index(batch_op.f("ix_ach_entries_file_id"))

    op.drop_table("ach_entries")
    with op.batch_alter_table("recurring_authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_authorizations_enrolment_id"))

    op.drop_table("recurring_authorizations")
    op.drop_table("autopay_notices")
    op.drop_table("autopay_enrolments")
    op.drop_table("sms_opt_outs")
    op.drop_table("ach_return_files")
    op.drop_table("ach_files")
