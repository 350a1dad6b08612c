"""The ledger head row carries the right-edge subtree hashes (`frontier`).

An existing head gets an empty frontier: the ledger then reads the right edge from
`ledger_nodes` once, on its next append, and stores it from then on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:52:49.376378
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frontier", sa.LargeBinary(), nullable=True))
    op.get_bind().execute(sa.text("UPDATE ledger_head SET frontier = :empty"), {"empty": b""})
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.alter_column("frontier", existing_type=sa.LargeBinary(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.drop_column("frontier")
