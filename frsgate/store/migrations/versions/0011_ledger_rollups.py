"""Daily roll-ups of the ledger index: `ledger_use_days` and `ledger_refusal_days`.

A year-long oversight report (OPR's, the annual one) counted a year of uses and refusals from
`ledger_index` entry by entry: 16 s and 10 s at 10^7 entries on SQLite, against a 5 s budget
(bench/oversight.py). These tables hold the same counts per UTC day (`frsgate.ledger.rollup`),
kept by the appender in the transaction that writes each entry and its index row; a report sums
the days of its period and takes from the index only the entries past its checkpoint.

The migration creates both tables and fills them from the index already stored, with the
function the appender's counts and `frsgate ledger verify --index` share
(`frsgate.ledger.rollup.backfill`).

A supervisor's report reads its few hundred cases' entries. `ix_ledger_index_case_cover`
(case_number, seq, at, actor_id) gains the event, submission and provider, so the scope's uses
are read from its cases' index entries too, not picked out of a year of every case's intents
(1.3 s and growing with the log at 10^7 entries).

Going back to 0010 drops the tables and restores the narrower index; no entry or index row is
touched either way.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frsgate.ledger.rollup import backfill

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CASE_COVER = ("case_number", "seq", "at", "actor_id")
_CASE_WIDER = ("event", "submission_id", "provider_id")


def upgrade() -> None:
    op.create_table(
        "ledger_use_days",
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("submission_id", sa.Text(), nullable=False),
        sa.Column("provider_id", sa.Text(), nullable=False),
        sa.Column("case_number", sa.Text(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "submission_id", "provider_id", "case_number", name=op.f("pk_ledger_use_days")
        ),
    )
    op.create_table(
        "ledger_refusal_days",
        sa.Column("day", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=False),
        sa.Column("citation_set", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "actor_id",
            "citation_set",
            "rule",
            "section",
            name=op.f("pk_ledger_refusal_days"),
        ),
    )
    backfill(op.get_bind())
    op.drop_index("ix_ledger_index_case_cover", table_name="ledger_index")
    op.create_index("ix_ledger_index_case_cover", "ledger_index", [*_CASE_COVER, *_CASE_WIDER])


def downgrade() -> None:
    op.drop_index("ix_ledger_index_case_cover", table_name="ledger_index")
    op.create_index("ix_ledger_index_case_cover", "ledger_index", list(_CASE_COVER))
    op.drop_table("ledger_refusal_days")
    op.drop_table("ledger_use_days")
