"""The ledger's columns as an index: `ledger_index` and `ledger_refusals`.

Oversight reports count the ledger with SQL over these columns (memo 4.E.4, 4.E.5). The
appender writes a row per entry from now on; this migration fills the rows of the entries
already stored, in chunks, from the entries themselves (the same function the appender and
`frsgate ledger verify --index` use).

Going back to 0006 drops both tables; no entry is touched either way.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 00:40:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frsgate.ledger.index import rows_of_entry
from frsgate.store.schema.ledger import ledger_index, ledger_refusals

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 10_000


def upgrade() -> None:
    op.create_table(
        "ledger_index",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("case_number", sa.Text(), nullable=True),
        sa.Column("submission_id", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.Text(), nullable=True),
        sa.Column("program_code", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "ledger_refusals",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ordinal", sa.SmallInteger(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", "ordinal"),
    )
    bind = op.get_bind()
    start = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT seq, entry FROM ledger_entries WHERE seq >= :start ORDER BY seq LIMIT :n"
            ),
            {"start": start, "n": _CHUNK},
        ).all()
        if not rows:
            break
        index: list[dict[str, object]] = []
        refusals: list[dict[str, object]] = []
        for _, entry in rows:
            row, refused = rows_of_entry(json.loads(bytes(entry)))
            index.append(dict(zip(ledger_index.c.keys(), row, strict=True)))
            refusals.extend(dict(zip(ledger_refusals.c.keys(), r, strict=True)) for r in refused)
        bind.execute(ledger_index.insert(), index)
        if refusals:
            bind.execute(ledger_refusals.insert(), refusals)
        start = rows[-1][0] + 1
    # Indexes after the fill: one sort each instead of a b-tree insert per row.
    op.create_index("ix_ledger_index_at", "ledger_index", ["at"])
    op.create_index("ix_ledger_index_event_at", "ledger_index", ["event", "at"])
    op.create_index("ix_ledger_index_actor_at", "ledger_index", ["actor_id", "at"])
    op.create_index("ix_ledger_index_case_seq", "ledger_index", ["case_number", "seq"])
    op.create_index("ix_ledger_refusals_section", "ledger_refusals", ["section"])


def downgrade() -> None:
    op.drop_table("ledger_refusals")
    op.drop_table("ledger_index")
