"""Facts the decision point reads from records instead of assuming them.

- `submissions.provider_review_status_at_use`: OSDM's review status of the provider when the
  use was decided (memo 4.C.3 judges an exigent use as it happened). Existing rows get NULL,
  which the policy reads as "not recorded" and judges as unreviewed (fail closed).
- `submissions.impracticable_reason`: why no supervisor could approve an exigent use first.
- `providers.edited_probes_allowed`: the provider's terms on edited probes (memo 4.C.4);
  existing providers get false until their terms are recorded.
- `frs_program_codes`: the FRS program codes OSDM established (memo 4.E.3).
- Programs as a purpose of their own (memo 4.A.1, second branch): `programs.use_without_case`,
  `programs.supervisor_id`, `program_members`; a probe or submission may serve a program
  instead of a case (`case_id` nullable), and an approval names its program (`program_id`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frsgate.store.schema.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REVIEW = "'unreviewed', 'pending', 'approved', 'not_approved'"


def upgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("use_without_case", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("supervisor_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_programs_supervisor_id"), ["supervisor_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_programs_supervisor_id_users"), "users", ["supervisor_id"], ["id"]
        )
    op.create_table(
        "program_members",
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"],
            name=op.f("fk_program_members_program_id_programs"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_program_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("program_id", "user_id", name=op.f("pk_program_members")),
    )  # fmt: skip
    with op.batch_alter_table("program_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_program_members_user_id"), ["user_id"])
    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_approvals_program_id"), ["program_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_approvals_program_id_programs"), "programs", ["program_id"], ["id"]
        )
    op.create_table(
        "frs_program_codes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("established_by", sa.String(length=64), nullable=False),
        sa.Column("valid_from", frsgate.store.schema.types.UtcDateTime(), nullable=False),
        sa.Column("valid_until", frsgate.store.schema.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", frsgate.store.schema.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_frs_program_codes")),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "edited_probes_allowed", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("impracticable_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("provider_review_status_at_use", sa.String(length=12), nullable=True)
        )
        batch_op.create_check_constraint(
            "provider_review_status_at_use", f"provider_review_status_at_use IN ({_REVIEW})"
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_submissions_provider_review_status_at_use"), type_="check"
        )
        batch_op.drop_column("provider_review_status_at_use")
        batch_op.drop_column("impracticable_reason")
        batch_op.alter_column("case_id", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_column("edited_probes_allowed")
    op.drop_table("frs_program_codes")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_approvals_program_id_programs"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_approvals_program_id"))
        batch_op.drop_column("program_id")
    with op.batch_alter_table("probes", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.String(length=64), nullable=False)
    op.drop_table("program_members")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_programs_supervisor_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_programs_supervisor_id"))
        batch_op.drop_column("supervisor_id")
        batch_op.drop_column("use_without_case")
