"""Use and refusal tallies per day and month: `ledger_use_tallies`, `ledger_refusal_tallies`.

With a million submissions a year, each used once, OPR's and the annual report took 9-13 s at
10^7 entries against a 5 s budget (bench/oversight.py): every count read the year's million
uses, joined to their submissions, a dozen times. These tables hold the counts the reports
sum, per facet of a use (who asked, case, provider, match type, exigent, what the FRS
answered), per day and per month, so a year is read as its whole months and the days at its
ends (`frsgate.ledger.rollup`). What a use is counted as comes from its entries (the intent's
details, the outcome's answer), so the figures can be recomputed from the log alone.

Three indexes serve what the tallies leave to lookups: `ix_ledger_use_days_submission` (the
day a submission was used: a lead's, a witness probe's, and the use an answer belongs to),
`ix_ledger_refusal_days_rule` (who attempted what the closed-case and assignment rules refuse)
and `ix_submissions_second_probe_id` (the uses of a witness's probe, by either probe).

The migration fills both tables from the log already stored, with the function
`frsgate ledger verify --index` checks them against (`rollup.fill_tallies`): it reads each
intent and outcome entry once. Going back to 0011 drops them; no entry or index row is touched
either way.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frsgate.ledger.rollup import fill_tallies

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_use_tallies",
        sa.Column("facet", sa.Text(), nullable=False),
        sa.Column("bucket", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("facet", "bucket", "value", name=op.f("pk_ledger_use_tallies")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ledger_refusal_tallies",
        sa.Column("bucket", sa.Text(), nullable=False),
        sa.Column("citation_set", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket", "citation_set", "rule", "section", name=op.f("pk_ledger_refusal_tallies")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ledger_use_days_submission", "ledger_use_days", ["submission_id", "day"])
    op.create_index(
        "ix_ledger_refusal_days_rule", "ledger_refusal_days", ["rule", "day", "actor_id"]
    )
    op.create_index(op.f("ix_submissions_second_probe_id"), "submissions", ["second_probe_id"])
    bind = op.get_bind()
    size = bind.execute(sa.text("SELECT size FROM ledger_head WHERE id = 1")).scalar()
    fill_tallies(bind, int(size or 0))
    if bind.dialect.name == "postgresql":
        # Filled in bulk: the planner's statistics now, not when autovacuum next passes (a
        # report run right after the upgrade would otherwise plan over empty tables).
        bind.exec_driver_sql("ANALYZE ledger_use_tallies")
        bind.exec_driver_sql("ANALYZE ledger_refusal_tallies")


def downgrade() -> None:
    op.drop_index(op.f("ix_submissions_second_probe_id"), table_name="submissions")
    op.drop_index("ix_ledger_refusal_days_rule", table_name="ledger_refusal_days")
    op.drop_index("ix_ledger_use_days_submission", table_name="ledger_use_days")
    op.drop_table("ledger_refusal_tallies")
    op.drop_table("ledger_use_tallies")
