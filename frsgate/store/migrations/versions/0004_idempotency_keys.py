"""Client idempotency keys: `idempotency_keys`.

One row per (user, route, `Idempotency-Key`): the SHA-256 of the request that claimed the key
and, once it finished, the status code and JSON body it answered, which a retry with the same
key and request gets again instead of a second act. A new table; existing data is untouched.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frsgate.store.schema.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMPLETED = (
    "(status_code IS NULL AND response IS NULL AND completed_at IS NULL) OR "
    "(status_code IS NOT NULL AND response IS NOT NULL AND completed_at IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", frsgate.store.schema.types.UtcDateTime(), nullable=False),
        sa.Column("completed_at", frsgate.store.schema.types.UtcDateTime(), nullable=True),
        sa.CheckConstraint(_COMPLETED, name=op.f("ck_idempotency_keys_completed")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "route", "key", name=op.f("pk_idempotency_keys")),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
