"""The supervisor's routine log review (memo 4.E.4) and IGP's approval of the log format (fn2).

- `log_review_signoffs`: one row per supervisor and review period signed off, with the
  checkpoint the review was computed against and the counts it showed.
- `log_referrals`: a supervisor's referral of findings to OPR and OPR's outcome.
- `approvals.kind` may be `log_format_approval` and `approvals.subject_kind` `log_format`: the
  privacy office approves a version of the log format as it approves a policy-pack version.
- The indexes the oversight reports' period queries read (`frsgate.store.schema.report_indexes`):
  exigent approvals, shares, partner-run searches and results of a period.

Going back to 0007 drops both tables, the report indexes and the log-format approvals
(requests and decisions alike; the ledger keeps its entries of them), so the old check
constraints hold again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = (
    "'witness_probe', 'flagged_justification', 'exigent_provider', 'rate_limit_override', "
    "'policy_pack_activation'"
)
_NEW_KINDS = f"{_OLD_KINDS}, 'log_format_approval'"
_OLD_SUBJECTS = "'probe', 'submission', 'policy_pack', 'user', 'case'"
_NEW_SUBJECTS = "'probe', 'submission', 'policy_pack', 'log_format', 'user', 'case'"

_approvals = sa.table("approvals", sa.column("kind", sa.String))
# (index, table, columns) of frsgate.store.schema.report_indexes
_REPORT_INDEXES = (
    ("ix_approvals_kind_requested_at", "approvals", ["kind", "requested_at"]),
    ("ix_shares_created_at", "shares", ["created_at"]),
    ("ix_partner_searches_created_at", "partner_searches", ["created_at"]),
    ("ix_candidate_lists_received_at", "candidate_lists", ["received_at"]),
)


def _approval_checks(kinds: str, subjects: str) -> None:
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_approvals_kind"), type_="check")
        batch_op.drop_constraint(op.f("ck_approvals_subject_kind"), type_="check")
        batch_op.create_check_constraint("kind", f"kind IN ({kinds})")
        batch_op.create_check_constraint("subject_kind", f"subject_kind IN ({subjects})")


def upgrade() -> None:
    op.create_table(
        "log_review_signoffs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("supervisor_id", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_root", sa.String(length=44), nullable=False),
        sa.Column("cases", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["users.id"], name=op.f("fk_log_review_signoffs_supervisor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_review_signoffs")),
        sa.UniqueConstraint(
            "supervisor_id", "period_start", "period_days", name="uq_log_review_signoffs_period"
        ),
    )
    with op.batch_alter_table("log_review_signoffs", schema=None) as batch_op:
        batch_op.create_index("ix_log_review_signoffs_period_start", ["period_start"])

    op.create_table(
        "log_referrals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("referred_by", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("seqs", sa.JSON(), nullable=False),
        sa.Column("submission_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=7), nullable=False),
        sa.Column("outcome", sa.String(length=15), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("outcome_by", sa.String(length=64), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'decided')", name=op.f("ck_log_referrals_status")),
        sa.CheckConstraint(
            "outcome IN ('substantiated', 'unsubstantiated', 'closed')",
            name=op.f("ck_log_referrals_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["referred_by"], ["users.id"], name=op.f("fk_log_referrals_referred_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["outcome_by"], ["users.id"], name=op.f("fk_log_referrals_outcome_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_referrals")),
    )
    with op.batch_alter_table("log_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_referrals_referred_by"), ["referred_by"])
        batch_op.create_index("ix_log_referrals_created_at", ["created_at"])

    _approval_checks(_NEW_KINDS, _NEW_SUBJECTS)
    for name, table, columns in _REPORT_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in _REPORT_INDEXES:
        op.drop_index(name, table_name=table)
    # The old constraints cannot hold a log-format approval: those rows go (the ledger keeps
    # the entries that requested and decided them).
    op.execute(_approvals.delete().where(_approvals.c.kind == "log_format_approval"))
    _approval_checks(_OLD_KINDS, _OLD_SUBJECTS)
    op.drop_table("log_referrals")
    op.drop_table("log_review_signoffs")
