"""Covering indexes on `ledger_index` for the oversight reports.

Every report counts the period's uses (`submission:dispatch:intent` entries) with their case,
submission and provider, and a supervisor's report reads their cases' entries with their time
and actor. The indexes of 0007 found those entries, but each then cost a lookup of its row for
the other columns; at 10^7 entries a supervisor's report spent a minute on such lookups
(bench/oversight.py). These replace them with indexes holding the columns read:

- `ix_ledger_index_event_at` (event, at) becomes `ix_ledger_index_event_cover`
  (event, at, case_number, submission_id, provider_id);
- `ix_ledger_index_case_seq` (case_number, seq) becomes `ix_ledger_index_case_cover`
  (case_number, seq, at, actor_id).

Going back to 0008 restores the narrow ones.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 01:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_ledger_index_event_cover",
        "ledger_index",
        ["event", "at", "case_number", "submission_id", "provider_id"],
    )
    op.create_index(
        "ix_ledger_index_case_cover", "ledger_index", ["case_number", "seq", "at", "actor_id"]
    )
    op.drop_index("ix_ledger_index_event_at", table_name="ledger_index")
    op.drop_index("ix_ledger_index_case_seq", table_name="ledger_index")


def downgrade() -> None:
    op.create_index("ix_ledger_index_event_at", "ledger_index", ["event", "at"])
    op.create_index("ix_ledger_index_case_seq", "ledger_index", ["case_number", "seq"])
    op.drop_index("ix_ledger_index_case_cover", table_name="ledger_index")
    op.drop_index("ix_ledger_index_event_cover", table_name="ledger_index")
